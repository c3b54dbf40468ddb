"""Starting a referral: a draft Early Help Assessment with a reference, owned by one user.

Someone who is not signed in can start one: the child's name waits server-side in
`PendingStart` until they sign in or register, and the draft is created then.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.assessment import engine
from app.assessment.engine import COMPLETED, STARTED_FOR_YOU
from app.assessment.reference import (
    PARTICIPATION_QUESTION,
    PARTICIPATION_SECTION,
    PARTICIPATION_TYPES,
    REFERRAL_OPTIONS,
    REQUEST_FOR_SUPPORT_QUESTION,
    REQUEST_FOR_SUPPORT_SECTION,
)
from app.assessment.schema import ASSESSMENT
from app.models import Document, EndedDraft, PendingStart, Referral, SectionAnswers, User
from app.services.audit import Event, Origin, record_event

# Long enough to register and find the emailed code; short on a shared computer.
PENDING_START_LIFETIME = timedelta(hours=2)
# A start made this recently in the same browser becomes the user's draft as soon as they have
# signed in or registered, and they are taken back to the form (as the help guide says): an
# hour is ample to register and fetch the emailed code. An older start may be someone else's,
# left on a shared computer, so the user is asked about it first.
CLAIM_WITHOUT_ASKING_WITHIN = timedelta(hours=1)
CHILD_NAME_MAX_LENGTH = 100


def child_name_problems(forename: str, surname: str) -> dict[str, str]:
    """Messages for the start page's two fields, keyed by field id."""
    problems: dict[str, str] = {}
    for field, value, label in (
        ("child_forename", forename, "forename"),
        ("child_surname", surname, "surname"),
    ):
        value = value.strip()
        if not value:
            problems[field] = f"Enter the child's {label}"
        elif len(value) > CHILD_NAME_MAX_LENGTH:
            problems[field] = (
                f"The child's {label} must be {CHILD_NAME_MAX_LENGTH} characters or fewer"
            )
    return problems


def participation_type_problem(option_code: str, participation_type: str) -> str | None:
    option = REFERRAL_OPTIONS[option_code]
    if option.asks_participation_type and participation_type not in dict(PARTICIPATION_TYPES):
        return "Select what the referral is about"
    return None


def _format_reference(referral_id: int, year: int) -> str:
    return f"EH-{year}-{referral_id:06d}"


