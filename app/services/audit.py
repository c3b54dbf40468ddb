"""The audit log: append an event; nothing here (or in the database) changes one afterwards."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent


def record_event(
    session: Session,
    event_type: str,
    *,
    actor_user_id: int | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it is written when the caller commits its work.

    `details` must hold identifiers and codes only, never a child's or family's personal data.
    """
    event = AuditEvent(
        event_type=event_type,
        actor_user_id=actor_user_id,
        subject_type=subject_type,
        subject_id=subject_id,
        request_id=request_id,
        details=details or {},
    )
    session.add(event)
    return event
