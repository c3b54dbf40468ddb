from __future__ import annotations

from sqlalchemy import select

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent
from app.services.audit import record_event


def test_an_event_is_written_when_the_caller_commits(database_url: str) -> None:
    engine = create_database_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        with sessions() as session:
            record_event(session, "signed-in", actor_user_id=7, request_id="abc")
            session.rollback()  # not committed: nothing kept
        with sessions() as session:
            assert session.scalars(select(AuditEvent)).all() == []
            record_event(session, "signed-in", actor_user_id=7, details={"method": "password"})
            session.commit()
        with sessions() as session:
            event = session.scalars(select(AuditEvent)).one()
            assert (event.event_type, event.actor_user_id) == ("signed-in", 7)
            assert event.details == {"method": "password"}
            assert event.occurred_at is not None
    finally:
        engine.dispose()
