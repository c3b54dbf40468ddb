"""Accounts, in the help guide's words: Login or Register, Register for a new account (two steps
and a code), My Account and Change Password, Forgotten Password, Sign out.

Handlers are thin: they read the form, call `app.services.accounts` off the event loop (bcrypt),
commit, and redirect (Post/Redirect/Get), or re-render the form with 422 and every value kept.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from app.db import request_session
from app.form_handling import form_page, read_form, redirect
from app.models import OneTimeCode, User
from app.plain_text import visible_text
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.start import resume_start_after_sign_in
from app.routes.two_factor import await_second_factor
from app.security.sessions import (
    ENDED,
    LOGIN_REASON,
    RETURN_TO,
    begin_session,
    current_user,
    end_session,
    now_for,
    pop_return_path,
    require_user,
    safe_return_path,
    seconds_until_idle_timeout,
    signed_in_user,
)
from app.services import accounts
from app.services.accounts import CodeCheck
from app.services.audit import Event
from app.services.passwords import checklist, password_problems, verify_password
from app.templating import render

REGISTRATION = "registration"
REGISTER_CODE = "register_code"
RESET_CODE = "reset_code"
RESET_ALLOWED = "reset_allowed"


def confirm_problem(password: str, confirmation: str) -> str | None:
    if not confirmation:
        return "Confirm your password"
    if password != confirmation:
        return "The passwords do not match"
    return None


def policy_error(problems: list[str], label: str = "Password") -> str:
    return problems[0].replace("It must", f"{label} must", 1)


# Sign in and out ---------------------------------------------------------------------------


def login(request: Request) -> Response:
    if request.method == "GET":
        if current_user(request) is not None:
            return redirect(pop_return_path(request))
        ended = request.session.pop(ENDED, None)
        reason = request.session.pop(LOGIN_REASON, None)
        if reason is None and request.session.get(RETURN_TO) == "/account":
            reason = "account"  # My Account, signed out: the guide's way to Forgotten Password
        return form_page(request, "pages/account/login.html", ended=ended, reason=reason)

    form = read_form(request)
    email, password = form.get("email", "").strip(), form.get("password", "")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address"
    elif len(email) > accounts.EMAIL_MAX_LENGTH:
        errors["email"] = "Enter an email address in the correct format, like name@example.com"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return form_page(request, "pages/account/login.html", errors, {"email": email})

    db = request_session(request)
    client_address = request.client.host if request.client else "unknown"
    # Counted before it is checked, and committed at once: see accounts.reserve_attempt.
    attempt = accounts.reserve_attempt(
        db, email=email, client_address=client_address, now=now_for(request)
    )
    db.commit()
    result = accounts.sign_in(
        db,
        request.state.settings,
        email=email,
        password=password,
        client_address=client_address,
        now=now_for(request),
        attempt_id=attempt,
        origin=origin_of(request),
    )
    db.commit()
    if result.throttled:
        errors["email"] = (
            "You have tried to sign in too many times. Wait 15 minutes and try again, "
            "or reset your password"
        )
    elif result.disabled:
        settings = request.state.settings
        errors["email"] = (
            f"Your account has been disabled. If you think this is wrong, contact the "
            f"{settings.hub_name} on {settings.hub_phone}"
        )
    elif result.unfinished_registration is not None:
        return finish_registering(request, result.unfinished_registration)
    elif result.user is None:
        errors["email"] = "The email address or password is not correct"
    if errors:
        return form_page(request, "pages/account/login.html", errors, {"email": email})
    assert result.user is not None
    if result.second_factor:
        return await_second_factor(request, result.user)
    begin_session(request, result.user)
    resume_start_after_sign_in(request, result.user)
    return redirect(pop_return_path(request))


def logout(request: Request) -> Response:
    user = current_user(request)
    if user is not None:
        db = request_session(request)
        accounts.sign_out(db, user, origin_of(request))
        db.commit()
    end_session(request, "signed-out")
    return redirect("/signed-out")


def signed_out(request: Request) -> Response:
    ended = request.session.get(ENDED, "signed-out")
    return render(request, "pages/account/signed_out.html", {"ended": ended})


def keep_alive(request: Request) -> Response:
    """The timeout warning's "Stay signed in": any request counts as activity."""
    if current_user(request) is None:
        return redirect("/login")
    if request.headers.get("HX-Request") == "true":
        return Response(
            status_code=204,
            headers={"X-Session-Seconds-Left": str(seconds_until_idle_timeout(request))},
        )
    return redirect(safe_referrer(request))


def safe_referrer(request: Request) -> str:
    referrer = request.headers.get("referer", "")
    parts = urlsplit(referrer)
    same_site = parts.netloc == request.url.netloc
    return (same_site and safe_return_path(parts.path or "/")) or "/"


