from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent
from app.services.audit import Origin, record_event
from app.settings import Settings
from tests.journeys import register


def test_an_event_is_written_when_the_caller_commits(database_url: str) -> None:
    engine = create_database_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        with sessions() as session:
            record_event(session, "signed-in", actor_user_id=7, origin=Origin("abc", "192.0.2.7"))
            session.rollback()  # not committed: nothing kept
        with sessions() as session:
            assert session.scalars(select(AuditEvent)).all() == []
            record_event(
                session,
                "signed-in",
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
