"""Who is signed in: the signed session cookie checked against the database on every request.

The cookie holds the user id, the user's session version when they signed in, and when they
signed in and were last seen. A session ends when the version in the database has moved on
(sign-out, password change: every device at once), after 30 minutes without a request, or 12
hours after signing in. A user sent to sign in keeps where they were going in the session (a
path, never a name), and goes back there afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

import itsdangerous
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp

from app.db import request_session
from app.models import User

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
WARNING_BEFORE_TIMEOUT = timedelta(minutes=2)

USER_ID = "uid"
VERSION = "ver"
SIGNED_IN_AT = "auth_at"
SEEN_AT = "seen_at"
RETURN_TO = "return_to"
PENDING_START = "pending_start"  # token of a referral started before signing in
PARKED_FORM = "parked_form"  # token of a section form posted after the session ended
LAST_USER = "last_user"  # whose session ended here: only they get a parked form back
CLAIMED_START = "claimed_start"  # reference of a draft made at sign-in from PENDING_START
LOGIN_REASON = "login_reason"  # why the user was sent to sign in ("start": a referral begun)
ENDED = "ended"  # why the last session ended: "idle", "expired" or "signed-out"

_NOT_LOADED = object()

Endpoint = Callable[[Request], Response]


class RotatingSessionMiddleware(SessionMiddleware):
    """Starlette's signed-cookie sessions, also accepting cookies signed with a retired key.

    The last key signs; every key verifies (itsdangerous tries them newest first). An operator
    rotating SECRET_KEY puts the old one in PREVIOUS_SECRET_KEYS for a day or so: nobody is
    signed out, and every cookie is signed with the new key the next time it is sent back.
    """

    def __init__(self, app: ASGIApp, /, secret_keys: list[str], **options: Any) -> None:
        super().__init__(app, secret_key=secret_keys[-1], **options)
        self.signer = itsdangerous.TimestampSigner(secret_keys)


def now_for(request: Request) -> datetime:
    """The app's clock (replaceable in tests), in UTC."""
    clock: Callable[[], datetime] = request.state.clock
    return clock()


def _timestamp(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp()


def safe_return_path(value: Any) -> str | None:
    """A same-site path to go back to, or None: never another site, never a scheme."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value:
        return None
    return value


def begin_session(request: Request, user: User) -> None:
    """Start a fresh session for `user`: everything from before is dropped except where the user
    was going and a referral they had started, and a new CSRF secret will be made (rotation at
    sign-in)."""
    session = request.session
    return_to = safe_return_path(session.get(RETURN_TO))
    pending_start = session.get(PENDING_START)
    parked_form = session.get(PARKED_FORM) if session.get(LAST_USER) == user.id else None
    session.clear()
    now = _timestamp(now_for(request))
    session.update(
        {USER_ID: user.id, VERSION: user.session_version, SIGNED_IN_AT: now, SEEN_AT: now}
    )
    if return_to:
        session[RETURN_TO] = return_to
    if isinstance(pending_start, str):
        session[PENDING_START] = pending_start
    if isinstance(parked_form, str):
        session[PARKED_FORM] = parked_form
    request.state.user = user


def end_session(request: Request, reason: str) -> None:
    last_user = request.session.get(USER_ID)
    request.session.clear()
    request.session[ENDED] = reason
    if isinstance(last_user, int):
        request.session[LAST_USER] = last_user
    request.state.user = None


def pop_return_path(request: Request, default: str = "/") -> str:
    return safe_return_path(request.session.pop(RETURN_TO, None)) or default


def current_user(request: Request) -> User | None:
    """The signed-in user, or None. Ends the session here if it has expired or been revoked."""
    cached = getattr(request.state, "user", _NOT_LOADED)
    if cached is not _NOT_LOADED:
        assert cached is None or isinstance(cached, User)
        return cached
    session = request.session
    user_id = session.get(USER_ID)
    user: User | None = None
    if isinstance(user_id, int):
        now = _timestamp(now_for(request))
        candidate = request_session(request).get(User, user_id)
        signed_in_at = float(session.get(SIGNED_IN_AT, 0))
        seen_at = float(session.get(SEEN_AT, 0))
        if (
            candidate is None
            or candidate.session_version != session.get(VERSION)
            or candidate.is_disabled
        ):
            end_session(request, "signed-out")
        elif now - signed_in_at > ABSOLUTE_TIMEOUT.total_seconds():
            end_session(request, "expired")
        elif now - seen_at > IDLE_TIMEOUT.total_seconds():
            end_session(request, "idle")
        else:
            session[SEEN_AT] = now
            user = candidate
    request.state.user = user
    return user


def seconds_until_idle_timeout(request: Request) -> int:
    """For the timeout warning: how long this session has left if the user does nothing."""
    signed_in_at = float(request.session.get(SIGNED_IN_AT, 0))
    seen_at = float(request.session.get(SEEN_AT, 0))
    deadline = min(
        seen_at + IDLE_TIMEOUT.total_seconds(), signed_in_at + ABSOLUTE_TIMEOUT.total_seconds()
    )
    return max(0, int(deadline - _timestamp(now_for(request))))


def require_user(endpoint: Endpoint) -> Endpoint:
    """Only for signed-in users: others go to sign in, and come back here afterwards."""

    @wraps(endpoint)
    def guarded(request: Request) -> Response:
        if current_user(request) is None:
            if request.method == "GET":
                request.session[RETURN_TO] = request.url.path
            if request.headers.get("HX-Request") == "true":
                # An autosave after the session ended: say so (the page tells the user it was
                # not saved) rather than answer with the sign-in page.
                return Response("Signed out", status_code=401, media_type="text/plain")
            return RedirectResponse("/login", status_code=303)
        return endpoint(request)

    return guarded


def signed_in_user(request: Request) -> User:
    """The user of a `require_user` endpoint."""
    user = current_user(request)
    assert user is not None
    return user