# Register for a new account ---------------------------------------------------------------


def register_names(request: Request) -> Response:
    template = "pages/account/register_names.html"
    if request.method == "GET":
        return form_page(request, template, values=request.session.get(REGISTRATION, {}))
    form = read_form(request)
    values = {
        "forename": visible_text(form.get("forename", "")).strip(),
        "surname": visible_text(form.get("surname", "")).strip(),
    }
    errors = {
        field: problem
        for field, problem in (
            ("forename", accounts.name_problem(values["forename"], "forename")),
            ("surname", accounts.name_problem(values["surname"], "surname")),
        )
        if problem
    }
    if errors:
        return form_page(request, template, errors, values)
    request.session[REGISTRATION] = values
    return redirect("/register/account")


def register_account(request: Request) -> Response:
    template = "pages/account/register_account.html"
    names = request.session.get(REGISTRATION)
    if not names:
        return redirect("/register")
    if request.method == "GET":
        return form_page(request, template, values={"email": names.get("email", "")})
    form = read_form(request)
    values = {
        "email": form.get("email", "").strip(),
        "password": form.get("password", ""),
        "confirm_password": form.get("confirm_password", ""),
    }
    errors: dict[str, str] = {}
    if problem := accounts.email_problem(values["email"]):
        errors["email"] = problem
    if not values["password"]:
        errors["password"] = "Enter a password"
    elif problems := password_problems(values["password"]):
        errors["password"] = policy_error(problems)
    if problem := confirm_problem(values["password"], values["confirm_password"]):
        errors["confirm_password"] = problem
    if errors:
        return form_page(request, template, errors, values)

    db = request_session(request)
    if wait := accounts.code_wait(db, values["email"], "register", now=now_for(request)):
        return too_soon(request, template, "email", wait, values)
    code = accounts.start_registration(
        db,
        request.state.settings,
        forename=names["forename"],
        surname=names["surname"],
        email=values["email"],
        password=values["password"],
        now=now_for(request),
    )
    db.commit()
    request.session[REGISTRATION] = {**names, "email": values["email"]}
    request.session[REGISTER_CODE] = code.id
    return redirect("/register/code")


def finish_registering(request: Request, code: OneTimeCode) -> Response:
    """Signing in before the registration's code was entered: back to entering it, with a
    fresh code emailed (unless one went a moment ago), rather than "not correct"."""
    db = request_session(request)
    now = now_for(request)
    sent = accounts.resend_wait(db, code, now=now) is None
    if sent:
        code = accounts.resend_code(db, request.state.settings, code, now=now)
    db.commit()
    payload = code.payload
    request.session[REGISTRATION] = {
        "forename": payload["forename"],
        "surname": payload["surname"],
        "email": payload["email"],
    }
    request.session[REGISTER_CODE] = code.id
    return redirect("/register/code?unfinished=" + ("sent" if sent else "waiting"))


def _pending_code(request: Request, key: str, purpose: str) -> OneTimeCode | None:
    code_id = request.session.get(key)
    if not isinstance(code_id, int):
        return None
    code = request_session(request).get(OneTimeCode, code_id)
    return code if code is not None and code.purpose == purpose else None


CODE_MESSAGES = {
    CodeCheck.EXPIRED: "The code has expired. Select ‘Send a new code’",
    CodeCheck.USED: "That code has already been used. Select ‘Send a new code’",
    CodeCheck.TOO_MANY_TRIES: (
        "You have entered the wrong code too many times. Select ‘Send a new code’"
    ),
}


def too_soon(
    request: Request,
    template: str,
    field: str,
    wait: timedelta,
    values: dict[str, Any],
    **context: Any,
) -> Response:
    """The form again, saying how long before another code can be emailed (429)."""
    seconds = math.ceil(wait.total_seconds())
    message = (
        f"Wait {seconds} seconds before asking for another code"
        if seconds < 120
        else "You have asked for too many codes. Wait an hour and try again"
    )
    response = form_page(request, template, {field: message}, values, **context)
    response.status_code = 429
    return response


