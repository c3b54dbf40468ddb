"""Send to Local Authority (help guide 5.11): check every visible mandatory answer, confirm
(a native dialog with JavaScript, a page without), send exactly once, and confirm it was sent.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.assessment import engine
from app.assessment.model import Assessment, Problem, Section
from app.db import request_session
from app.form_handling import go_to, is_htmx, varies
from app.models import Referral
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.assessment import assessment_of, today_for
from app.routes.referrals import owned_referral_or_404, sent_url
from app.routes.summary import referral_summary
from app.security.sessions import now_for, require_user, signed_in_user
from app.services.referrals import DRAFT, ReferralNotEditable, lock_draft
from app.services.submission import submit
from app.templating import render


def missing_answers(
    assessment: Assessment, answers: dict[str, dict[str, Any]], *, today: Any
) -> list[tuple[Section, Problem]]:
    """Every problem with the visible questions of the visible sections, required ones
    included, in the form's order: what stops a form being sent."""
    shown = engine.effective_answers(assessment, answers)
    return [
        (section, problem)
        for section in engine.visible_sections(assessment, answers)
        for problem in engine.section_problems(section, shown, today=today, check_required=True)
    ]


def check_context(request: Request, referral: Referral) -> dict[str, Any]:
    """What the check answers page shows, and what is missing before the form can be sent."""
    context = referral_summary(request, referral, signed_in_user(request))
    missing = missing_answers(assessment_of(request), context["answers"], today=today_for(request))
    return {
        **context,
        "change_links": referral.status == DRAFT,
        "missing": [
            {
                "text": f"{section.title}: {problem.message}",
                "href": f"/referrals/{referral.reference}/sections/{section.id}#{problem.field_id}",
            }
            for section, problem in missing
        ],
    }


def check_page(request: Request, context: dict[str, Any], *, show_missing: bool) -> Response:
    return render(
        request,
        "pages/referrals/check_answers.html",
        {**context, "show_missing": show_missing},
        status_code=422 if show_missing and context["missing"] else 200,
    )


@require_user
def check_answers(request: Request) -> Response:
    referral = owned_referral_or_404(request)
    return check_page(request, check_context(request, referral), show_missing=False)


@require_user
def send(request: Request) -> Response:
    """GET: "Send to Local Authority" pressed. Missing answers are listed on check answers and
    nothing is sent; otherwise the confirmation (a dialog with htmx, a page without).
    POST: Submit pressed in the confirmation: the referral's row is taken first, so no save can
    slip in between, then the answers are checked again and the referral is sent once."""
    referral = owned_referral_or_404(request)
    if request.method == "POST" and referral.status == DRAFT:
        db = request_session(request)
        try:
            lock_draft(db, referral, now=now_for(request))
        except ReferralNotEditable:
            db.rollback()
    if referral.status != DRAFT:
        if request.method == "POST":
            # Submit again (another tab, the back button): say so, rather than show the
            # completion page as though this press had sent it.
            context = {"referral": referral, "sent_url": sent_url(referral)}
            return render(request, "pages/referrals/already_sent.html", context, status_code=409)
        return go_to(request, sent_url(referral))
    context = check_context(request, referral)
    if context["missing"]:
        request_session(request).rollback()
        if is_htmx(request):
            # The error summary belongs at the top of the page: load it whole.
            return go_to(request, request.url.path)
        return varies(check_page(request, context, show_missing=True))
    if request.method == "GET":
        template = "partials/send_dialog.html" if is_htmx(request) else "pages/referrals/send.html"
        return varies(render(request, template, context))
    db = request_session(request)
    submit(
        db,
        request.state.settings,
        referral,
        signed_in_user(request),
        now=now_for(request),
        origin=origin_of(request),
    )
    db.commit()
    return go_to(request, sent_url(referral))


@require_user
def sent(request: Request) -> Response:
    """The process is now complete: the reference, what happens next, and how to reach the hub."""
    referral = owned_referral_or_404(request)
    if referral.status == DRAFT:
        return RedirectResponse(f"/referrals/{referral.reference}", status_code=303)
    return render(request, "pages/referrals/sent.html", {"referral": referral})


routes = [
    PortalRoute("/referrals/{reference}/check-answers", check_answers, name="check_answers"),
    PortalRoute("/referrals/{reference}/send", send, methods=["GET", "POST"], name="send"),
    PortalRoute("/referrals/{reference}/sent", sent, name="sent"),
]
