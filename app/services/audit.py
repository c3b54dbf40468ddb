"""The audit log: append an event; nothing here (or in the database) changes one afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent


class Event(StrEnum):
    """Every kind of audit event, by the name kept in `audit_event.event_type`.

    The log is append-only (the database refuses updates), so a name once written is never
    changed: account events from the first release are single words ("signed-in"), everything
    since is "<subject>.<what happened>" ("referral.submitted"), as new events must be.
    """

    # Accounts
    REGISTERED = "registered"
    EMAIL_VERIFIED = "email-verified"
    SIGNED_IN = "signed-in"
    SIGNED_OUT = "signed-out"
    SIGN_IN_FAILED = "sign-in-failed"
    SIGN_IN_THROTTLED = "sign-in-throttled"
    SIGN_IN_REFUSED_DISABLED = "sign-in-refused-disabled"
    PASSWORD_ACCEPTED = "password-accepted"  # noqa: S105 (an event, not a password)
    PASSWORD_CHANGED = "password-changed"  # noqa: S105
    PASSWORD_RESET = "password-reset"  # noqa: S105
    TWO_FACTOR_ENABLED = "two-factor-enabled"
    TWO_FACTOR_DISABLED = "two-factor-disabled"
    TWO_FACTOR_RESET = "two-factor-reset"
    RECOVERY_CODES_MADE = "recovery-codes-made"
    RECOVERY_CODE_USED = "recovery-code-used"
    SECOND_FACTOR_FAILED = "second-factor-failed"
    ACCOUNT_DISABLED = "account-disabled"
    ACCOUNT_ENABLED = "account-enabled"
    USER_CREATED = "user.created"
    USER_ROLE_CHANGED = "user.role-changed"
    # Hub staff made a manager of the hub (its reports), or no longer one, by an operator.
    ACCOUNT_MANAGER_GRANTED = "account.manager-granted"
    ACCOUNT_MANAGER_REVOKED = "account.manager-revoked"
    # Signing in with the password of a registration whose code was never entered.
    REGISTRATION_RESUMED = "registration.resumed"
    # Referrals
    REFERRAL_STARTED = "referral-started"
    # A referral started before signing in, made the user's draft once they had signed in
    # (details: whether they were asked first), or discarded by them as not theirs.
    REFERRAL_START_CLAIMED = "referral.start-claimed"
    REFERRAL_START_DISCARDED = "referral.start-discarded"
    REFERRAL_SUBMITTED = "referral.submitted"
    REFERRAL_VIEWED = "referral.viewed"
    REFERRAL_PDF_CREATED = "referral.pdf-created"
    REFERRAL_STATUS_CHANGED = "referral.status-changed"
    REFERRAL_URGENCY_CHANGED = "referral.urgency-changed"
    REFERRAL_MESSAGE_SENT = "referral.message-sent"
    # Allocated to a member of hub staff, or unallocated (details: from and to, user ids).
    REFERRAL_ALLOCATED = "referral.allocated"
    # An internal note by hub staff (details: the note's id, never its words).
    REFERRAL_NOTE_ADDED = "referral.note-added"
    REFERRAL_DELETED = "referral.deleted"
    REFERRAL_DELETION_REMINDER_SENT = "referral.deletion-reminder-sent"
    # Hub staff downloaded a referral's export (JSON), or the inbox as a spreadsheet (CSV).
    REFERRAL_EXPORTED = "referral.exported"
    REFERRAL_LIST_DOWNLOADED = "inbox.downloaded"
    # A hub manager downloaded the reports' figures (details: the period).
    REPORTS_DOWNLOADED = "reports.downloaded"
    # The case system's API: every call by a known token (details: token, path, status), and
    # the tokens an operator made and revoked.
    API_CALLED = "api.called"
    API_TOKEN_CREATED = "api.token-created"  # noqa: S105 (an event, not a token)
    API_TOKEN_REVOKED = "api.token-revoked"  # noqa: S105
    # Documents
    DOCUMENT_UPLOADED = "document.uploaded"
    DOCUMENT_INFECTED = "document.infected"
    DOCUMENT_DOWNLOADED = "document.downloaded"
    DOCUMENT_REMOVED = "document.removed"
    DOCUMENT_DESCRIPTION_CHANGED = "document.description-changed"


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the request (whose id leads to its log line) and the client's
    address (the person's, when the proxy in front is trusted with X-Forwarded-For)."""

    request_id: str | None = None
    client_address: str | None = None


def record_event(
    session: Session,
    event_type: Event,
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


def record_operator_action(session: Session, event_type: Event, user_id: int) -> AuditEvent:
    """An operator's command on an account (`portal ...`): nobody signed in did it."""
    return record_event(
        session,
        event_type,
        subject_type="user",
        subject_id=str(user_id),
        details={"by": "operator"},
    )