def enter_code(
    request: Request, *, session_key: str, purpose: str, template: str, start: str
) -> tuple[Response | None, OneTimeCode | None]:
    """The shared "Enter the code" step: (a response to send, or None and the accepted code)."""
    db = request_session(request)
    code = _pending_code(request, session_key, purpose)
    if code is None:
        return redirect(start), None
    context = {"email": code.payload.get("email") or request.session.get("reset_email", "")}
    if request.method == "GET":
        sent = request.query_params.get("sent")
        unfinished = request.query_params.get("unfinished")
        return form_page(request, template, sent=sent, unfinished=unfinished, **context), None

    form = read_form(request)
    now = now_for(request)
    if form.get("action") == "resend":
        wait = accounts.resend_wait(db, code, now=now)
        if wait is not None:
            return too_soon(request, template, "code", wait, form, **context), None
        new_code = accounts.resend_code(db, request.state.settings, code, now=now)
        db.commit()
        request.session[session_key] = new_code.id
        return redirect(f"{request.url.path}?sent=1"), None

    entered = form.get("code", "")
    digits = entered.replace(" ", "").replace("-", "")
    if not digits:
        return form_page(
            request, template, {"code": "Enter the code from the email"}, form, **context
        ), None
    if not digits.isdigit() or len(digits) != 6:
        return form_page(
            request, template, {"code": "The code must be 6 digits"}, form, **context
        ), None
    result = accounts.check_code(db, request.state.settings, code, digits, now=now)
    db.commit()
    if result is CodeCheck.ACCEPTED:
        return None, code
    if result is CodeCheck.WRONG:
        left = accounts.tries_left(code)
        message = f"The code is not correct. You have {left} {'try' if left == 1 else 'tries'} left"
    else:
        message = CODE_MESSAGES[result]
    return form_page(request, template, {"code": message}, form, **context), None


def register_code(request: Request) -> Response:
    response, code = enter_code(
        request,
        session_key=REGISTER_CODE,
        purpose="register",
        template="pages/account/register_code.html",
        start="/register",
    )
    if response is not None:
        return response
    assert code is not None
    db = request_session(request)
    user = accounts.complete_registration(db, code, now=now_for(request), origin=origin_of(request))
    if user is not None:
        try:
            db.commit()
        except IntegrityError:  # the same address registered a moment ago in another tab
            db.rollback()
            user = None
    if user is None:
        db.rollback()
        return form_page(
            request,
            "pages/account/register_code.html",
            {"code": "This email address already has an account. Sign in instead"},
            email=request.session.get(REGISTRATION, {}).get("email", ""),
        )
    request.session.pop(REGISTRATION, None)
    request.session.pop(REGISTER_CODE, None)
    begin_session(request, user)
    resume_start_after_sign_in(request, user)
    return redirect("/register/complete")


@require_user
def register_complete(request: Request) -> Response:
    """The guide's confirmation message; its Continue goes back to the form of a referral
    started before registering, made the user's draft when the code was accepted."""
    return render(
        request, "pages/account/register_complete.html", {"continue_to": pop_return_path(request)}
    )


# My Account and Change Password ----------------------------------------------------------


@require_user
def my_account(request: Request) -> Response:
    turned_off = request.query_params.get("two-factor") == "off"
    return render(
        request,
        "pages/account/my_account.html",
        {"user": signed_in_user(request), "two_factor_turned_off": turned_off},
    )


@require_user
def change_password(request: Request) -> Response:
    template = "pages/account/change_password.html"
    if request.method == "GET":
        return form_page(request, template)
    user = signed_in_user(request)
    form = read_form(request)
    values = {
        "current_password": form.get("current_password", ""),
        "password": form.get("password", ""),
        "confirm_password": form.get("confirm_password", ""),
    }
    db = request_session(request)
    errors: dict[str, str] = {}
    if not values["current_password"]:
        errors["current_password"] = "Enter your current password"
    elif not verify_password(values["current_password"], user.password_hash):
        errors["current_password"] = "Your current password is not correct"
        values["current_password"] = ""  # a wrong password is not shown back
    if not values["password"]:
        errors["password"] = "Enter a new password"
    else:
        # The history check runs bcrypt several times: only for an otherwise good request.
        problems = password_problems(values["password"])
        if not problems and not errors:
            problems = accounts.new_password_problems(db, user, values["password"])
        if problems:
            errors["password"] = policy_error(problems, "New password")
    if problem := confirm_problem(values["password"], values["confirm_password"]):
        errors["confirm_password"] = problem
    if errors:
        return form_page(request, template, errors, values)
    accounts.set_password(
        db,
        request.state.settings,
        user,
        values["password"],
        now=now_for(request),
        event=Event.PASSWORD_CHANGED,
        origin=origin_of(request),
    )
    db.commit()
    begin_session(request, user)  # this session carries on; every other one has ended
    return redirect("/account/password-changed")


@require_user
def password_changed(request: Request) -> Response:
    return render(request, "pages/account/password_changed.html")


# Forgotten Password -------------------------------------------------------------------------


