"""The portal's tables, as typed SQLAlchemy 2 models. Every change here needs a migration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


def utc_now() -> datetime:
    return datetime.now(UTC)


class AuditEvent(Base):
    """One thing that happened, appended and never changed: who, what, to what, when and from
    where.

    `details` holds identifiers and codes only, never a child's or family's personal data, so
    the audit can outlive the records it describes.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(32))
    # The client's address (IPv4 or IPv6): from where.
    client_address: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(Base):
    """A person with a personal account: a professional, or hub staff (role "hub")."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # As typed, for display and mail; `email_key` (lower-cased) is what makes it unique.
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="professional")
    # Raised to end every session of this user at once (sign out, password change).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # Two-factor sign-in with an authenticator app (TOTP, RFC 6238): the shared secret (base32)
    # once confirmed, the one being set up, and the last time step used (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Set by an operator (`portal disable-user`): no sign-in, no session, no emailed codes.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Hub staff who also manage the hub (its reports), set by an operator (`portal
    # grant-manager`); meaningless for a professional, who is never given it.
    is_hub_manager: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def full_name(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def is_hub_staff(self) -> bool:
        return self.role == "hub"


class PasswordHistory(Base):
    """Earlier password hashes, so a new password cannot be one of the last few."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class OneTimeCode(Base):
    """A 6-digit code sent by email, stored only as a keyed hash.

    purpose "register": `payload` holds the pending account (names, email, password hash) until
    the code is entered. purpose "reset": `user_id` is the account whose password may be reset.
    A code for an address that must not be revealed (already registered, or unknown) is stored
    like any other but never sent, so every answer looks the same.
    """

    __tablename__ = "one_time_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryCode(Base):
    """A one-use code that stands in for the authenticator app once (a lost phone). Only a
    salted scrypt hash of it is kept ("salt$hash")."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInAttempt(Base):
    """Every sign-in attempt, for throttling by account and by client address."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_client_at", "client_address", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254))
    client_address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


Index("ix_sign_in_attempt_email_at", SignInAttempt.email_key, SignInAttempt.attempted_at)


class OutboxMessage(Base):
    """An email waiting to be sent, or sent. Written in the same transaction as the work that
    causes it, delivered by the mail worker with retries, so a mail server that is down delays
    mail but loses none. Never holds a child's or family's personal data.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    # A worker claims a message until this time; another worker may take it over afterwards.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    # What the message is (app/services/mail_templates.py) and the values its words are made
    # of, for a provider that keeps its own copy of each template (GOV.UK Notify). Empty on
    # messages queued before kinds were recorded.
    kind: Mapped[str | None] = mapped_column(String(40))
    personalisation: Mapped[dict[str, str] | None] = mapped_column(JSON)


class Referral(Base):
    """An Early Help Assessment: a draft until it is sent to the hub.

    The few fields that lists and search need are real columns; the answers themselves live in
    `SectionAnswers`, one JSON document per section.
    """

    __tablename__ = "referral"
    __table_args__ = (
        # The hub's inbox: sent referrals, newest first.
        Index("ix_referral_status_submitted_at", "status", "submitted_at"),
        # Other referrals of the same child: the same name and a date of birth near it.
        Index("ix_referral_child_name_key_dob", "child_name_key", "child_date_of_birth"),
        # The hub managers' reports (app/services/reports.py): every column they count of a
        # sent referral, so that a period's referrals are counted from the index alone; and
        # the forms started in a period, sent or not.
        Index(
            "ix_referral_reports_sent",
            "status",
            "submitted_at",
            "first_decision_at",
            "referrer_organisation_type",
            "urgency",
            "hub_status",
        ),
        Index("ix_referral_created_at_status", "created_at", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Human-readable, e.g. EH-2026-000123: what users quote on the phone.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # Which tile on the portal home started it (see app/assessment/reference.py).
    referral_option: Mapped[str] = mapped_column(String(40))
    child_forename: Mapped[str] = mapped_column(String(100))
    child_surname: Mapped[str] = mapped_column(String(100))
    child_date_of_birth: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the owner was told the draft will soon be deleted; cleared by every save.
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Copied from the answers for the hub's inbox and search (see services/answers.py).
    child_nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    referrer_organisation: Mapped[str | None] = mapped_column(String(200))
    # The referrer's type of organisation (a code of ORGANISATION_TYPES), for the hub's reports.
    referrer_organisation_type: Mapped[str | None] = mapped_column(String(30), index=True)
    # The hub's triage of a sent referral (app/services/hub.py): status and red/amber/green.
    hub_status: Mapped[str | None] = mapped_column(String(40), index=True)
    urgency: Mapped[str | None] = mapped_column(String(10), index=True)
    # The member of hub staff the referral is allocated to (None: unallocated). No foreign
    # key, as with audit_event.actor_user_id: accounts are never deleted (migration 0016).
    allocated_to_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # When the hub first moved it on from "received": its first decision, due within
    # HUB_DECISION_WORKING_DAYS working days of sending (app/services/decision_due.py).
    first_decision_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when it is sent, for finding other referrals of the same child
    # (app/services/child_matches.py): the child's names folded (case, accents, spaces and
    # hyphens), and whether the referrer ticked "Estimated DOB".
    child_name_key: Mapped[str | None] = mapped_column(String(200))
    child_dob_estimated: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def child_name(self) -> str:
        return f"{self.child_forename} {self.child_surname}"


class ReferralService(Base):
    """One service asked for in a sent referral's Request for Support (a code of SERVICES),
    written when it is sent, so that the hub's reports count referrals by service without
    reading every referral's answers. Drafts have none."""

    __tablename__ = "referral_service"
    __table_args__ = (UniqueConstraint("referral_id", "service"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(40), index=True)


class EndedDraft(Base):
    """A draft that ended without being sent: deleted by its owner ("deleted") or by the purge
    after the retention period ("expired"). Written in the same transaction as the deletion and
    kept after the draft is gone, so that the hub's reports can count drafts started against
    drafts sent and see where abandoned ones stopped. Counts only: no owner, no reference, no
    names, nothing that leads back to the child, the family or the referrer."""

    __tablename__ = "ended_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # When the draft was started (its `created_at`), and when it ended.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(20))
    # The tile that started it (`Referral.referral_option`).
    referral_option: Mapped[str] = mapped_column(String(40))
    # The section the user saved last (None: they saved none; a section only filled in by the
    # portal does not count), and how many sections were completed.
    last_section: Mapped[str | None] = mapped_column(String(64))
    sections_completed: Mapped[int] = mapped_column(Integer)


class SectionAnswers(Base):
    """The answers of one section of one referral, as a JSON document keyed by question id.

    `version` goes up with every save, so a stale browser tab cannot overwrite newer answers.
    """

    __tablename__ = "section_answers"
    __table_args__ = (UniqueConstraint("referral_id", "section_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="not-started")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # Which open page (a random token its script made) saved last, and its save number: a
    # save from that same page that finds the section moved on by its own earlier save (an
    # autosave cancelled in the browser after the server had stored it) is not a conflict.
    page_token: Mapped[str | None] = mapped_column(String(32))
    page_seq: Mapped[int | None] = mapped_column(Integer)


class PendingStart(Base):
    """A referral started by someone not yet signed in: the child's name waits here, on the
    server, while they sign in or register. Their session holds only a random token whose hash
    is `token_hash`, so the name is in no URL and no readable cookie."""

    __tablename__ = "pending_start"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    referral_option: Mapped[str] = mapped_column(String(40))
    child_forename: Mapped[str] = mapped_column(String(100))
    child_surname: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)


class GazetteerAddress(Base):
    """An address the default address lookup can offer, loaded from db/seed/gazetteer.csv."""

    __tablename__ = "gazetteer_address"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uprn: Mapped[str] = mapped_column(String(12), unique=True)
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    town: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(8))
    # The postcode without spaces, upper case: what lookups match on.
    postcode_key: Mapped[str] = mapped_column(String(8), index=True)


class ParkedForm(Base):
    """A section form posted after its sender's session had ended (JavaScript off, or a slow
    return to the desk). Kept server-side, tied to the user whose session it was, and offered
    back to them, unsaved, once they sign in again: nothing they typed is lost."""

    __tablename__ = "parked_form"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(300))
    # The posted fields as [name, value] pairs (checkboxes repeat a name).
    fields: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)


