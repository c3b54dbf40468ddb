"""Starting a referral (help guide section 3): the home page's tiles, the child's names, and
"How does this tool work". Someone not yet signed in keeps what they entered on the server
while they sign in or register, and is taken back to the form once they have (guide 4)."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.assessment.reference import PARTICIPATION_TYPES, REFERRAL_OPTIONS, ReferralOption
from app.db import request_session
from app.form_handling import form_page, read_form, redirect
from app.models import Referral, User
from app.plain_text import visible_text
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.security.sessions import (
    CLAIMED_START,
    LOGIN_REASON,
    PENDING_START,
    RETURN_TO,
    current_user,
    now_for,
    require_user,
    signed_in_user,
)
from app.services import referrals
from app.templating import render

CONTINUE_PATH = "/start/continue"


def form_path(referral: Referral) -> str:
    """Where a new draft opens: "How does this tool work", the form's first page (guide 3)."""
    return f"/referrals/{referral.reference}/how-it-works"


def option_from(request: Request) -> ReferralOption:
    option = REFERRAL_OPTIONS.get(request.path_params["option"])
    if option is None:
        raise HTTPException(404)
    return option


def start(request: Request) -> Response:
    """The first page: the child's names (the youngest child of a family) -> Confirm."""
    option = option_from(request)
    template = "pages/start/start.html"
    context: dict[str, Any] = {"option": option, "participation_types": PARTICIPATION_TYPES}
    if request.method == "GET":
        return form_page(request, template, **context)
    form = read_form(request)
    values = {
        "child_forename": visible_text(form.get("child_forename", "")).strip(),
        "child_surname": visible_text(form.get("child_surname", "")).strip(),
        "participation_type": form.get("participation_type", ""),
    }
    errors = referrals.child_name_problems(values["child_forename"], values["child_surname"])
    if problem := referrals.participation_type_problem(option.code, values["participation_type"]):
        errors["participation_type"] = problem
    if errors:
        return form_page(request, template, errors, values, **context)

    db = request_session(request)
    now = now_for(request)
    forename, surname = values["child_forename"], values["child_surname"]
    participation_type = values["participation_type"] or None
    user = current_user(request)
    if user is None:
        request.session[PENDING_START] = referrals.keep_pending_start(
            db,
            option_code=option.code,
            child_forename=forename,
            child_surname=surname,
            participation_type=participation_type,
            now=now,
        )
        db.commit()
        request.session[RETURN_TO] = CONTINUE_PATH
        request.session[LOGIN_REASON] = "start"
        return redirect("/login")
    referral = referrals.create_draft(
        db,
        user,
        option_code=option.code,
        child_forename=forename,
        child_surname=surname,
        participation_type=participation_type,
        now=now,
    )
    db.commit()
    return redirect(form_path(referral))


def resume_start_after_sign_in(request: Request, user: User) -> None:
    """Signing in (after the second factor, if any) or registering has just completed: a
    referral started before it in this browser becomes the user's draft, and the session's
    return path becomes its form, where the caller sends them (guide 4: "you will be navigated
    back to the form"). That form's first page says it was started before signing in, with a
    way to delete it, once. A start older than CLAIM_WITHOUT_ASKING_WITHIN is asked about
    first, on the continue page."""
    token = request.session.get(PENDING_START)
    if not isinstance(token, str):
        return
    db = request_session(request)
    now = now_for(request)
    pending = referrals.pending_start(db, token, now=now)
    if pending is not None and not referrals.is_recent_start(pending, now=now):
        request.session[RETURN_TO] = CONTINUE_PATH
        return
    request.session.pop(PENDING_START, None)
    referral = None
    if pending is not None:
        referral = referrals.claim_pending_start(
            db, user, token, now=now, asked=False, origin=origin_of(request)
        )
        db.commit()
    if referral is None:
        if request.session.get(RETURN_TO) == CONTINUE_PATH:
            request.session.pop(RETURN_TO)  # nothing left to carry on with
        return
    request.session[RETURN_TO] = form_path(referral)
    request.session[CLAIMED_START] = referral.reference


@require_user
def continue_after_sign_in(request: Request) -> Response:
    """Where a start made before signing in, and longer ago than the user is taken straight
    back to the form, resumes. GET asks (no change on a GET); POST creates the draft for this
    user, or discards the start."""
    token = request.session.get(PENDING_START)
    db = request_session(request)
    pending = referrals.pending_start(db, token, now=now_for(request)) if token else None
    if pending is None:
        request.session.pop(PENDING_START, None)
        return redirect("/")
    if request.method == "GET":
        return render(request, "pages/start/continue.html", {"pending": pending})
    form = read_form(request)
    request.session.pop(PENDING_START, None)
    user = signed_in_user(request)
    if form.get("action") == "discard":
        referrals.discard_pending_start(db, pending, user, origin_of(request))
        db.commit()
        return redirect("/")
    referral = referrals.claim_pending_start(
        db, user, str(token), now=now_for(request), asked=True, origin=origin_of(request)
    )
    db.commit()
    if referral is None:
        return redirect("/")
    return redirect(form_path(referral))


def early_health_notifications(request: Request) -> Response:
    return render(request, "pages/start/early_health_notifications.html")


def professionals(request: Request) -> Response:
    return render(request, "pages/start/professionals.html")


routes = [
    PortalRoute(
        CONTINUE_PATH, continue_after_sign_in, methods=["GET", "POST"], name="start_continue"
    ),
    PortalRoute("/start/{option}", start, methods=["GET", "POST"], name="start"),
    PortalRoute("/early-health-notifications", early_health_notifications, name="early_health"),
    PortalRoute("/professionals", professionals, name="professionals"),
]
