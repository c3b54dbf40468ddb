"""Other sent referrals of the same child, for hub staff only.

Two referrals are a *match* when their NHS numbers agree. They are a *possible match* when the
child's names agree once folded (`name_key`: case, accents, spaces, hyphens and apostrophes
ignored) and so do the dates of birth: the same day, or within `ESTIMATED_DOB_TOLERANCE` of
each other when either referrer ticked "Estimated DOB". Two different NHS numbers mean two
different children, whatever the names. A child with no date of birth (not yet born) is
matched by NHS number only.

Both look-ups use indexed columns (`child_nhs_number`; `child_name_key` with
`child_date_of_birth`), so the cost does not grow with the number of referrals.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assessment.schema import ASSESSMENT
from app.models import Referral, SectionAnswers
from app.services.referrals import SUBMITTED

# How far apart two dates of birth may be, when either is estimated, for a possible match.
ESTIMATED_DOB_TOLERANCE = timedelta(days=366)
ESTIMATED_DOB_TOLERANCE_TEXT = "a year"
ESTIMATED_QUESTION = "child_dob_estimated"
MAX_SHOWN = 50
# At most this many rows read from each index (the same child referred hundreds of times).
CANDIDATES = 500

MATCH = "match"
POSSIBLE_MATCH = "possible-match"


def name_key(forename: str, surname: str) -> str:
    """The child's names folded for comparing: "Zoë Smith-Jones" and "zoe smith jones" agree."""
    decomposed = unicodedata.normalize("NFKD", f"{forename}{surname}")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in bare.casefold() if c.isalnum())[:200]


def dob_estimated(answers: dict[str, Any]) -> bool:
    """Whether the referrer ticked "Estimated DOB", from the answers of its section."""
    value = answers.get(ESTIMATED_QUESTION)
    return isinstance(value, list) and "estimated" in value


def keep_match_fields(session: Session, referral: Referral) -> None:
    """Copy what matching needs onto the referral as it is sent (its answers are final)."""
    referral.child_name_key = name_key(referral.child_forename, referral.child_surname)
    section_id = next(
        section.id
        for section in ASSESSMENT.sections
        if any(question.id == ESTIMATED_QUESTION for question in section.questions)
    )
    answers = session.scalar(
        select(SectionAnswers.answers).where(
            SectionAnswers.referral_id == referral.id, SectionAnswers.section_id == section_id
        )
    )
    referral.child_dob_estimated = bool(
        referral.child_date_of_birth and dob_estimated(dict(answers or {}))
    )


@dataclass(frozen=True)
class ChildMatch:
    referral: Referral
    kind: str  # MATCH or POSSIBLE_MATCH

    @property
    def is_match(self) -> bool:
        return self.kind == MATCH


def _dates_agree(first: Referral, second: Referral) -> bool:
    if first.child_date_of_birth is None or second.child_date_of_birth is None:
        return False
    apart = abs(first.child_date_of_birth - second.child_date_of_birth)
    if first.child_dob_estimated or second.child_dob_estimated:
        return apart <= ESTIMATED_DOB_TOLERANCE
    return apart == timedelta(0)


def other_referrals(session: Session, referral: Referral) -> list[ChildMatch]:
    """The other sent referrals of the same child, newest first: matches (same NHS number) and
    possible matches (same names and date of birth)."""
    # One look-up per index (with "status" in the same statement the planner may prefer the
    # status index and walk every sent referral); drafts are dropped afterwards.
    lookups = []
    if referral.child_nhs_number:
        lookups.append(Referral.child_nhs_number == referral.child_nhs_number)
    born: date | None = referral.child_date_of_birth
    if referral.child_name_key and born is not None:
        lookups.append(
            (Referral.child_name_key == referral.child_name_key)
            & Referral.child_date_of_birth.between(
                born - ESTIMATED_DOB_TOLERANCE, born + ESTIMATED_DOB_TOLERANCE
            )
        )
    candidates: dict[int, Referral] = {}
    for lookup in lookups:
        for other in session.scalars(select(Referral).where(lookup).limit(CANDIDATES)):
            if other.status == SUBMITTED and other.id != referral.id:
                candidates[other.id] = other
    found = []
    for other in candidates.values():
        both_numbers = referral.child_nhs_number and other.child_nhs_number
        if both_numbers and other.child_nhs_number == referral.child_nhs_number:
            found.append(ChildMatch(other, MATCH))
        elif not both_numbers and _dates_agree(referral, other):
            found.append(ChildMatch(other, POSSIBLE_MATCH))
    found.sort(key=lambda match: (match.referral.submitted_at, match.referral.id), reverse=True)
    return found[:MAX_SHOWN]