class ReferralSubmission(Base):
    """The one moment a referral was sent to the hub. Its primary key is the referral: a
    second submission of the same referral (a double click, two tabs, a retry) cannot be
    recorded, whatever the code above it does."""

    __tablename__ = "referral_submission"

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class Document(Base):
    """A file attached to a referral (help guide 5.10), or sent later with a reply to the hub.
    Its content is stored apart (`DocumentContent`, or a file in the document directory) under
    `key`, a random name the server made: never the uploader's file name."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    # The uploader's file name, made safe to show and to offer as a download name.
    filename: Mapped[str] = mapped_column(String(255))
    # What the content is (pdf, docx, png ...), found from the content itself.
    kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200))
    # "database" (DocumentContent) or "directory" (a file named `key`).
    storage: Mapped[str] = mapped_column(String(20))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # Removed by the hub as attached in error: the content is destroyed, this record stays.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    removed_reason: Mapped[str | None] = mapped_column(Text)
    # Sent later, with the referrer's reply to the hub (None: attached to the assessment).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral_message.id", ondelete="CASCADE"), index=True
    )


class DocumentContent(Base):
    """The bytes of a document kept in the database (the default store)."""

    __tablename__ = "document_content"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ReferralMessage(Base):
    """One entry in a sent referral's timeline: a message between the hub and the referrer, a
    change the hub made (status, urgency, allocation, a document removed), with its optional
    message, or an internal note that only hub staff ever see."""

    __tablename__ = "referral_message"
    __table_args__ = (Index("ix_referral_message_referral_created", "referral_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # "hub" or "referrer": whose side wrote it.
    author_role: Mapped[str] = mapped_column(String(20))
    # "message", "status", "urgency", "allocation", "note" or "document-removed".
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # When the other side first read it (unread markers).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An allocation: to whom (None: unallocated); who had it before is the previous one's.
    allocated_to_id: Mapped[int | None] = mapped_column(Integer)


class ApiToken(Base):
    """A token a case system sends (`Authorization: Bearer ...`) to read sent referrals through
    the API (app/routes/api.py). Made and revoked by an operator (`portal create-api-token`,
    `portal revoke-api-token`); the token itself is shown once and only its SHA-256 is kept.
    Calls are counted in one-minute windows, across every app instance, for the rate limit."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Who holds it ("case-system"): in the audit log of every call.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_calls: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
