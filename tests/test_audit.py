from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent
from app.services.audit import Event, Origin, record_event
from app.settings import Settings
from testkit.journeys import register


def test_an_event_is_written_when_the_caller_commits(database_url: str) -> None:
    engine = create_database_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        with sessions() as session:
            record_event(
                session, Event.SIGNED_IN, actor_user_id=7, origin=Origin("abc", "192.0.2.7")
            )
            session.rollback()  # not committed: nothing kept
        with sessions() as session:
            assert session.scalars(select(AuditEvent)).all() == []
            record_event(
                session,
                Event.SIGNED_IN,
                actor_user_id=7,
                origin=Origin("abc", "2001:db8::7"),
                details={"method": "password"},
            )
            session.commit()
        with sessions() as session:
            event = session.scalars(select(AuditEvent)).one()
            assert (event.event_type, event.actor_user_id) == ("signed-in", 7)
            assert (event.request_id, event.client_address) == ("abc", "2001:db8::7")
            assert event.details == {"method": "password"}
            assert event.occurred_at is not None
    finally:
        engine.dispose()


def test_events_from_requests_say_who_when_and_from_where(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, "ada@school.example.org")
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    finally:
        engine.dispose()
    assert [event.event_type for event in events] == ["registered", "email-verified"]
    for event in events:
        assert event.actor_user_id is not None and event.occurred_at is not None
        assert event.request_id and event.client_address == "testclient"


def test_every_kind_of_event_has_one_name_in_the_agreed_form() -> None:
    """One enum names every event; names are unique, and every name since the first
    release's account events reads "<subject>.<what happened>"."""
    first_release = {
        "registered", "email-verified", "signed-in", "signed-out", "sign-in-failed",
        "sign-in-throttled", "sign-in-refused-disabled", "password-accepted", "password-changed",
        "password-reset", "two-factor-enabled", "two-factor-disabled", "two-factor-reset",
        "recovery-codes-made", "recovery-code-used", "second-factor-failed", "account-disabled",
        "account-enabled", "referral-started",
    }  # fmt: skip
    names = [event.value for event in Event]
    assert len(names) == len(set(names))
    later = [name for name in names if name not in first_release]
    assert later and all(re.fullmatch(r"[a-z]+\.[a-z-]+", name) for name in later), later
