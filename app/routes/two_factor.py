"""Two-factor sign-in: the code step after the password, setting up an authenticator app, and
managing it from My Account.

After a right password, a user with two-factor sign-in (and hub staff, who must have it) is not
signed in yet: the session holds only who passed the password step, for 10 minutes. Hub staff
without an app set one up there and then, before they can see anything. A professional may turn
it on from My Account, and off again; hub staff cannot turn it off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.db import request_session
from app.form_handling import form_page, read_form, redirect
from app.models import User
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.start import resume_start_after_sign_in
from app.security.sessions import (
    begin_session,
    now_for,
    pop_return_path,
    require_user,
    signed_in_user,
)
from app.services import two_factor
from app.services.accounts import reserve_attempt
from app.services.passwords import verify_password
from app.templating import render

PENDING = "second_factor"  # who passed the password step, awaiting their code
PENDING_FOR = timedelta(minutes=10)
THROTTLED = (
    "You have tried to sign in too many times. Wait 15 minutes and try again, or reset your "
    "password"
)
WRONG_CODE = "The code is not correct. Enter the 6-digit code your authenticator app shows now"
CODE_FORMAT = "Enter the 6-digit code from your authenticator app"


def await_second_factor(request: Request, user: User) -> Response:
    """The password was right: remember who, and ask for the code (or for setting up an app)."""
    request.session[PENDING] = {
        "uid": user.id,
        "ver": user.session_version,
        "at": now_for(request).timestamp(),
    }
    return redirect("/login/two-factor" if user.has_two_factor else "/login/two-factor/set-up")


def pending_user(request: Request) -> User | None:
    """Who passed the password step in this session in the last 10 minutes, if anyone."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    user_id, version, at = pending.get("uid"), pending.get("ver"), pending.get("at")
    if not isinstance(user_id, int) or not isinstance(at, int | float):
        return None
    if now_for(request) - datetime.fromtimestamp(at, UTC) > PENDING_FOR:
        request.session.pop(PENDING, None)
        return None
    user = request_session(request).get(User, user_id)
    if user is None or user.session_version != version or user.is_disabled:
        return None
    return user


def check_code(
    request: Request, user: User, entered: str, *, recovery: bool
) -> two_factor.SecondFactor:
    """Check an authenticator or recovery code for `user`: the attempt is reserved and
    committed first (so a burst of codes cannot pass the limit), then checked in this request's
    database session (the caller commits)."""
    db = request_session(request)
    client_address = request.client.host if request.client else "unknown"
    attempt = reserve_attempt(
        db, email=user.email, client_address=client_address, now=now_for(request)
    )
    db.commit()
    return two_factor.check(
        db,
        user,
        entered,
        recovery=recovery,
        client_address=client_address,
        now=now_for(request),
        attempt_id=attempt,
        origin=origin_of(request),
    )


def finish_sign_in(request: Request, user: User) -> Response:
    request.session.pop(PENDING, None)
    begin_session(request, user)
    resume_start_after_sign_in(request, user)
    return redirect(pop_return_path(request))


# The code step ------------------------------------------------------------------------------


def enter_code(request: Request) -> Response:
    return _second_step(request, recovery=False)


def enter_recovery_code(request: Request) -> Response:
    return _second_step(request, recovery=True)


def _second_step(request: Request, *, recovery: bool) -> Response:
    template = (
        "pages/account/two_factor_recovery.html" if recovery else "pages/account/two_factor.html"
    )
    user = pending_user(request)
    if user is None:
        return redirect("/login")
    if not user.has_two_factor:
        return redirect("/login/two-factor/set-up")
    if request.method == "GET":
        return form_page(request, template)
    form = read_form(request)
    entered = form.get("code", "").strip()
    if not entered:
        message = "Enter a recovery code" if recovery else CODE_FORMAT
        return form_page(request, template, {"code": message}, {"code": entered})
    if not recovery and not two_factor.code_digits(entered):
        return form_page(
            request,
            template,
            {"code": "The code must be 6 digits, like 123456"},
            {"code": entered},
        )
    db = request_session(request)
    result = check_code(request, user, entered, recovery=recovery)
    db.commit()
    if result.ok:
        return finish_sign_in(request, user)
    if result.throttled:
        request.session.pop(PENDING, None)
        return form_page(request, "pages/account/login.html", {"email": THROTTLED})
    wrong = "The recovery code is not correct or has been used" if recovery else WRONG_CODE
    return form_page(request, template, {"code": wrong}, {"code": entered})


# Setting up an app ---------------------------------------------------------------------------


def set_up_at_sign_in(request: Request) -> Response:
    """Hub staff without an app, after their password: set one up, then they are signed in."""
    user = pending_user(request)
    if user is None:
        return redirect("/login")
    if user.has_two_factor:
        return redirect("/login/two-factor")
    return _set_up(request, user, action="/login/two-factor/set-up", signing_in=True)


