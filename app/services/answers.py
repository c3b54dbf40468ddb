"""Storing a referral's answers: one JSON document per section, saved with a version check so a
stale browser tab can never silently overwrite newer answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.assessment import engine
from app.assessment.model import Section
from app.models import Referral, SectionAnswers
from app.services.referrals import lock_draft


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


def save_section(
    session: Session,
    referral: Referral,
    section: Section,
    answers: dict[str, Any],
    *,
    expected_version: int,
    status: str,
    now: datetime,
) -> int:
    """Save a section's answers if nobody has saved it since `expected_version` (0: never
    saved); returns the new version. Raises StaleAnswers otherwise, and ReferralNotEditable
    once the referral has been sent. The caller commits."""
    lock_draft(session, referral, now=now)
    if expected_version == 0:
        existing = session.scalars(
            select(SectionAnswers).where(
                SectionAnswers.referral_id == referral.id,
                SectionAnswers.section_id == section.id,
            )
        ).one_or_none()
        if existing is not None:
            raise StaleAnswers(existing.version)
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
                    )
                )
        except IntegrityError as error:  # saved at the same moment by another request
            raise StaleAnswers(-1) from error
        new_version = 1
    else:
        # One statement: compare and write together, whatever other processes are doing.
        result = session.execute(
            update(SectionAnswers)
            .where(
                SectionAnswers.referral_id == referral.id,
                SectionAnswers.section_id == section.id,
                SectionAnswers.version == expected_version,
            )
            .values(answers=answers, status=status, version=expected_version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            current = session.scalar(
                select(SectionAnswers.version).where(
                    SectionAnswers.referral_id == referral.id,
                    SectionAnswers.section_id == section.id,
                )
            )
            raise StaleAnswers(current or 0)
        new_version = expected_version + 1
    copy_list_fields(referral, section, answers, today=now.date())
    return new_version


def copy_list_fields(
    referral: Referral, section: Section, answers: dict[str, Any], *, today: date
) -> None:
    """Keep the columns lists and search use (child's name, date of birth) in step."""
    if section.id != "your-details":
        return
    forename = str(answers.get("child_forename") or "").strip()
    surname = str(answers.get("child_surname") or "").strip()
    if forename:
        referral.child_forename = forename[:100]
    if surname:
        referral.child_surname = surname[:100]
    born = answers.get("child_born") == "yes"
    dob_question = section.question("child_dob")
    valid = (
        born
        and engine.is_answered(dob_question, answers.get("child_dob"))
        and engine.question_problem(dob_question, answers.get("child_dob"), today=today) is None
    )
    referral.child_date_of_birth = engine.answer_date(answers.get("child_dob")) if valid else None


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
