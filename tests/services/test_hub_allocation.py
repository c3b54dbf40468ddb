"""The hub service's allocation and internal notes: two staff changing an allocation at once,
allocating to someone who is not hub staff, notes refused when empty or too long, and a
referrer's timeline that never holds an allocation or a note."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, Referral, User
from app.services import hub
from app.services.accounts import create_user_by_operator, user_by_email
from app.services.referrals import SUBMITTED, create_draft
from app.settings import Settings
from testkit.journeys import STRONG_PASSWORD

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@pytest.fixture
def sessions(settings: Settings) -> Iterator[tuple[Session, Session]]:
    """Two sessions on one database, as two requests at once would have; a sent referral,
    a referrer and two members of hub staff in it."""
    engine = create_database_engine(settings.database_url)
    factory = create_session_factory(engine)
    with factory() as setup:
        for email, name, role in (
            ("rita.referrer@school.example.org", "Rita Referrer", "professional"),
            ("hana.hub@hillingdon.example.gov.uk", "Hana Hub", "hub"),
            ("colin.hub@hillingdon.example.gov.uk", "Colin Hub", "hub"),
        ):
            create_user_by_operator(
                setup, email=email, name=name, role=role, password=STRONG_PASSWORD, now=NOW
            )
        referrer = user_by_email(setup, "rita.referrer@school.example.org")
        assert referrer is not None
        referral = create_draft(
            setup,
            referrer,
            option_code="early-help",
            child_forename="Sam",
            child_surname="Smith",
            now=NOW,
        )
        referral.status, referral.submitted_at = SUBMITTED, NOW
        setup.commit()
    first, second = factory(), factory()
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        engine.dispose()


def staff(session: Session, name: str) -> User:
    user = user_by_email(session, f"{name}@hillingdon.example.gov.uk")
    assert user is not None
    return user


def the_referral(session: Session) -> Referral:
    return session.scalars(select(Referral)).one()


def test_two_staff_allocating_at_once_never_lose_who_had_it(
    sessions: tuple[Session, Session],
) -> None:
    first, second = sessions
    # Both read the referral unallocated; the second allocates it first.
    seen_by_first = the_referral(first)
    assert seen_by_first.allocated_to_id is None
    seen_by_second = the_referral(second)
    colin = staff(second, "colin.hub")
    assert hub.allocate(second, seen_by_second, colin, colin, now=NOW)
    second.commit()
    hana = staff(first, "hana.hub")
    with pytest.raises(hub.AllocationChanged):
        hub.allocate(first, seen_by_first, hana, hana, now=NOW)
    first.rollback()
    # Read again, it is Colin's; Hana's reallocation now says from whom.
    referral = the_referral(first)
    assert referral.allocated_to_id == colin.id
    assert hub.allocate(first, referral, hana, hana, now=NOW)
    first.commit()
    details = [
        event.details
        for event in first.scalars(
            select(AuditEvent)
            .where(AuditEvent.event_type == "referral.allocated")
            .order_by(AuditEvent.id)
        )
    ]
    assert details == [{"from": None, "to": colin.id}, {"from": colin.id, "to": hana.id}]
    entries = hub.timeline(first, referral, for_role=hub.HUB)
    assert hub.allocated_before(entries) == {entries[0].id: None, entries[1].id: colin.id}


def test_only_hub_staff_can_be_allocated_a_referral(sessions: tuple[Session, Session]) -> None:
    session, _ = sessions
    referral = the_referral(session)
    referrer = user_by_email(session, "rita.referrer@school.example.org")
    assert referrer is not None
    with pytest.raises(ValueError):
        hub.allocate(session, referral, staff(session, "hana.hub"), referrer, now=NOW)
    assert referral.allocated_to_id is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "Enter a note"), ("x" * 5001, "The note must be 5,000 characters or fewer")],
)
def test_an_empty_or_too_long_note_is_refused(
    sessions: tuple[Session, Session], text: str, problem: str
) -> None:
    session, _ = sessions
    assert hub.note_problem(text) == problem
    with pytest.raises(ValueError, match=problem):
        hub.add_note(session, the_referral(session), staff(session, "hana.hub"), text, now=NOW)


def test_the_referrers_timeline_never_holds_allocations_or_notes(
    sessions: tuple[Session, Session], settings: Settings
) -> None:
    session, _ = sessions
    referral = the_referral(session)
    hana = staff(session, "hana.hub")
    hub.allocate(session, referral, hana, hana, now=NOW)
    hub.add_note(session, referral, hana, "Internal: family known to us", now=NOW)
    hub.send_message(session, settings, referral, hana, "Thank you", role=hub.HUB, now=NOW)
    session.commit()
    assert [e.kind for e in hub.timeline(session, referral, for_role=hub.HUB)] == [
        "allocation",
        "note",
        "message",
    ]
    assert [e.kind for e in hub.timeline(session, referral, for_role=hub.REFERRER)] == ["message"]
    # The message is unread by the referrer; the note counts for nothing.
    assert hub.unread_for_referrer(session, [referral.id]) == {referral.id: 1}
