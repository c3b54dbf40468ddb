"""Auditing what a signed-in user did in this request: who (the user), what, to what, and the
request's id (which leads to the log line with when and from where)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from app.db import request_session
from app.request_log import origin_of
from app.security.sessions import signed_in_user
from app.services.audit import record_event


def audit(
    request: Request, event_type: str, *, subject_type: str, subject_id: str, **details: Any
) -> None:
    """Add the event to this request's database session; it is written when the handler
    commits. `details` hold identifiers and codes only, never personal data."""
    record_event(
        request_session(request),
        event_type,
        actor_user_id=signed_in_user(request).id,
        subject_type=subject_type,
        subject_id=subject_id,
        origin=origin_of(request),
        details=details,
    )
