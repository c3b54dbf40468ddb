"""The Early Help Assessment's pages: the task list, each section (Next, "Save and come back
later", autosave, address lookup, adding and removing table items) and the parking of a
section's answers posted after the session ended. What a post does is the section page's use
case (app/services/section_page.py); here the request is parsed and the response chosen.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.assessment import engine
from app.assessment.model import Assessment, Section
from app.db import request_session
from app.form_handling import go_to, is_htmx, varies
from app.models import Referral
from app.request_model import PortalRoute, posted_form
from app.routes.parked_answers import parks_answers, take_back_parked_form
from app.routes.referrals import editable_referral_or_404
from app.security.sessions import (
    now_for,
    require_user,
    seconds_until_idle_timeout,
    signed_in_user,
)
from app.services import answers as answer_store
from app.services import section_page as use_case
from app.services.addresses import provider_for
from app.services.section_page import SectionOutcome, SectionState, TableStep
from app.templating import UK_TIME, render, uk_time

SAVED_FLASH = "answers_saved"
SECTION_PAGE = "pages/referrals/section.html"


def assessment_of(request: Request) -> Assessment:
    """The declared form (the app's; tests may give the app another)."""
    assessment: Assessment = request.state.assessment
    return assessment


def today_for(request: Request) -> date:
    return now_for(request).astimezone(UK_TIME).date()


def section_url(referral: Referral, section: Section) -> str:
    return f"/referrals/{referral.reference}/sections/{section.id}"


def account_details(request: Request) -> dict[str, str]:
    user = signed_in_user(request)
    return {"full_name": user.full_name, "email": user.email}


def opened_section(request: Request) -> SectionState:
    """The draft's section named in the path; 404 unless the answers so far show it."""
    referral = editable_referral_or_404(request)
    section_id = request.path_params["section_id"]
    state = use_case.open_section(
        request_session(request), referral, assessment_of(request), section_id
    )
    if state is None:
        raise HTTPException(404)
    return state


def section_context(
    request: Request,
    state: SectionState,
    answers: dict[str, dict[str, Any]],
    version: int,
    outcome: SectionOutcome | None = None,
    *,
    parked: bool = False,
) -> dict[str, Any]:
    """What the section page (or the part of it an htmx step answers with) draws."""
    view = use_case.page_view(
        state,
        answers,
        version,
        assessment_of(request),
        outcome=outcome,
        account=account_details(request),
        today=today_for(request),
        parked=parked,
    )
    return {
        **view,
        "section_url": section_url(state.referral, state.section),
        "return_to_check": request.query_params.get("return") == "check",
    }


def posted_page(form: FormData) -> answer_store.PageStamp | None:
    """The page stamp assets/js/page-stamp.js adds to every save from a section page."""
    token, seq = form.get("page_token"), form.get("page_seq")
    if not isinstance(token, str) or not re.fullmatch(r"[0-9a-f]{32}", token):
        return None
    if not isinstance(seq, str) or not re.fullmatch(r"[0-9]{1,9}", seq):
        return None
    return answer_store.PageStamp(token, int(seq))


def posted_version(form: FormData) -> int:
    value = form.get("version")
    value = "0" if value is None else value
    # A version that is not a number cannot match: treated as a stale page, never a crash.
    return int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value) else -1


def with_session_time(request: Request, response: Response) -> Response:
    """Tell the timeout warning how long this session now has (a save is activity)."""
    response.headers["X-Session-Seconds-Left"] = str(seconds_until_idle_timeout(request))
    return response


# The section page --------------------------------------------------------------------------


@parks_answers
def section_page(request: Request) -> Response:
    state = opened_section(request)
    if request.method == "GET":
        answers, version = state.answers, state.version
        parked = take_back_parked_form(request)
        if parked is not None:
            # Answers sent after the session had ended: shown again, not yet saved.
            answers = {**answers, state.section.id: engine.answers_from_form(state.section, parked)}
            version = posted_version(parked)
        context = section_context(request, state, answers, version, parked=parked is not None)
        return render(request, SECTION_PAGE, context)

    form = posted_form(request)
    action = str(form.get("action") or use_case.NEXT)
    try:
        outcome = use_case.post_section(
            request_session(request),
            state,
            assessment_of(request),
            form,
            action=action,
            version=posted_version(form),
            page=posted_page(form),
            today=today_for(request),
            now=now_for(request),
            addresses=provider_for(request.state.settings),
        )
    except use_case.NoSuchQuestion:
        raise HTTPException(404) from None
    return section_response(request, state, outcome, action, form)


