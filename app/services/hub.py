"""The hub's side of a sent referral (help guide 6): the inbox, triage status and urgency,
allocation to a member of hub staff, messages both ways, internal notes, and removing a
document attached in error.

Hub staff read and act; they never change the referrer's answers (no function here touches
them). Every action is audited and becomes an entry in the referral's timeline
(`ReferralMessage`). Emails say only that there is something to read, with the reference.
The referrer's timeline holds only the kinds in REFERRER_KINDS: allocations and internal
notes are the hub's own, never shown, sent or emailed to the referrer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from app.models import AuditEvent, Document, DocumentContent, Referral, ReferralMessage, User
from app.services import decision_due
from app.services.account_mail import compose, sign_in_url
from app.services.audit import Event, Origin, record_event
from app.services.referrals import RECEIVED, SUBMITTED
from app.settings import Settings

HUB = "hub"
REFERRER = "referrer"

STATUSES: dict[str, str] = {
    "received": "Received",
    "in-triage": "In triage",
    "accepted-early-help": "Accepted for Early Help",
    "passed-to-mash": "Passed to MASH / Social Care",
    "signposted": "Signposted to other services",
    "no-further-action": "No further action",
}
# The statuses that are the hub's decision on the referral (the others are on the way to one).
OUTCOMES = frozenset({"accepted-early-help", "passed-to-mash", "signposted", "no-further-action"})
URGENCIES: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green"}
MESSAGE_MAX = 5000
NOTE_MAX = 5000
REASON_MAX = 1000
# Timeline entries: the kinds the referrer sees (messages, and status changes with theirs).
MESSAGE, STATUS, URGENCY, ALLOCATION, NOTE = "message", "status", "urgency", "allocation", "note"
REFERRER_KINDS = (MESSAGE, STATUS)
PER_PAGE = 25
# The inbox's own filter on the first decision, and its orders (newest first is the default).
OVERDUE = "overdue"
SORTS: dict[str, str] = {"": "Newest first", "due": "Due date, oldest first"}
REFERENCE = re.compile(r"(?i)(?:EH-?)?\d{4}-?\d{1,6}|EH-\d*")
# A whole reference, however it is written: EH-2026-000008, eh-2026-8, 2026-8.
WHOLE_REFERENCE = re.compile(r"(?i)(?:EH-?)?(\d{4})-(\d{1,6})")
# An NHS number as people write it: 943 476 5919, 943-476-5919, 9434765919.
NHS_NUMBER = re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{4}")


def message_problem(text: str, *, missing: str, name: str) -> str | None:
    """What is wrong with a message, a reply or a status message, if anything: `missing` when
    it must be given and is empty (None when it is optional)."""
    if not text:
        return missing or None
    if len(text) > MESSAGE_MAX:
        return f"{name} must be {MESSAGE_MAX:,} characters or fewer"
    return None


def note_problem(text: str) -> str | None:
    """What is wrong with an internal note, if anything."""
    if not text:
        return "Enter a note"
    if len(text) > NOTE_MAX:
        return f"The note must be {NOTE_MAX:,} characters or fewer"
    return None


class AlreadyRemoved(Exception):
    """The document was removed by someone else a moment ago."""


class AllocationChanged(Exception):
    """Someone else changed who the referral is allocated to a moment ago."""


def is_hub(user: User | None) -> bool:
    return user is not None and user.role == HUB


def is_hub_manager(user: User | None) -> bool:
    """Hub staff who also manage the hub (`portal grant-manager`): they see its reports."""
    return is_hub(user) and user is not None and user.is_hub_manager


# The inbox ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    referral: Referral
    referrer: User
    unread: int
    # Decided, or when the first decision is due and whether that is past.
    decision: decision_due.FirstDecision
    allocated_to: User | None = None


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    pages: int


def search_condition(query: str) -> ColumnElement[bool] | None:
    """What a search means: an NHS number (10 digits, spaces allowed), a reference (or part of
    one), or words of the child's name."""
    text = " ".join(query.split())
    if not text:
        return None
    if NHS_NUMBER.fullmatch(text):
        digits = re.sub(r"[ -]", "", text)
        return or_(Referral.child_nhs_number == digits, Referral.reference.contains(digits))
    if whole := WHOLE_REFERENCE.fullmatch(text):
        year, number = whole.groups()
        return Referral.reference.contains(f"{year}-{int(number):06d}")
    if REFERENCE.fullmatch(text):
        return Referral.reference.ilike(f"%{text.upper().replace('EH', '').strip('-')}%")
    name = func.lower(Referral.child_forename + " " + Referral.child_surname)
    return and_(*(name.contains(word.lower(), autoescape=True) for word in text.split(" ")))


