"""How long things are kept (help guide 10 and 11), and the purge that enforces it.

- A draft is deleted `DRAFT_RETENTION_DAYS` (30) after its last save, documents included; its
  owner gets one reminder `DRAFT_REMINDER_DAYS` (7) before (no child data in it).
- A sent form leaves its referrer's list `SUBMITTED_VISIBLE_DAYS` (90) after it was sent; the
  hub keeps it for `HUB_RETENTION_DAYS` (empty: kept).
- Short-lived records go too: starts made before signing in, forms kept after a timeout, used
  or expired email codes, old sign-in attempts and old sent mail.

The purge runs in every app instance (`RetentionWorker`) and on demand (`portal purge`). Each
item is acted on by a conditional statement (`DELETE ... WHERE id IN (...) AND <still expired>
RETURNING id`, `UPDATE ... WHERE reminder_sent_at IS NULL`), committed with its audit events and
email, so when several instances purge at once each item is deleted, audited and reminded about
exactly once. Referrals are deleted in batches, one statement for each kind of row. Audit events
keep the reference and dates, never the deleted personal data; each expired draft leaves an
`EndedDraft` row for the hub's reports, with nothing personal in it either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models import (
    Document,
    OneTimeCode,
    OutboxMessage,
    ParkedForm,
    PendingStart,
    Referral,
    SignInAttempt,
    User,
)
from app.services import documents as store
from app.services.account_mail import compose
from app.services.audit import Event, record_event
from app.services.parked_forms import PARKED_FORM_LIFETIME
from app.services.periodic import PeriodicWorker
from app.services.referrals import (
    DRAFT,
    EXPIRED,
    PENDING_START_LIFETIME,
    SUBMITTED,
    ended_drafts,
    keep_ended_drafts,
)
from app.settings import Settings
from app.templating import uk_date

logger = logging.getLogger("portal.retention")

CODE_KEEP = timedelta(days=1)
SIGN_IN_ATTEMPT_KEEP = timedelta(days=30)
SENT_MAIL_KEEP = timedelta(days=30)
FIRST_PASS_DELAY_SECONDS = 30
SINGULAR = {
    "starts made before signing in": "start made before signing in",
    "forms kept after a timeout": "form kept after a timeout",
    "email codes": "email code",
    "sign-in attempts": "sign-in attempt",
    "sent or failed emails": "sent or failed email",
}


def deletion_date(referral: Referral, settings: Settings) -> datetime:
    """When a draft will be deleted if it is not saved again."""
    return referral.updated_at + timedelta(days=settings.draft_retention_days)


def visible_until(referral: Referral, settings: Settings) -> datetime | None:
    """When a sent form leaves its referrer's list."""
    if referral.submitted_at is None:
        return None
    return referral.submitted_at + timedelta(days=settings.submitted_visible_days)


@dataclass
class PurgeReport:
    reminded: list[str] = field(default_factory=list)
    deleted_drafts: list[str] = field(default_factory=list)
    deleted_submitted: list[str] = field(default_factory=list)
    housekeeping: dict[str, int] = field(default_factory=dict)

    def lines(self, *, dry_run: bool) -> list[str]:
        would = "would " if dry_run else ""
        lines = [f"{would}remind the owner of draft {ref}" for ref in self.reminded]
        lines += [f"{would}delete draft {ref}" for ref in self.deleted_drafts]
        lines += [
            f"{would}delete sent referral {ref} (hub retention period)"
            for ref in self.deleted_submitted
        ]
        lines += [
            f"{would}delete {count} {what if count != 1 else SINGULAR.get(what, what)}"
            for what, count in self.housekeeping.items()
        ]
        return lines or ["nothing to purge"]


