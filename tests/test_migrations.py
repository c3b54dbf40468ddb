"""Migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import models
from app.db import Base, create_database_engine, create_session_factory
from app.migrations import alembic_config, upgrade_to_head


def schema_differences(database_url: str) -> list[object]:
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def insert_as_of_then(session: Session, table_name: str, **values: object) -> int:
    """A row written as the schema of an earlier revision has it (read from the database,
    not the models, which may have columns added since); its id."""
    table = Table(table_name, MetaData(), autoload_with=session.connection())
    result = session.execute(insert(table).values(**values))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def test_upgrade_head_produces_exactly_the_models_schema(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    assert schema_differences(empty_database_url) == []


def test_upgrade_is_repeatable_and_downgrade_returns_to_empty(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    upgrade_to_head(empty_database_url)  # a second run changes nothing and does not fail
    command.downgrade(alembic_config(empty_database_url), "base")
    engine = create_database_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade_to_head(empty_database_url)
    assert schema_differences(empty_database_url) == []


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET event_type = 'x'", "DELETE FROM audit_event"]
)
def test_the_database_refuses_to_change_the_audit_log(database_url: str, statement: str) -> None:
    engine = create_database_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                models.AuditEvent.__table__.insert().values(event_type="signed-in", details={})
            )
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT event_type FROM audit_event")).scalar() == (
                "signed-in"
            )
    finally:
        engine.dispose()


def test_text_stored_with_invisible_characters_is_cleaned_by_the_migration(
    empty_database_url: str,
) -> None:
    """Names, answers and messages stored before invisible formatting characters were kept
    out lose them when 0013 runs; everything else is left as it was."""
    command.upgrade(alembic_config(empty_database_url), "0012")
    engine = create_database_engine(empty_database_url)
    try:
        with create_session_factory(engine)() as session:
            user_id = insert_as_of_then(
                session,
                "user_account",
                email="rtl@school.example.org",
                email_key="rtl@school.example.org",
                forename="Ann\u200b",
                surname="\u202eSmith",
                password_hash="x",
                role="professional",
                session_version=1,
                created_at=datetime.now(UTC),
                password_changed_at=datetime.now(UTC),
            )
            referral_id = insert_as_of_then(
                session,
                "referral",
                reference="EH-2026-000001",
                owner_id=user_id,
                status="draft",
                referral_option="early-help",
                child_forename="Sam\u2067",
                child_surname="Smith\u202eevil",
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
            session.add(
                models.SectionAnswers(
                    referral_id=referral_id,
                    section_id="family",
                    answers={"child_forename": "Sam\ufeff", "languages": ["Fr\u00adench"]},
                    status="in-progress",
                    version=1,
                    updated_at=datetime.now(UTC),
                )
            )
            session.commit()
        upgrade_to_head(empty_database_url)
        with create_session_factory(engine)() as session:
            user = session.scalars(select(models.User)).one()
            referral = session.scalars(select(models.Referral)).one()
            answers = (
                session.scalars(
                    select(models.SectionAnswers).where(
                        models.SectionAnswers.section_id == "family"
                    )
                )
                .one()
                .answers
            )
        assert (user.forename, user.surname) == ("Ann", "Smith")
        assert (referral.child_forename, referral.child_surname) == ("Sam", "Smithevil")
        assert answers == {"child_forename": "Sam", "languages": ["French"]}
    finally:
        engine.dispose()


def test_the_unborn_child_answer_becomes_a_checkbox_and_back(empty_database_url: str) -> None:
    """0014: "Has the child been born?" answered "no" becomes the ticked box ["no"], "yes" no
    answer; other answers and sections are left alone; downgrading brings "no" back."""
    command.upgrade(alembic_config(empty_database_url), "0013")
    engine = create_database_engine(empty_database_url)
    stored = {
        "unborn": {"child_born": "no", "child_due_date": {"day": "1"}},
        "born": {"child_born": "yes", "child_forename": "Sam"},
        "unanswered": {"child_forename": "Kim"},
    }
    try:
        with create_session_factory(engine)() as session:
            user_id = insert_as_of_then(
                session,
                "user_account",
                email="born@school.example.org",
                email_key="born@school.example.org",
                forename="Ann",
                surname="Smith",
                password_hash="x",
                role="professional",
                session_version=1,
                created_at=datetime.now(UTC),
                password_changed_at=datetime.now(UTC),
            )
            ids = {}
            for name, answers in stored.items():
                referral_id = insert_as_of_then(
                    session,
                    "referral",
                    reference=f"EH-2026-{name}",
                    owner_id=user_id,
                    status="draft",
                    referral_option="early-help",
                    child_forename=name,
                    child_surname="Smith",
                    created_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                )
                row = models.SectionAnswers(
                    referral_id=referral_id, section_id="your-details", answers=answers
                )
                session.add(row)
                session.flush()
                ids[name] = row.id
            # The same question id in another section is not this question.
            session.add(
                models.SectionAnswers(
                    referral_id=referral_id, section_id="family", answers={"child_born": "no"}
                )
            )
            session.commit()

        def answers_now() -> dict[str, object]:
            with create_session_factory(engine)() as session:
                rows = session.scalars(select(models.SectionAnswers)).all()
                return {
                    next((n for n, i in ids.items() if i == row.id), row.section_id): row.answers
                    for row in rows
                }

        upgrade_to_head(empty_database_url)
        assert answers_now() == {
            "unborn": {"child_born": ["no"], "child_due_date": {"day": "1"}},
            "born": {"child_forename": "Sam"},
            "unanswered": {"child_forename": "Kim"},
            "family": {"child_born": "no"},
        }
        command.downgrade(alembic_config(empty_database_url), "0013")
        assert answers_now() == {
            "unborn": {"child_born": "no", "child_due_date": {"day": "1"}},
            "born": {"child_forename": "Sam"},
            "unanswered": {"child_forename": "Kim"},
            "family": {"child_born": "no"},
        }
    finally:
        engine.dispose()


def test_rebuilding_a_table_keeps_the_rows_that_refer_to_it(empty_database_url: str) -> None:
    """SQLite changes a table by copying it and dropping the old one: with foreign keys on,
    the drop would delete every row referring to it with ON DELETE CASCADE. 0015 rebuilds
    `document`; its contents, and every referral's answers, are all still there after it, and
    after going down and up again."""
    command.upgrade(alembic_config(empty_database_url), "0014")
    engine = create_database_engine(empty_database_url)
    now = datetime.now(UTC)
    try:
        with create_session_factory(engine)() as session:
            user_id = insert_as_of_then(
                session,
                "user_account",
                email="a@b.example",
                email_key="a@b.example",
                forename="Ann",
                surname="Smith",
                password_hash="x",
                role="professional",
                session_version=1,
                created_at=datetime.now(UTC),
                password_changed_at=datetime.now(UTC),
            )
            referral_id = insert_as_of_then(
                session,
                "referral",
                reference="EH-2026-000001",
                owner_id=user_id,
                status="draft",
                referral_option="early-help",
                child_forename="Sam",
                child_surname="Smith",
                created_at=now,
                updated_at=now,
            )
            session.add(
                models.SectionAnswers(
                    referral_id=referral_id,
                    section_id="your-details",
                    answers={},
                    status="in-progress",
                    version=1,
                    updated_at=now,
                )
            )
            session.flush()
            session.execute(
                models.Document.__table__.insert().values(
                    id=1,
                    key="k1",
                    referral_id=referral_id,
                    filename="consent.pdf",
                    kind="pdf",
                    content_type="application/pdf",
                    size=4,
                    sha256="x",
                    description="",
                    storage="database",
                    uploaded_at=now,
                )
            )
            session.execute(
                models.DocumentContent.__table__.insert().values(document_id=1, content=b"%PDF")
            )
            session.commit()

        def counts() -> tuple[int, int, int]:
            with engine.connect() as connection:
                return tuple(  # type: ignore[return-value]
                    connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("document", "document_content", "section_answers")
                )

        upgrade_to_head(empty_database_url)
        assert counts() == (1, 1, 1)
        command.downgrade(alembic_config(empty_database_url), "0014")
        assert counts() == (1, 1, 1)
        upgrade_to_head(empty_database_url)
        assert counts() == (1, 1, 1)
    finally:
        engine.dispose()


def test_allocation_columns_come_and_go_without_losing_any_referral(
    empty_database_url: str,
) -> None:
    """0016 adds the allocation columns in place: every referral keeps its answers and its
    timeline on the way up and on the way back down (copying the referral table instead
    would, on SQLite, delete everything that cascades from it)."""
    command.upgrade(alembic_config(empty_database_url), "0015")
    engine = create_database_engine(empty_database_url)
    now = datetime.now(UTC)

    def counts() -> list[int]:
        with engine.connect() as connection:
            return [
                int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("referral", "section_answers", "referral_message")
            ]

    try:
        with create_session_factory(engine)() as session:
            user_id = insert_as_of_then(
                session,
                "user_account",
                email="kept@school.example.org",
                email_key="kept@school.example.org",
                forename="Ann",
                surname="Smith",
                password_hash="x",
                role="professional",
                session_version=1,
                created_at=now,
                password_changed_at=now,
            )
            referral_id = insert_as_of_then(
                session,
                "referral",
                reference="EH-2026-000001",
                owner_id=user_id,
                status="submitted",
                referral_option="early-help",
                child_forename="Sam",
                child_surname="Smith",
                created_at=now,
                updated_at=now,
            )
            insert_as_of_then(
                session,
                "section_answers",
                referral_id=referral_id,
                section_id="your-details",
                answers={"child_forename": "Sam"},
                status="completed",
                version=1,
                updated_at=now,
            )
            insert_as_of_then(
                session,
                "referral_message",
                referral_id=referral_id,
                author_id=user_id,
                author_role="referrer",
                kind="message",
                body="Hello",
                created_at=now,
            )
            session.commit()
        assert counts() == [1, 1, 1]
        upgrade_to_head(empty_database_url)
        assert counts() == [1, 1, 1]
        command.downgrade(alembic_config(empty_database_url), "0015")
        assert counts() == [1, 1, 1]
    finally:
        engine.dispose()


def test_referrals_sent_before_due_dates_and_matches_get_their_fields(
    empty_database_url: str,
) -> None:
    """0017: a sent referral's first decision is its earliest status change away from
    "received"; its folded name and "Estimated DOB" come from its names and answers. Drafts
    are left alone, and downgrading removes the columns."""
    command.upgrade(alembic_config(empty_database_url), "0016")
    engine = create_database_engine(empty_database_url)
    sent_at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    try:
        with create_session_factory(engine)() as session:
            user_id = insert_as_of_then(
                session,
                "user_account",
                email="old@school.example.org",
                email_key="old@school.example.org",
                forename="Ann",
                surname="Smith",
                password_hash="x",
                role="professional",
                session_version=1,
                created_at=sent_at,
                password_changed_at=sent_at,
            )
            ids = {}
            for name, forename, status, born in (
                ("decided", "Zoë-Ann", "submitted", date(2020, 2, 29)),
                ("waiting", "Kim", "submitted", None),
                ("draft", "Dot", "draft", date(2021, 1, 1)),
            ):
                ids[name] = insert_as_of_then(
                    session,
                    "referral",
                    reference=f"EH-2026-{name}",
                    owner_id=user_id,
                    status=status,
                    referral_option="early-help",
                    child_forename=forename,
                    child_surname="O'Brien Smith",
                    child_date_of_birth=born,
                    created_at=sent_at,
                    updated_at=sent_at,
                    submitted_at=sent_at if status == "submitted" else None,
                    hub_status="received" if status == "submitted" else None,
                )
                insert_as_of_then(
                    session,
                    "section_answers",
                    referral_id=ids[name],
                    section_id="your-details",
                    answers={"child_dob_estimated": ["estimated"]},
                    status="completed",
                    version=1,
                    updated_at=sent_at,
                )
            for status, hours in (("received", 1), ("in-triage", 2), ("signposted", 3)):
                insert_as_of_then(
                    session,
                    "referral_message",
                    referral_id=ids["decided"],
                    author_role="hub",
                    kind="status",
                    status=status,
                    body="",
                    created_at=sent_at + timedelta(hours=hours),
                )
            insert_as_of_then(
                session,
                "referral_message",
                referral_id=ids["waiting"],
                author_role="hub",
                kind="urgency",
                status="red",
                body="",
                created_at=sent_at,
            )
            session.commit()
        upgrade_to_head(empty_database_url)
        with create_session_factory(engine)() as session:
            found = {
                referral.reference.removeprefix("EH-2026-"): (
                    referral.first_decision_at,
                    referral.child_name_key,
                    referral.child_dob_estimated,
                )
                for referral in session.scalars(select(models.Referral))
            }
            # Nothing that refers to a referral went with the columns added to it.
            kept = session.scalars(select(models.SectionAnswers.referral_id)).all()
            assert sorted(kept) == sorted(ids.values())
        assert found == {
            "decided": (sent_at + timedelta(hours=2), "zoeannobriensmith", True),
            # No date of birth (not yet born): nothing estimated.
            "waiting": (None, "kimobriensmith", False),
            "draft": (None, None, False),
        }
        command.downgrade(alembic_config(empty_database_url), "0016")
        columns = {column["name"] for column in inspect(engine).get_columns("referral")}
        assert not columns & {"first_decision_at", "child_name_key", "child_dob_estimated"}
    finally:
        engine.dispose()


def test_referrals_sent_before_the_reports_get_their_services_and_organisation_type(
    empty_database_url: str,
) -> None:
    """0019: every referral already sent gets one `referral_service` row per service ticked in
    its Request for Support (unknown codes and repeats left out), and its referrer's type of
    organisation where Your Details has a known one; drafts get neither. Down removes the
    tables and columns; up again fills them the same way."""
    command.upgrade(alembic_config(empty_database_url), "0018")
    engine = create_database_engine(empty_database_url)
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    stored = {
        # name: (status, services ticked, organisation type)
        "two": ("submitted", ["social-care", "send", "send"], "school"),
        "none": ("submitted", [], None),
        "odd": ("submitted", ["participation", "no-such-service"], "not-a-type"),
        "draft": ("draft", ["portage"], "health"),
    }
    try:
        with create_session_factory(engine)() as session:
            user_id = insert_as_of_then(
                session,
                "user_account",
                email="sent@school.example.org",
                email_key="sent@school.example.org",
                forename="Ann",
                surname="Smith",
                password_hash="x",
                role="hub",
                session_version=1,
                created_at=now,
                password_changed_at=now,
            )
            for name, (status, services, organisation_type) in stored.items():
                referral_id = insert_as_of_then(
                    session,
                    "referral",
                    reference=f"EH-2026-{name}",
                    owner_id=user_id,
                    status=status,
                    referral_option="early-help",
                    child_forename="Sam",
                    child_surname="Smith",
                    created_at=now,
                    updated_at=now,
                    submitted_at=now if status == "submitted" else None,
                )
                insert_as_of_then(
                    session,
                    "section_answers",
                    referral_id=referral_id,
                    section_id="request-for-support",
                    answers={"services": services},
                    status="completed",
                    version=1,
                    updated_at=now,
                )
                insert_as_of_then(
                    session,
                    "section_answers",
                    referral_id=referral_id,
                    section_id="your-details",
                    answers=(
                        {"referrer_organisation_type": organisation_type}
                        if organisation_type
                        else {}
                    ),
                    status="completed",
                    version=1,
                    updated_at=now,
                )
            session.commit()

        def filled() -> dict[str, tuple[list[str], str | None]]:
            with create_session_factory(engine)() as session:
                services = session.execute(
                    select(models.Referral.reference, models.ReferralService.service)
                    .join(models.Referral, models.Referral.id == models.ReferralService.referral_id)
                    .order_by(models.ReferralService.service)
                ).all()
                return {
                    referral.reference.removeprefix("EH-2026-"): (
                        [
                            service
                            for reference, service in services
                            if reference == referral.reference
                        ],
                        referral.referrer_organisation_type,
                    )
                    for referral in session.scalars(select(models.Referral))
                }

        expected = {
            "two": (["send", "social-care"], "school"),
            "none": ([], None),
            "odd": (["participation"], None),
            "draft": ([], None),
        }
        upgrade_to_head(empty_database_url)
        assert filled() == expected
        with engine.connect() as connection:
            manager = connection.execute(text("SELECT is_hub_manager FROM user_account")).scalar()
        assert manager in (False, 0)  # existing hub staff are not managers until granted

        command.downgrade(alembic_config(empty_database_url), "0018")
        inspector = inspect(engine)
        assert not {"referral_service", "ended_draft"} & set(inspector.get_table_names())
        assert "referrer_organisation_type" not in {
            column["name"] for column in inspector.get_columns("referral")
        }
        assert "is_hub_manager" not in {
            column["name"] for column in inspector.get_columns("user_account")
        }
        with engine.connect() as connection:
            # Nothing that refers to a referral went with the column removed from it.
            kept = connection.execute(text("SELECT count(*) FROM section_answers")).scalar_one()
        assert kept == 2 * len(stored)

        upgrade_to_head(empty_database_url)
        assert filled() == expected
    finally:
        engine.dispose()


def test_mail_queued_before_kinds_survives_the_kinds_columns_coming_and_going(
    empty_database_url: str,
) -> None:
    """0020 adds the outbox's kind and personalisation in place: a message queued before it
    keeps its address and text, with no kind (SMTP can still send it, GOV.UK Notify cannot),
    on the way up, back down and up again; a message queued with a kind keeps it."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0019")
    engine = create_database_engine(empty_database_url)
    now = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    queued = {
        "to_address": "kept@school.example.org",
        "subject": "Children's Portal: your code to finish registering",
        "text_body": "Your code is 123456\n",
        "html_body": "<p>Your code is 123456</p>",
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }

    def outbox() -> list[tuple[object, ...]]:
        with engine.connect() as connection:
            columns = {
                column["name"] for column in inspect(connection).get_columns("outbox_message")
            }
            wanted = ["id", "to_address", "subject", "text_body"]
            wanted += [name for name in ("kind", "personalisation") if name in columns]
            rows = connection.execute(
                text(f"SELECT {', '.join(wanted)} FROM outbox_message ORDER BY id")
            )
            return [tuple(row) for row in rows]

    try:
        with create_session_factory(engine)() as session:
            old_id = insert_as_of_then(session, "outbox_message", **queued)
            session.commit()
        before = outbox()
        assert before == [
            (old_id, queued["to_address"], queued["subject"], "Your code is 123456\n")
        ]

        upgrade_to_head(empty_database_url)
        assert outbox() == [(*before[0], None, None)]
        with create_session_factory(engine)() as session:
            new_id = insert_as_of_then(
                session,
                "outbox_message",
                **queued,
                kind="registration-code",
                personalisation={"code": "654321"},
            )
            session.commit()
        with create_session_factory(engine)() as session:
            message = session.get(models.OutboxMessage, new_id)
            assert message is not None
            assert (message.kind, message.personalisation) == (
                "registration-code",
                {"code": "654321"},
            )

        command.downgrade(config, "0019")
        assert [row[:4] for row in outbox()] == [
            before[0],
            (new_id, *before[0][1:]),
        ]
        upgrade_to_head(empty_database_url)
        assert [row[4:] for row in outbox()] == [(None, None), (None, None)]
        assert schema_differences(empty_database_url) == []
    finally:
        engine.dispose()