def section_response(
    request: Request, state: SectionState, outcome: SectionOutcome, action: str, form: FormData
) -> Response:
    """Where a post leads: the next page, the task list, or this page (or the part of it an
    htmx step asked for) drawn again."""
    context = section_context(request, state, outcome.answers, outcome.version, outcome)
    if outcome.conflict:
        response = render(request, SECTION_PAGE, context, status_code=409)
        if is_htmx(request):
            # Whoever asked (an address button too), show the whole form with the banner.
            response.headers.update(
                {
                    "HX-Retarget": "#section-form",
                    "HX-Reselect": "#section-form",
                    "HX-Reswap": "outerHTML",
                }
            )
        return varies(response)
    referral, section = state.referral, state.section
    if action == use_case.NEXT and outcome.completed:
        if form.get("return") == "check":
            return go_to(request, f"/referrals/{referral.reference}/check-answers")
        following = use_case.next_section(assessment_of(request), section, outcome.answers)
        # After the last section: Upload Documents (5.10), then check answers and send (5.11).
        default = f"/referrals/{referral.reference}/documents"
        return go_to(request, section_url(referral, following) if following else default)
    if action == use_case.SAVE:
        request.session[SAVED_FLASH] = True
        return go_to(request, f"/referrals/{referral.reference}")
    status_code = 422 if outcome.refused else 200
    if is_htmx(request) and outcome.table is not None:
        return varies(item_response(request, context, outcome.table, status_code))
    if is_htmx(request) and outcome.address is not None:
        partial = address_partial_context(context, section, outcome.address.question_id)
        return varies(
            render(request, "partials/address_lookup.html", partial, status_code=status_code)
        )
    return varies(render(request, SECTION_PAGE, context, status_code=status_code))


@require_user
def autosave(request: Request) -> Response:
    """htmx: save the section as it stands, without required checks; answer in the live region."""
    state = opened_section(request)
    form = posted_form(request)
    now = now_for(request)
    saved = use_case.autosave_section(
        request_session(request),
        state,
        assessment_of(request),
        form,
        version=posted_version(form),
        page=posted_page(form),
        today=today_for(request),
        now=now,
    )
    if not saved.saved:
        message = (
            "Not saved: this section was changed in another tab or window. Your answer is "
            "still on this page. Reload the page to see the latest answers."
        )
        context: dict[str, Any] = {"save_failed": True, "save_message": message}
        response = render(request, "partials/save_status.html", context, status_code=409)
    else:
        before, after = saved.sections_before, saved.sections_after
        context = {
            "save_message": f"Saved at {uk_time(now)}." + use_case.sections_changed(before, after),
            "to_check": saved.problems,
            "new_version": saved.version,
            # Request for Support decides which sections there are: show the new list.
            "oob_navigation": before != after,
            "navigation": after,
            "referral": state.referral,
            "section": state.section,
        }
        response = render(request, "partials/save_status.html", context)
    return varies(with_session_time(request, response))


def address_partial_context(
    context: dict[str, Any], section: Section, question_id: str
) -> dict[str, Any]:
    question = engine.find_question(section, question_id)
    assert question is not None  # the use case acted on it
    required = question.required and question.id not in context["optional_now"]
    label = question.label + ("" if required else " (optional)")
    return {
        **context,
        "question": question,
        "answer": engine.get_answer(section, context["answers"], question.id),
        "problem": context["problems"].get(question.id),
        "label_text": label,
        "oob_version": context["version"],
    }


@require_user
def address_lookup(request: Request) -> Response:
    """htmx: Find Address / Enter Address / Use this address, answering with the address block.
    (Without JavaScript the same buttons post the whole section instead.) The question in the
    path is the one the button acts on."""
    verb, _, question_id = str(posted_form(request).get("action") or "").partition(":")
    if verb not in use_case.ADDRESS_ACTIONS or question_id != request.path_params["question_id"]:
        raise HTTPException(404)
    return section_page(request)


def item_response(
    request: Request, context: dict[str, Any], step: TableStep, status_code: int
) -> Response:
    """htmx: just what changed. Adding answers with the new column (appended to the others)
    and the controls under them; asking to remove or keeping answers with that column;
    removing, reaching the limit, or a column already gone answer with the whole table."""
    question, _table = use_case.table_question(context["section"], step.table_id)
    views = {view.key: view for view in context["tables"][question.id]}
    item = views.get(step.item_key or "")
    fragment = "table"
    if item is not None and step.verb == "add-item" and step.problem is None:
        fragment = "added"
    elif item is not None and step.verb in {"remove-item", "keep-item"}:
        fragment = "item"
    response = render(
        request,
        "partials/table_response.html",
        {**context, "fragment": fragment, "question": question, "item": item},
        status_code=status_code,
    )
    if fragment == "table" and step.verb != "confirm-remove":
        response.headers.update({"HX-Retarget": f"#{question.id}-table", "HX-Reswap": "outerHTML"})
    return response


routes = [
    PortalRoute(
        "/referrals/{reference}/sections/{section_id}",
        section_page,
        methods=["GET", "POST"],
        name="section",
    ),
    PortalRoute(
        "/referrals/{reference}/sections/{section_id}/autosave",
        autosave,
        methods=["POST"],
        name="autosave",
    ),
    PortalRoute(
        "/referrals/{reference}/sections/{section_id}/address/{question_id}",
        address_lookup,
        methods=["POST"],
        name="address_lookup",
    ),
]