def _draft_reminder_cutoff(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(days=settings.draft_retention_days - settings.draft_reminder_days)


def _draft_cutoff(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(days=settings.draft_retention_days)


def send_reminders(
    factory: sessionmaker[Session], settings: Settings, *, now: datetime, dry_run: bool
) -> list[str]:
    reminder_cutoff = _draft_reminder_cutoff(settings, now)
    due = and_(
        Referral.status == DRAFT,
        Referral.reminder_sent_at.is_(None),
        Referral.updated_at < reminder_cutoff,
        Referral.updated_at >= _draft_cutoff(settings, now),
    )
    with factory() as session:
        candidates = list(session.execute(select(Referral.id, Referral.reference).where(due)))
    if dry_run:
        return [reference for _id, reference in candidates]
    reminded = []
    for referral_id, reference in candidates:
        with factory() as session:
            result = session.execute(
                update(Referral)
                .where(Referral.id == referral_id, due)
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                continue  # saved again meanwhile, or reminded by another instance
            referral = session.get(Referral, referral_id)
            assert referral is not None
            owner = session.get(User, referral.owner_id)
            assert owner is not None
            reminder_mail(session, settings, referral, owner)
            record_event(
                session,
                Event.REFERRAL_DELETION_REMINDER_SENT,
                subject_type="referral",
                subject_id=reference,
                details={"deletion_date": deletion_date(referral, settings).date().isoformat()},
            )
            session.commit()
            reminded.append(reference)
    return reminded


def reminder_mail(session: Session, settings: Settings, referral: Referral, owner: User) -> None:
    """To the owner of a draft: it will be deleted soon. The reference only: no child data."""
    compose(
        session,
        settings,
        to=owner.email,
        kind="draft-reminder",
        personalisation={
            "name": owner.full_name,
            "reference": referral.reference,
            "retention_days": str(settings.draft_retention_days),
            "deletion_date": uk_date(deletion_date(referral, settings)),
            "draft_url": f"{settings.base_url}/referrals/{referral.reference}",
        },
    )


# Referrals deleted in one transaction, with their ended-draft rows and audit events.
DELETE_BATCH = 100


def delete_referrals(
    factory: sessionmaker[Session],
    settings: Settings,
    expired: ColumnElement[bool],
    *,
    reason: str,
    ended_as: str | None,
    now: datetime,
    dry_run: bool,
) -> list[str]:
    """Delete each referral matching `expired` (a condition, checked again in the DELETE),
    its answers and documents with it, and audit it; returns the references. With `ended_as`,
    each draft deleted is counted for the hub's reports as an ended draft (`EndedDraft`)."""
    with factory() as session:
        candidates = list(session.execute(select(Referral.id, Referral.reference).where(expired)))
    if dry_run:
        return [reference for _id, reference in candidates]
    deleted = []
    for start in range(0, len(candidates), DELETE_BATCH):
        batch = dict(candidates[start : start + DELETE_BATCH])
        with factory() as session:
            gone, documents = delete_batch(
                session, list(batch), expired, reason=reason, ended_as=ended_as, now=now
            )
            session.commit()
        for document in documents:
            store.forget_file(settings, document)
        deleted += [reference for referral_id, reference in batch.items() if referral_id in gone]
    return deleted


def delete_batch(
    session: Session,
    referral_ids: list[int],
    expired: ColumnElement[bool],
    *,
    reason: str,
    ended_as: str | None,
    now: datetime,
) -> tuple[set[int], list[Document]]:
    """Delete those of the referrals still matching `expired`, with a statement for each kind
    of row however many there are; returns the ids deleted and their documents. Only what the
    DELETE really removed is audited and counted: a referral saved again meanwhile, or deleted
    by another instance, is not. The caller commits."""
    found = {
        row.id: row
        for row in session.execute(
            select(Referral.id, Referral.reference, Referral.status, Referral.updated_at).where(
                Referral.id.in_(referral_ids)
            )
        )
    }
    documents = list(session.scalars(select(Document).where(Document.referral_id.in_(list(found)))))
    ended = ended_drafts(session, found, reason=ended_as, now=now) if ended_as else {}
    gone = set(
        session.scalars(
            delete(Referral)
            .where(Referral.id.in_(list(found)), expired)
            .returning(Referral.id)
            .execution_options(synchronize_session=False)
        )
    )
    keep_ended_drafts(session, ended, gone)
    for referral_id in gone:
        row = found[referral_id]
        record_event(
            session,
            Event.REFERRAL_DELETED,
            subject_type="referral",
            subject_id=row.reference,
            details={
                "reason": reason,
                "status": row.status,
                "last_saved": row.updated_at.date().isoformat(),
                "documents": sum(1 for d in documents if d.referral_id == referral_id),
            },
        )
    return gone, [document for document in documents if document.referral_id in gone]


def housekeeping(session: Session, *, now: datetime, dry_run: bool) -> dict[str, int]:
    """Short-lived records past their use: how many of each kind (deleted, unless dry_run)."""
    expired = {
        "starts made before signing in": (
            PendingStart,
            PendingStart.created_at < now - PENDING_START_LIFETIME,
        ),
        "forms kept after a timeout": (
            ParkedForm,
            ParkedForm.created_at < now - PARKED_FORM_LIFETIME,
        ),
        "email codes": (
            OneTimeCode,
            and_(
                OneTimeCode.created_at < now - CODE_KEEP,
                or_(OneTimeCode.used_at.is_not(None), OneTimeCode.expires_at < now),
            ),
        ),
        "sign-in attempts": (
            SignInAttempt,
            SignInAttempt.attempted_at < now - SIGN_IN_ATTEMPT_KEEP,
        ),
        "sent or failed emails": (
            OutboxMessage,
            or_(
                OutboxMessage.sent_at < now - SENT_MAIL_KEEP,
                OutboxMessage.failed_at < now - SENT_MAIL_KEEP,
            ),
        ),
    }
    counts: dict[str, int] = {}
    for what, (model, condition) in expired.items():
        if dry_run:
            number = session.scalar(select(func.count()).select_from(model).where(condition))
        else:
            result = session.execute(delete(model).where(condition))
            number = getattr(result, "rowcount", 0)
        if number:
            counts[what] = int(number)
    if not dry_run:
        session.commit()
    return counts


def purge(
    factory: sessionmaker[Session], settings: Settings, *, now: datetime, dry_run: bool = False
) -> PurgeReport:
    """Everything past its time, in order: reminders, expired drafts, sent forms past the
    hub's retention period, then short-lived records."""
    report = PurgeReport()
    report.reminded = send_reminders(factory, settings, now=now, dry_run=dry_run)
    expired_draft = and_(
        Referral.status == DRAFT, Referral.updated_at < _draft_cutoff(settings, now)
    )
    report.deleted_drafts = delete_referrals(
        factory,
        settings,
        expired_draft,
        reason="draft-expired",
        ended_as=EXPIRED,
        now=now,
        dry_run=dry_run,
    )
    if settings.hub_retention_days is not None:
        past_retention = and_(
            Referral.status == SUBMITTED,
            Referral.submitted_at < now - timedelta(days=settings.hub_retention_days),
        )
        report.deleted_submitted = delete_referrals(
            factory,
            settings,
            past_retention,
            reason="retention-period",
            ended_as=None,
            now=now,
            dry_run=dry_run,
        )
    with factory() as session:
        report.housekeeping = housekeeping(session, now=now, dry_run=dry_run)
    return report


class RetentionWorker(PeriodicWorker):
    """Runs the purge in the background every `PURGE_INTERVAL_MINUTES` while the app runs, at
    the app's clock's time."""

    name = "purge"
    task_name = "portal-retention"
    logger = logger

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        first_delay: float = FIRST_PASS_DELAY_SECONDS,
    ) -> None:
        super().__init__(interval=settings.purge_interval_minutes * 60, first_delay=first_delay)
        self.factory = factory
        self.settings = settings
        self.clock = clock

    def run_pass(self) -> bool:
        report = purge(self.factory, self.settings, now=self.clock())
        for line in report.lines(dry_run=False):
            if line != "nothing to purge":
                self.logger.info("purge: %s", line)
        return False