def create_draft(
    session: Session,
    owner: User,
    *,
    option_code: str,
    child_forename: str,
    child_surname: str,
    participation_type: str | None = None,
    now: datetime,
) -> Referral:
    """A new draft referral for `owner`, started for them (`started_answers`)."""
    option = REFERRAL_OPTIONS[option_code]
    referral = Referral(
        # A unique placeholder until the id, which the reference is made from, is known.
        reference=f"pending-{secrets.token_hex(8)}",
        owner_id=owner.id,
        status="draft",
        referral_option=option.code,
        child_forename=child_forename.strip(),
        child_surname=child_surname.strip(),
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    referral.reference = _format_reference(referral.id, now.year)
    for section_id, answers in started_answers(
        session,
        owner,
        option_code=option.code,
        referral=referral,
        participation_type=participation_type,
        today=now.date(),
    ).items():
        session.add(
            SectionAnswers(
                referral_id=referral.id,
                section_id=section_id,
                answers=answers,
                status=STARTED_FOR_YOU,
                updated_at=now,
            )
        )
    record_event(
        session,
        Event.REFERRAL_STARTED,
        actor_user_id=owner.id,
        subject_type="referral",
        subject_id=referral.reference,
        details={"option": option.code},
    )
    return referral


def started_answers(
    session: Session,
    owner: User,
    *,
    option_code: str,
    referral: Referral,
    participation_type: str | None,
    today: date,
) -> dict[str, dict[str, Any]]:
    """The answers a new draft starts with, by section: the child's names from the start page,
    Request for Support ticked for the tile chosen (and the Participation Team's type), and the
    referrer's own details (`Question.remembered`) as they gave them on their last referral."""
    option = REFERRAL_OPTIONS[option_code]
    started: dict[str, dict[str, Any]] = {}
    forename_section, forename = ASSESSMENT.listed("child_forename")
    surname_section, surname = ASSESSMENT.listed("child_surname")
    started.setdefault(forename_section.id, {})[forename.id] = referral.child_forename
    started.setdefault(surname_section.id, {})[surname.id] = referral.child_surname
    if option.services:
        started[REQUEST_FOR_SUPPORT_SECTION] = {REQUEST_FOR_SUPPORT_QUESTION: list(option.services)}
    if option.asks_participation_type and participation_type:
        started[PARTICIPATION_SECTION] = {PARTICIPATION_QUESTION: participation_type}
    for section in ASSESSMENT.sections:
        remembered = [q for q in section.questions if q.remembered]
        earlier = (
            earlier_answers(session, owner, section.id, exclude=referral.id) if remembered else []
        )
        for question in remembered:
            value = next(
                (
                    answers[question.id]
                    for answers in earlier
                    if engine.is_answered(question, answers.get(question.id))
                    and engine.question_problem(question, answers[question.id], today=today) is None
                ),
                None,
            )
            if value is not None:
                started.setdefault(section.id, {})[question.id] = value
    return started


# How many of the referrer's latest referrals are looked at for their remembered details.
REMEMBERED_FROM = 10


def earlier_answers(
    session: Session, owner: User, section_id: str, *, exclude: int
) -> list[dict[str, Any]]:
    """The section's answers on the owner's other referrals (sent or draft), the most recently
    changed first."""
    rows = session.scalars(
        select(SectionAnswers.answers)
        .join(Referral, Referral.id == SectionAnswers.referral_id)
        .where(
            Referral.owner_id == owner.id,
            Referral.id != exclude,
            SectionAnswers.section_id == section_id,
        )
        .order_by(SectionAnswers.updated_at.desc(), SectionAnswers.id.desc())
        .limit(REMEMBERED_FROM)
    )
    return [answers for answers in rows if isinstance(answers, dict)]


def owned_referral(session: Session, owner: User, reference: str) -> Referral | None:
    """The referral with this reference if `owner` owns it; None otherwise (the caller
    answers 404 either way, so nobody learns that someone else's reference exists)."""
    return session.scalars(
        select(Referral).where(Referral.reference == reference, Referral.owner_id == owner.id)
    ).one_or_none()


DRAFT = "draft"
SUBMITTED = "submitted"
# The hub's first status for every sent referral (app/services/hub.py has them all).
RECEIVED = "received"


class ReferralNotEditable(Exception):
    """The referral has been sent to the hub: its answers and documents can no longer change."""

    def __init__(self, referral: Referral) -> None:
        super().__init__(referral.reference)
        self.referral = referral


# Built once: every save runs it. A save restarts the draft's 30 days, and with them its
# reminder.
_REFERRALS = cast(Table, Referral.__table__)
_LOCK_DRAFT = (
    update(_REFERRALS)
    .where(_REFERRALS.c.id == bindparam("referral_id"), _REFERRALS.c.status == DRAFT)
    .values(updated_at=bindparam("now", type_=_REFERRALS.c.updated_at.type), reminder_sent_at=None)
)


def lock_draft(session: Session, referral: Referral, *, now: datetime) -> None:
    """Before changing a referral's answers or documents: take the referral's row for this
    transaction and check it is still a draft (ReferralNotEditable otherwise).

    One conditional UPDATE does both, on every database: PostgreSQL locks the row (a submission
    running at the same moment waits for this change, or this change waits for it and then
    finds the referral sent), and SQLite takes its single write lock."""
    result = session.execute(_LOCK_DRAFT, {"referral_id": referral.id, "now": now})
    if getattr(result, "rowcount", 0) != 1:
        session.refresh(referral)
        raise ReferralNotEditable(referral)
    set_committed_value(referral, "updated_at", now)
    set_committed_value(referral, "reminder_sent_at", None)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keep_pending_start(
    session: Session,
    *,
    option_code: str,
    child_forename: str,
    child_surname: str,
    participation_type: str | None,
    now: datetime,
) -> str:
    """Keep a start made before signing in; returns the token for the user's session."""
    token = secrets.token_urlsafe(32)
    session.add(
        PendingStart(
            token_hash=_token_hash(token),
            referral_option=option_code,
            child_forename=child_forename.strip(),
            child_surname=child_surname.strip(),
            details={"participation_type": participation_type} if participation_type else {},
            created_at=now,
        )
    )
    return token


def pending_start(session: Session, token: str, *, now: datetime) -> PendingStart | None:
    """The start kept under this token, if it is still fresh."""
    pending = session.scalars(
        select(PendingStart).where(PendingStart.token_hash == _token_hash(token))
    ).one_or_none()
    if pending is None or now - pending.created_at > PENDING_START_LIFETIME:
        return None
    return pending


def is_recent_start(pending: PendingStart, *, now: datetime) -> bool:
    """Whether the start is recent enough to become a draft without asking the user."""
    return now - pending.created_at <= CLAIM_WITHOUT_ASKING_WITHIN


def claim_pending_start(
    session: Session,
    owner: User,
    token: str,
    *,
    now: datetime,
    asked: bool,
    origin: Origin | None = None,
) -> Referral | None:
    """Turn a kept start into a draft for the user who has now signed in (once), audited with
    whether they were asked first (an older start) or taken straight back to the form."""
    pending = session.scalars(
        select(PendingStart).where(PendingStart.token_hash == _token_hash(token))
    ).one_or_none()
    if pending is None:
        return None
    # Deleted by id and counted: of two tabs claiming at once, only one makes a draft.
    gone = session.execute(delete(PendingStart).where(PendingStart.id == pending.id))
    if cast("CursorResult[Any]", gone).rowcount != 1:
        return None
    if now - pending.created_at > PENDING_START_LIFETIME:
        return None
    referral = create_draft(
        session,
        owner,
        option_code=pending.referral_option,
        child_forename=pending.child_forename,
        child_surname=pending.child_surname,
        participation_type=pending.details.get("participation_type"),
        now=now,
    )
    record_event(
        session,
        Event.REFERRAL_START_CLAIMED,
        actor_user_id=owner.id,
        subject_type="referral",
        subject_id=referral.reference,
        origin=origin,
        details={"asked": asked},
    )
    return referral


def discard_pending_start(
    session: Session, pending: PendingStart, owner: User, origin: Origin | None = None
) -> None:
    """The user who signed in says a start made before it is not theirs: it is deleted
    (audited, without the child's name)."""
    session.delete(pending)
    record_event(
        session,
        Event.REFERRAL_START_DISCARDED,
        actor_user_id=owner.id,
        subject_type="pending-start",
        subject_id=str(pending.id),
        origin=origin,
    )


# Why an unsent draft ended (`EndedDraft.reason`).
DELETED_BY_OWNER = "deleted"
EXPIRED = "expired"


def ended_drafts(
    session: Session, referral_ids: Collection[int], *, reason: str, now: datetime
) -> dict[int, dict[str, Any]]:
    """What the hub's reports keep of each of these referrals that is a draft, if it is
    deleted now (`EndedDraft`'s columns, by referral id), read in one query before deleting:
    when it started, from which tile, the section the user saved last (a section only filled in
    by the portal, `STARTED_FOR_YOU`, is not theirs) and how many sections were completed."""
    last_saved = (
        select(SectionAnswers.section_id)
        .where(
            SectionAnswers.referral_id == Referral.id,
            SectionAnswers.status != STARTED_FOR_YOU,
        )
        .order_by(SectionAnswers.updated_at.desc(), SectionAnswers.id.desc())
        .limit(1)
        .correlate(Referral)
        .scalar_subquery()
    )
    completed = (
        select(func.count())
        .where(SectionAnswers.referral_id == Referral.id, SectionAnswers.status == COMPLETED)
        .correlate(Referral)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Referral.id, Referral.created_at, Referral.referral_option, last_saved, completed
        ).where(Referral.id.in_(list(referral_ids)), Referral.status == DRAFT)
    )
    return {
        referral_id: {
            "started_at": started_at,
            "ended_at": now,
            "reason": reason,
            "referral_option": option,
            "last_section": section_id,
            "sections_completed": int(count or 0),
        }
        for referral_id, started_at, option, section_id, count in rows
    }