def forgotten_password(request: Request) -> Response:
    template = "pages/account/forgotten_password.html"
    if request.method == "GET":
        return form_page(request, template)
    form = read_form(request)
    email = form.get("email", "").strip()
    problem = None
    if not email:
        problem = "Enter your email address"
    elif not accounts.EMAIL_PATTERN.match(email) or len(email) > accounts.EMAIL_MAX_LENGTH:
        problem = "Enter an email address in the correct format, like name@example.com"
    if problem:
        return form_page(request, template, {"email": problem}, {"email": email})
    db = request_session(request)
    if wait := accounts.code_wait(db, email, "reset", now=now_for(request)):
        return too_soon(request, template, "email", wait, {"email": email})
    code = accounts.start_password_reset(
        db, request.state.settings, email=email, now=now_for(request)
    )
    db.commit()
    request.session[RESET_CODE] = code.id
    request.session["reset_email"] = email
    request.session.pop(RESET_ALLOWED, None)
    return redirect("/forgotten-password/code")


def reset_code(request: Request) -> Response:
    response, code = enter_code(
        request,
        session_key=RESET_CODE,
        purpose="reset",
        template="pages/account/reset_code.html",
        start="/forgotten-password",
    )
    if response is not None:
        return response
    assert code is not None
    request.session[RESET_ALLOWED] = code.id
    return redirect("/forgotten-password/new")


def reset_password(request: Request) -> Response:
    template = "pages/account/reset_password.html"
    code = _pending_code(request, RESET_ALLOWED, "reset")
    now = now_for(request)
    if code is None or code.user_id is None or code.used_at is None:
        return redirect("/forgotten-password")
    db = request_session(request)
    user = db.get(User, code.user_id)
    # A disabled account gets no new password, even from a code accepted before it was disabled.
    if accounts.code_is_stale(code, now=now) or user is None or user.is_disabled:
        request.session.pop(RESET_ALLOWED, None)
        return redirect("/forgotten-password")
    if request.method == "GET":
        return form_page(request, template)
    form = read_form(request)
    values = {
        "password": form.get("password", ""),
        "confirm_password": form.get("confirm_password", ""),
    }
    errors: dict[str, str] = {}
    if not values["password"]:
        errors["password"] = "Enter a new password"
    elif problems := accounts.new_password_problems(db, user, values["password"]):
        errors["password"] = policy_error(problems, "New password")
    if problem := confirm_problem(values["password"], values["confirm_password"]):
        errors["confirm_password"] = problem
    if errors:
        return form_page(request, template, errors, values)
    accounts.set_password(
        db,
        request.state.settings,
        user,
        values["password"],
        now=now,
        event=Event.PASSWORD_RESET,
        origin=origin_of(request),
    )
    code.payload = {"spent": True}  # an old copy of the session cookie cannot reset it again
    db.commit()
    for key in (RESET_CODE, RESET_ALLOWED, "reset_email"):
        request.session.pop(key, None)
    return redirect("/forgotten-password/done")


def reset_done(request: Request) -> Response:
    return render(request, "pages/account/reset_done.html")


# The password checklist beside the fields ---------------------------------------------------


def password_policy(request: Request) -> Response:
    """htmx: the checklist, ticked for what was typed (nothing is stored or logged)."""
    form = read_form(request)
    response = render(
        request,
        "partials/password_policy.html",
        {"rules": checklist(form.get("password", "")), "checked": True},
    )
    response.headers["Vary"] = "HX-Request"
    return response


routes = [
    PortalRoute("/login", login, methods=["GET", "POST"], name="login", heavy=["POST"]),
    PortalRoute("/logout", logout, methods=["POST"], name="logout"),
    PortalRoute("/signed-out", signed_out, name="signed_out"),
    PortalRoute("/session/keep-alive", keep_alive, methods=["POST"], name="keep_alive"),
    PortalRoute("/register", register_names, methods=["GET", "POST"], name="register"),
    PortalRoute("/register/account", register_account, methods=["GET", "POST"], heavy=["POST"]),
    PortalRoute("/register/code", register_code, methods=["GET", "POST"]),
    PortalRoute("/register/complete", register_complete),
    PortalRoute("/account", my_account, name="my_account"),
    PortalRoute(
        "/account/change-password", change_password, methods=["GET", "POST"], heavy=["POST"]
    ),
    PortalRoute("/account/password-changed", password_changed),
    PortalRoute("/forgotten-password", forgotten_password, methods=["GET", "POST"]),
    PortalRoute("/forgotten-password/code", reset_code, methods=["GET", "POST"]),
    PortalRoute("/forgotten-password/new", reset_password, methods=["GET", "POST"], heavy=["POST"]),
    PortalRoute("/forgotten-password/done", reset_done),
    PortalRoute("/password-policy", password_policy, methods=["POST"]),
]
