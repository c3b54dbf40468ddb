"""The audit log: append an event; nothing here (or in the database) changes one afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the request (whose id leads to its log line) and the client's
    address (the person's, when the proxy in front is trusted with X-Forwarded-For)."""

    request_id: str | None = None
    client_address: str | None = None


def record_event(
    session: Session,
    event_type: str,
    *,
    actor_user_id: int | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    origin: Origin | None = None,
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
        request_id=origin.request_id if origin else None,
        client_address=origin.client_address[:45] if origin and origin.client_address else None,
        details=details or {},
    )
    session.add(event)
    return event


def record_operator_action(session: Session, event_type: str, user_id: int) -> AuditEvent:
    """An operator's command on an account (`portal ...`): nobody signed in did it."""
    return record_event(
        session,
        event_type,
        subject_type="user",
        subject_id=str(user_id),
        details={"by": "operator"},
    )