@require_user
def set_up_from_account(request: Request) -> Response:
    user = signed_in_user(request)
    if user.has_two_factor:
        return redirect("/account/two-factor")
    return _set_up(request, user, action="/account/two-factor/set-up", signing_in=False)


def _set_up(request: Request, user: User, *, action: str, signing_in: bool) -> Response:
    db = request_session(request)
    secret = two_factor.pending_secret(db, user)
    db.commit()
    issuer = f"{request.state.settings.council_name} {two_factor.ISSUER}"
    uri = two_factor.provisioning_uri(secret, user.email, issuer)
    context: dict[str, Any] = {
        "action": action,
        "signing_in": signing_in,
        "qr_svg": two_factor.qr_svg(uri),
        "secret": two_factor.grouped(secret),
    }
    template = "pages/account/two_factor_set_up.html"
    if request.method == "GET":
        return form_page(request, template, **context)
    form = read_form(request)
    entered = form.get("code", "").strip()
    errors: dict[str, str] = {}
    if not signing_in:
        # From My Account: the password again, so a session left open cannot do this.
        password = form.get("password", "")
        if not password:
            errors["password"] = "Enter your password"
        elif not verify_password(password, user.password_hash):
            errors["password"] = "The password is not correct"
    if not entered:
        errors["code"] = CODE_FORMAT
    if errors:
        return form_page(request, template, errors, {"code": entered}, **context)
    codes = two_factor.confirm_setup(
        db, user, entered, now=now_for(request), origin=origin_of(request)
    )
    if codes is None:
        db.rollback()
        return form_page(request, template, {"code": WRONG_CODE}, {"code": entered}, **context)
    # Every other session ends; this one carries on (or, signing in, begins).
    user.session_version += 1
    db.commit()
    request.session.pop(PENDING, None)
    begin_session(request, user)
    if signing_in:
        resume_start_after_sign_in(request, user)
    continue_to = pop_return_path(request) if signing_in else "/account/two-factor"
    # Shown once, in answer to the POST: never kept anywhere they could be read again.
    return render(
        request,
        "pages/account/two_factor_codes.html",
        {"codes": codes, "continue_to": continue_to, "new_setup": True},
    )


# Managing it from My Account -------------------------------------------------------------------


@require_user
def manage(request: Request) -> Response:
    user = signed_in_user(request)
    left = two_factor.recovery_codes_left(request_session(request), user)
    return form_page(request, "pages/account/two_factor_manage.html", user=user, codes_left=left)


@require_user
def new_recovery_codes(request: Request) -> Response:
    return _confirmed_change(request, "codes")


@require_user
def turn_off(request: Request) -> Response:
    return _confirmed_change(request, "off")


def _confirmed_change(request: Request, change: str) -> Response:
    """New recovery codes, or turning it off: each needs a code from the app now, so that a
    session left open on a shared computer cannot do either."""
    user = signed_in_user(request)
    db = request_session(request)
    if not user.has_two_factor or (change == "off" and user.is_hub_staff):
        return redirect("/account/two-factor")
    form = read_form(request)
    entered = form.get("code", "").strip()
    field = f"{change}-code"
    problem = ""
    if not entered:
        problem = CODE_FORMAT
    else:
        result = check_code(request, user, entered, recovery=False)
        if result.throttled:
            problem = THROTTLED
        elif not result.ok:
            problem = WRONG_CODE
    if problem:
        db.commit()  # the failed try counts
        left = two_factor.recovery_codes_left(db, user)
        return form_page(
            request,
            "pages/account/two_factor_manage.html",
            {field: problem},
            {field: entered},
            user=user,
            codes_left=left,
        )
    now = now_for(request)
    user.session_version += 1  # every other session ends; this one carries on
    if change == "off":
        two_factor.turn_off(db, user, now=now, origin=origin_of(request))
        db.commit()
        begin_session(request, user)
        return redirect("/account?two-factor=off")
    codes = two_factor.replace_recovery_codes(db, user, now=now, origin=origin_of(request))
    db.commit()
    begin_session(request, user)
    return render(
        request,
        "pages/account/two_factor_codes.html",
        {"codes": codes, "continue_to": "/account/two-factor", "new_setup": False},
    )


routes = [
    PortalRoute(
        "/login/two-factor", enter_code, methods=["GET", "POST"], name="two_factor", heavy=["POST"]
    ),
    PortalRoute(
        "/login/recovery-code", enter_recovery_code, methods=["GET", "POST"], heavy=["POST"]
    ),
    PortalRoute(
        "/login/two-factor/set-up", set_up_at_sign_in, methods=["GET", "POST"], heavy=["POST"]
    ),
    PortalRoute("/account/two-factor", manage, name="manage_two_factor"),
    PortalRoute(
        "/account/two-factor/set-up", set_up_from_account, methods=["GET", "POST"], heavy=["POST"]
    ),
    PortalRoute(
        "/account/two-factor/recovery-codes", new_recovery_codes, methods=["POST"], heavy=["POST"]
    ),
    PortalRoute("/account/two-factor/turn-off", turn_off, methods=["POST"], heavy=["POST"]),
]
