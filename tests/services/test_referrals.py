"""Deleting a draft (app/services/referrals.py) as the hub's reports see it: one ended draft for
each draft deleted, however many times, and from however many tabs at once, it is deleted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, EndedDraft, Referral, User
from app.services.audit import Origin
from app.services.referrals import create_draft, delete_draft
from app.settings import Settings
from tests.conftest import add_professional

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ORIGIN = Origin(request_id="test", client_address="192.0.2.1")


def draft(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        owner = add_professional(session)
        referral = create_draft(
            session,
            owner,
            option_code="send",
            child_forename="Sam",
            child_surname="Smith",
            now=NOW,
        )
        session.commit()
        return referral.id


def count(sessions: sessionmaker[Session], what: object) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


def test_a_draft_deleted_again_from_a_page_drawn_before_is_counted_once(
    sessions: sessionmaker[Session],
) -> None:
    referral_id = draft(sessions)
    with sessions() as first, sessions() as second:
        in_first = first.get(Referral, referral_id)
        in_second = second.get(Referral, referral_id)
        assert in_first is not None and in_second is not None
        owner = first.get(User, in_first.owner_id)
        assert owner is not None
        delete_draft(first, in_first, owner, ORIGIN, now=NOW + timedelta(minutes=1))
        first.commit()
        assert delete_draft(second, in_second, owner, ORIGIN, now=NOW + timedelta(minutes=2)) == []
        second.commit()
    assert count(sessions, Referral) == 0
    assert count(sessions, EndedDraft) == 1
    with sessions() as session:
        [ended] = session.scalars(select(EndedDraft))
        assert (ended.reason, ended.referral_option, ended.ended_at) == (
            "deleted",
            "send",
            NOW + timedelta(minutes=1),
        )
        deleted_events = session.scalars(
            select(AuditEvent).where(AuditEvent.event_type == "referral.deleted")
        ).all()
    assert len(deleted_events) == 1


def test_two_tabs_deleting_a_draft_at_the_same_moment_count_it_once(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    referral_id = draft(sessions)
    tabs = 2
    barrier = threading.Barrier(tabs)
    failures: list[BaseException] = []

    def tab() -> None:
        # Each tab on an engine of its own, as two app instances behind a load balancer.
        engine = create_database_engine(settings.database_url)
        try:
            with create_session_factory(engine)() as session:
                referral = session.get(Referral, referral_id)
                assert referral is not None
                owner = session.get(User, referral.owner_id)
                assert owner is not None
                barrier.wait(timeout=30)
                delete_draft(session, referral, owner, ORIGIN, now=NOW)
                session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert count(sessions, Referral) == 0
    assert count(sessions, EndedDraft) == 1
