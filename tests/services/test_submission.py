"""Sending (app/services/submission.py) as the hub's reports see it: the services a referral
asks for are kept as it is sent, from its Request for Support as it stands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.models import ReferralService, SectionAnswers
from app.services.referrals import create_draft
from app.services.submission import submit
from app.settings import Settings
from tests.conftest import add_professional
from tests.services.test_referrals import NOW


def sent_services(
    sessions: sessionmaker[Session],
    settings: Settings,
    option: str,
    *,
    participation_type: str | None = None,
    services: object = None,
) -> list[str]:
    """Start a referral from the tile `option`, answer Request for Support with `services`
    (None: as the tile left it), send it, and read back the services it was counted under."""
    with sessions() as session:
        owner = add_professional(session, f"{option}@school.example.org")
        referral = create_draft(
            session,
            owner,
            option_code=option,
            child_forename="Sam",
            child_surname="Smith",
            participation_type=participation_type,
            now=NOW,
        )
        if services is not None:
            session.add(
                SectionAnswers(
                    referral_id=referral.id,
                    section_id="request-for-support",
                    answers={"services": services},
                    status="completed",
                )
            )
        session.flush()
        assert submit(session, settings, referral, owner, now=NOW)
        session.commit()
        return sorted(
            session.scalars(
                select(ReferralService.service).where(ReferralService.referral_id == referral.id)
            )
        )


def test_the_attendance_tile_is_counted_under_the_participation_team(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    assert sent_services(sessions, settings, "attendance", participation_type="attendance") == [
        "participation"
    ]


def test_a_referral_asking_for_no_particular_service_is_counted_under_none(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    assert sent_services(sessions, settings, "early-help") == []


def test_only_known_services_are_counted_and_each_once(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    """Answers saved as typed from a tampered form: an unknown code, a repeat, not a code."""
    chosen = ["portage", "social-care", "portage", "no-such-service", {"x": 1}]
    assert sent_services(sessions, settings, "early-help", services=chosen) == [
        "portage",
        "social-care",
    ]