def inbox(
    session: Session,
    *,
    status: str = "",
    referral_option: str = "",
    urgency: str = "",
    query: str = "",
    allocated_to: int | None = None,
    unallocated: bool = False,
    due: str = "",
    sort: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
    working_days: int = 1,
) -> InboxPage:
    """Sent referrals (never drafts), newest first (or by due date: `sort="due"`), filtered
    (`due="overdue"`: no decision yet, and past its due day at `now`; allocated to the user
    with id `allocated_to`, or `unallocated` ones only) and searched, one page of them, each
    with when its first decision is due."""
    now = now or datetime.now(UTC)
    conditions: list[ColumnElement[bool]] = [Referral.status == SUBMITTED]
    if unallocated:
        conditions.append(Referral.allocated_to_id.is_(None))
    elif allocated_to is not None:
        conditions.append(Referral.allocated_to_id == allocated_to)
    if due == OVERDUE:
        conditions.append(Referral.first_decision_at.is_(None))
        conditions.append(
            Referral.submitted_at < decision_due.overdue_if_sent_before(now, working_days)
        )
    if status in STATUSES:
        conditions.append(Referral.hub_status == status)
    if referral_option:
        conditions.append(Referral.referral_option == referral_option)
    if urgency == "none":
        conditions.append(Referral.urgency.is_(None))
    elif urgency in URGENCIES:
        conditions.append(Referral.urgency == urgency)
    searched = search_condition(query)
    if searched is not None:
        conditions.append(searched)
    total = int(session.scalar(select(func.count(Referral.id)).where(*conditions)) or 0)
    pages = max(1, ceil(total / per_page))
    page = min(max(page, 1), pages)
    unread = (
        select(ReferralMessage.referral_id, func.count(ReferralMessage.id).label("unread"))
        .where(ReferralMessage.author_role == REFERRER, ReferralMessage.read_at.is_(None))
        .group_by(ReferralMessage.referral_id)
        .subquery()
    )
    staff = aliased(User)
    # The due date follows the day sent: by due date is undecided ones first, oldest sent first.
    order = (
        (Referral.first_decision_at.is_not(None), Referral.submitted_at, Referral.id)
        if sort == "due"
        else (Referral.submitted_at.desc(), Referral.id.desc())
    )
    statement = (
        select(Referral, User, unread.c.unread, staff)
        .join(User, User.id == Referral.owner_id)
        .outerjoin(unread, unread.c.referral_id == Referral.id)
        .outerjoin(staff, staff.id == Referral.allocated_to_id)
        .where(*conditions)
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [
        InboxRow(
            referral,
            referrer,
            int(count or 0),
            decision_due.first_decision(referral, working_days, now=now),
            allocated,
        )
        for referral, referrer, count, allocated in session.execute(statement)
    ]
    return InboxPage(rows, total, page, pages)


def sent_referral(session: Session, reference: str) -> Referral | None:
    """A sent referral by reference, for hub staff (drafts are never theirs to see)."""
    return session.scalars(
        select(Referral).where(Referral.reference == reference, Referral.status == SUBMITTED)
    ).one_or_none()


# Timeline -----------------------------------------------------------------------------------


def timeline(session: Session, referral: Referral, *, for_role: str) -> list[ReferralMessage]:
    """The referral's messages and changes, oldest first. The referrer sees the messages and
    the status changes only (REFERRER_KINDS); urgency, allocation, internal notes and removed
    documents are the hub's own record."""
    statement = select(ReferralMessage).where(ReferralMessage.referral_id == referral.id)
    if for_role != HUB:
        statement = statement.where(ReferralMessage.kind.in_(REFERRER_KINDS))
    return list(session.scalars(statement.order_by(ReferralMessage.created_at, ReferralMessage.id)))


def authors_of(session: Session, entries: list[ReferralMessage]) -> dict[int, User]:
    """The people who wrote the entries, or were allocated the referral by one, by id (for
    names in the timeline)."""
    ids = {entry.author_id for entry in entries if entry.author_id is not None}
    ids |= {entry.allocated_to_id for entry in entries if entry.allocated_to_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}


def allocated_before(entries: list[ReferralMessage]) -> dict[int, int | None]:
    """For each allocation in a timeline (oldest first), by entry id: whom the referral was
    allocated to before it (None: nobody)."""
    before: dict[int, int | None] = {}
    holder: int | None = None
    for entry in entries:
        if entry.kind == ALLOCATION:
            before[entry.id] = holder
            holder = entry.allocated_to_id
    return before


def hub_staff(session: Session) -> list[User]:
    """Everyone a referral can be allocated to: hub staff whose accounts are not disabled,
    by name."""
    return list(
        session.scalars(
            select(User)
            .where(User.role == HUB, User.disabled_at.is_(None))
            .order_by(func.lower(User.forename), func.lower(User.surname), User.id)
        )
    )


def allocation_holders(session: Session) -> list[User]:
    """Whom the inbox can be filtered by: hub staff who can be allocated referrals, and
    anyone sent referrals are still allocated to (a disabled account, or one no longer hub
    staff), so that theirs can be found and reallocated. By name."""
    holding = select(Referral.allocated_to_id).where(Referral.status == SUBMITTED)
    return list(
        session.scalars(
            select(User)
            .where(
                or_(
                    and_(User.role == HUB, User.disabled_at.is_(None)),
                    User.id.in_(holding),
                )
            )
            .order_by(func.lower(User.forename), func.lower(User.surname), User.id)
        )
    )


def staff_names(staff: list[User]) -> dict[int, str]:
    """What to call each of them where one is chosen from a list: the name, with the email
    address too when two of them share a name."""
    counts: dict[str, int] = {}
    for user in staff:
        counts[user.full_name.casefold()] = counts.get(user.full_name.casefold(), 0) + 1
    return {
        user.id: (
            f"{user.full_name} ({user.email})"
            if counts[user.full_name.casefold()] > 1
            else user.full_name
        )
        for user in staff
    }


def unread_for_referrer(session: Session, referral_ids: list[int]) -> dict[int, int]:
    """How many messages from the hub (on their own, or with a status change) each referral
    has that its referrer has not read."""
    if not referral_ids:
        return {}
    rows = session.execute(
        select(ReferralMessage.referral_id, func.count(ReferralMessage.id))
        .where(
            ReferralMessage.referral_id.in_(referral_ids),
            ReferralMessage.author_role == HUB,
            # Messages, and status changes that came with one.
            ReferralMessage.kind.in_(REFERRER_KINDS),
            ReferralMessage.body != "",
            ReferralMessage.read_at.is_(None),
        )
        .group_by(ReferralMessage.referral_id)
    )
    return {referral_id: int(count) for referral_id, count in rows}


def record_view(
    session: Session, referral: Referral, viewer: User, origin: Origin, *, now: datetime
) -> None:
    """Hub staff opened the referral: audited (the "who has viewed it" list), and what the
    referrer wrote is read now."""
    _audit(session, Event.REFERRAL_VIEWED, viewer, referral, origin)
    mark_read(session, referral, reader_role=HUB, now=now)


def mark_read(session: Session, referral: Referral, *, reader_role: str, now: datetime) -> None:
    """Everything the other side wrote is read now."""
    session.execute(
        update(ReferralMessage)
        .where(
            ReferralMessage.referral_id == referral.id,
            ReferralMessage.author_role != reader_role,
            ReferralMessage.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )


def viewers(session: Session, referral: Referral) -> list[tuple[AuditEvent, User | None]]:
    """Who opened the referral in the hub, newest first (from the audit log)."""
    rows = session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(
            AuditEvent.event_type == Event.REFERRAL_VIEWED,
            AuditEvent.subject_type == "referral",
            AuditEvent.subject_id == referral.reference,
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(50)
    )
    return [(event, user) for event, user in rows]


# Actions ------------------------------------------------------------------------------------


def _entry(
    session: Session,
    referral: Referral,
    author: User,
    *,
    role: str,
    kind: str,
    body: str = "",
    status: str | None = None,
    allocated_to_id: int | None = None,
    now: datetime,
) -> ReferralMessage:
    entry = ReferralMessage(
        referral_id=referral.id,
        author_id=author.id,
        author_role=role,
        kind=kind,
        status=status,
        body=body,
        allocated_to_id=allocated_to_id,
        created_at=now,
    )
    session.add(entry)
    return entry


def _audit(
    session: Session,
    event: Event,
    actor: User,
    referral: Referral,
    origin: Origin | None,
    **details: object,
) -> None:
    record_event(
        session,
        event,
        actor_user_id=actor.id,
        subject_type="referral",
        subject_id=referral.reference,
        origin=origin,
        details=dict(details),
    )


def set_status(
    session: Session,
    settings: Settings,
    referral: Referral,
    hub_user: User,
    status: str,
    message: str,
    *,
    now: datetime,
    origin: Origin | None = None,
) -> None:
    """A new triage status, with an optional message to the referrer (emailed that there is
    one)."""
    if status not in STATUSES:
        raise ValueError(status)
    if status != RECEIVED and referral.first_decision_at is None:
        referral.first_decision_at = now
    referral.hub_status = status
    _entry(
        session, referral, hub_user, role=HUB, kind="status", status=status, body=message, now=now
    )
    _audit(session, Event.REFERRAL_STATUS_CHANGED, hub_user, referral, origin, status=status)
    if message:
        new_message_mail(session, settings, referral)


def set_urgency(
    session: Session,
    referral: Referral,
    hub_user: User,
    urgency: str,
    *,
    now: datetime,
    origin: Origin | None = None,
) -> None:
    if urgency not in URGENCIES:
        raise ValueError(urgency)
    referral.urgency = urgency
    _entry(session, referral, hub_user, role=HUB, kind="urgency", status=urgency, now=now)
    _audit(session, Event.REFERRAL_URGENCY_CHANGED, hub_user, referral, origin, urgency=urgency)


def allocate(
    session: Session,
    referral: Referral,
    hub_user: User,
    to: User | None,
    *,
    now: datetime,
    origin: Origin | None = None,
) -> bool:
    """Allocate the referral to a member of hub staff (`to`), or to nobody: a timeline entry
    and an audit event saying who did it, from whom and to whom. False when it already was;
    AllocationChanged when someone else changed it since the referral was read."""
    if to is not None and (to.role != HUB or to.is_disabled):
        raise ValueError(to.id)
    before = referral.allocated_to_id
    target = to.id if to is not None else None
    if before == target:
        return False
    unchanged = (
        Referral.allocated_to_id.is_(None) if before is None else Referral.allocated_to_id == before
    )
    result = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, unchanged)
        .values(allocated_to_id=target)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise AllocationChanged(referral.reference)
    set_committed_value(referral, "allocated_to_id", target)
    _entry(session, referral, hub_user, role=HUB, kind=ALLOCATION, allocated_to_id=target, now=now)
    _audit(
        session,
        Event.REFERRAL_ALLOCATED,
        hub_user,
        referral,
        origin,
        **{"from": before, "to": target},
    )
    return True


def add_note(
    session: Session,
    referral: Referral,
    hub_user: User,
    text: str,
    *,
    now: datetime,
    origin: Origin | None = None,
) -> ReferralMessage:
    """An internal note in the referral's timeline, for hub staff only: the referrer never
    sees it, and nobody is emailed."""
    problem = note_problem(text)
    if problem:
        raise ValueError(problem)
    entry = _entry(session, referral, hub_user, role=HUB, kind=NOTE, body=text, now=now)
    session.flush()
    _audit(session, Event.REFERRAL_NOTE_ADDED, hub_user, referral, origin, note=entry.id)
    return entry


def send_message(
    session: Session,
    settings: Settings,
    referral: Referral,
    author: User,
    body: str,
    *,
    role: str,
    now: datetime,
    origin: Origin | None = None,
) -> ReferralMessage:
    """A message from the hub to the referrer, or the referrer's reply (which may carry
    documents: the caller adds them, with the entry's id); the other side is emailed that
    there is one."""
    entry = _entry(session, referral, author, role=role, kind="message", body=body, now=now)
    _audit(session, Event.REFERRAL_MESSAGE_SENT, author, referral, origin, by=role)
    if role == HUB:
        new_message_mail(session, settings, referral)
    elif settings.hub_notify_email:
        reply_mail(session, settings, referral)
    session.flush()
    return entry


def remove_document(
    session: Session,
    referral: Referral,
    document: Document,
    hub_user: User,
    reason: str,
    *,
    now: datetime,
    origin: Origin | None = None,
) -> None:
    """Destroy a document attached in error, keeping the record of it: who removed it, when
    and why. The caller commits, then removes a directory-stored file (`store.forget_file`).
    Two staff removing it at once: one does, the other gets AlreadyRemoved."""
    result = session.execute(
        update(Document)
        .where(Document.id == document.id, Document.removed_at.is_(None))
        .values(removed_at=now, removed_by_id=hub_user.id, removed_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise AlreadyRemoved(document.filename)
    session.refresh(document)
    content = session.get(DocumentContent, document.id)
    if content is not None:
        session.delete(content)
    _entry(
        session,
        referral,
        hub_user,
        role=HUB,
        kind="document-removed",
        body=f"{document.filename}: {reason}",
        now=now,
    )
    _audit(
        session,
        Event.DOCUMENT_REMOVED,
        hub_user,
        referral,
        origin,
        document=document.key,
        by="hub",
    )


# Emails: never any child or family data, only the reference and where to read --------------


def new_message_mail(session: Session, settings: Settings, referral: Referral) -> None:
    owner = session.get(User, referral.owner_id)
    if owner is None:
        return
    compose(
        session,
        settings,
        to=owner.email,
        kind="hub-message",
        personalisation={
            "name": owner.full_name,
            "reference": referral.reference,
            "sign_in_url": sign_in_url(settings),
        },
    )


def reply_mail(session: Session, settings: Settings, referral: Referral) -> None:
    compose(
        session,
        settings,
        to=settings.hub_notify_email,
        kind="referrer-reply",
        personalisation={"reference": referral.reference, "sign_in_url": sign_in_url(settings)},
    )
