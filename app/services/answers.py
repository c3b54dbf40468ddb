"""Storing a referral's answers: one JSON document per section, saved with a version check so a
stale browser tab can never silently overwrite newer answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, Update, and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.assessment import engine
from app.assessment.model import Section
from app.models import Referral, SectionAnswers
from app.services.referrals import lock_draft


def _compare_and_set(*, from_page: bool) -> Update:
    """The save's one statement, built once (the autosave runs it many times a second): write
    the answers if the section is still at the version the page had (or, `from_page`, the only
    saves since were earlier ones from the same page), and return the new version."""
    table = cast(Table, SectionAnswers.__table__)
    still_current = table.c.version == bindparam("expected_version")
    values: dict[str, Any] = {
        "answers": bindparam("new_answers", type_=table.c.answers.type),
        "status": bindparam("new_status"),
        "version": table.c.version + 1,
        "updated_at": bindparam("now", type_=table.c.updated_at.type),
    }
    if from_page:
        same_page_earlier = and_(
            table.c.page_token == bindparam("page"),
            table.c.page_seq < bindparam("seq"),
        )
        still_current = or_(still_current, same_page_earlier)
        values |= {"page_token": bindparam("page"), "page_seq": bindparam("seq")}
    return (
        update(table)
        .where(
            table.c.referral_id == bindparam("of_referral"),
            table.c.section_id == bindparam("of_section"),
            still_current,
        )
        .values(values)
        .returning(table.c.version)
    )


_SAVE = _compare_and_set(from_page=False)
_SAVE_FROM_PAGE = _compare_and_set(from_page=True)


class StaleAnswers(Exception):
    """The section was saved elsewhere (another tab) since this page was loaded."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"section is at version {current_version}")
        self.current_version = current_version


def stored_sections(session: Session, referral: Referral) -> dict[str, SectionAnswers]:
    rows = session.scalars(select(SectionAnswers).where(SectionAnswers.referral_id == referral.id))
    return {row.section_id: row for row in rows}


def answers_by_section(rows: dict[str, SectionAnswers]) -> dict[str, dict[str, Any]]:
    return {section_id: dict(row.answers) for section_id, row in rows.items()}


@dataclass(frozen=True)
class PageStamp:
    """Which open page saves (a random token made by its script) and that page's save number
    (rising with each of its requests)."""

    token: str
    seq: int


def save_section(
    session: Session,
    referral: Referral,
    section: Section,
    answers: dict[str, Any],
    *,
    expected_version: int,
    status: str,
    now: datetime,
    page: PageStamp | None = None,
) -> int:
    """Save a section's answers if nobody has saved it since `expected_version` (0: never
    saved); returns the new version. Raises StaleAnswers otherwise, and ReferralNotEditable
    once the referral has been sent. The caller commits.

    With a `page` stamp, a save also goes ahead when the only saves since `expected_version`
    were earlier ones from the same page: its autosave, cancelled in the browser by Next or Add
    after the server had stored it. The later request holds every answer of the earlier one,
    so nothing is lost; an earlier request arriving late is still refused."""
    lock_draft(session, referral, now=now)
    where_section = (
        SectionAnswers.referral_id == referral.id,
        SectionAnswers.section_id == section.id,
    )
    stamp = {"page_token": page.token, "page_seq": page.seq} if page else {}
    existing = (
        session.scalars(select(SectionAnswers).where(*where_section)).one_or_none()
        if expected_version == 0
        else None
    )
    if expected_version == 0 and existing is None:
        try:
            with session.begin_nested():
                session.add(
                    SectionAnswers(
                        referral_id=referral.id,
                        section_id=section.id,
                        answers=answers,
                        status=status,
                        version=1,
                        updated_at=now,
                        **stamp,
                    )
                )
        except IntegrityError as error:  # saved at the same moment by another request
            raise StaleAnswers(-1) from error
        new_version = 1
    else:
        # One statement: compare and write together, whatever other processes are doing.
        result = session.execute(
            _SAVE_FROM_PAGE if page else _SAVE,
            {
                "of_referral": referral.id,
                "of_section": section.id,
                "expected_version": expected_version,
                "new_answers": answers,
                "new_status": status,
                "now": now,
                **({"page": page.token, "seq": page.seq} if page else {}),
            },
        )
        written = result.scalar_one_or_none()
        if written is None:
            current = session.scalar(select(SectionAnswers.version).where(*where_section))
            raise StaleAnswers(current or 0)
        new_version = int(written)
    copy_list_fields(referral, section, answers, today=now.date())
    return new_version


def copy_list_fields(
    referral: Referral, section: Section, answers: dict[str, Any], *, today: date
) -> None:
    """Keep the referral's columns that lists and search use in step with the answers of the
    questions that declare them (`list_column`). An answer hidden by a condition (a date of
    birth for a child not yet born) clears its column; a column that cannot be empty (the
    child's name) keeps what it had."""
    shown = {q.id for q in engine.visible_questions(section, {section.id: answers})}
    columns = Referral.__table__.c
    for question in section.questions:
        if question.list_column is None:
            continue
        value = (
            question.type.column_value(question, answers.get(question.id), today=today)
            if question.id in shown
            else None
        )
        if value is not None or columns[question.list_column].nullable:
            setattr(referral, question.list_column, value)


def status_after_save(
    section: Section, all_answers: dict[str, dict[str, Any]], *, completed: bool
) -> str:
    """The stored status: completed when Next found no problems, otherwise in progress."""
    if completed:
        return engine.COMPLETED
    own = all_answers.get(section.id, {})
    answered = any(
        engine.is_answered(q, own.get(q.id)) for q in section.questions if q.stores_answer
    )
    return engine.IN_PROGRESS if answered else engine.NOT_STARTED