def keep_ended_drafts(
    session: Session, ended: dict[int, dict[str, Any]], deleted: Collection[int]
) -> None:
    """Write the `EndedDraft` rows of the drafts that were deleted (one statement, however
    many): only those the DELETE really removed, so that a draft deleted twice at once, or by
    two app instances, is counted once."""
    rows = [ended[referral_id] for referral_id in deleted if referral_id in ended]
    if rows:
        # The table's own INSERT: the ORM's would split rows with and without a last section.
        session.execute(insert(cast(Table, EndedDraft.__table__)), rows)


def delete_draft(
    session: Session, referral: Referral, owner: User, origin: Origin, *, now: datetime
) -> list[Document]:
    """The owner deletes their draft, with its answers and documents, now (audited, and
    counted for the hub's reports as an ended draft); returns the documents, whose files the
    caller forgets once it has committed. A draft deleted a moment ago (a second click, another
    tab) is left as it is: there is nothing more to do."""
    try:
        lock_draft(session, referral, now=now)
    except InvalidRequestError:
        return []  # the referral's row is gone: deleted by the other request
    documents = list(session.scalars(select(Document).where(Document.referral_id == referral.id)))
    ended = ended_drafts(session, [referral.id], reason=DELETED_BY_OWNER, now=now)
    gone = session.execute(delete(Referral).where(Referral.id == referral.id))
    if cast("CursorResult[Any]", gone).rowcount != 1:
        return []
    keep_ended_drafts(session, ended, [referral.id])
    record_event(
        session,
        Event.REFERRAL_DELETED,
        actor_user_id=owner.id,
        subject_type="referral",
        subject_id=referral.reference,
        origin=origin,
        details={"reason": "deleted-by-owner", "status": DRAFT, "documents": len(documents)},
    )
    return documents
