"""How long things are kept (help guide 10 and 11), and the purge that enforces it: one reminder
seven days before a draft is deleted (no child data in it), drafts deleted 30 days after their
last save with their answers and documents, a save restarting the 30 days, sent forms kept
unless the council sets a retention period, short-lived records cleared, a dry run that
changes nothing, several app instances purging at once acting once on each item, and the
worker that runs it all from the app's lifespan."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import (
    AuditEvent,
    Document,
    DocumentContent,
    EndedDraft,
    OneTimeCode,
    OutboxMessage,
    ParkedForm,
    PendingStart,
    Referral,
    ReferralSubmission,
    SectionAnswers,
    SignInAttempt,
    User,
)
from app.services.documents import Upload, add_documents
from app.services.mail import enqueue_mail
from app.services.parked_forms import park_form
from app.services.referrals import create_draft, keep_pending_start
from app.services.retention import (
    PurgeReport,
    RetentionWorker,
    deletion_date,
    purge,
    visible_until,
)
from app.services.submission import submit
from app.settings import Settings
from testkit.journeys import (
    COMPLETE_ANSWERS,
    complete_referral,
    complete_section,
    mail_to,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock, make_settings
from tests.routes.test_documents import files_in, upload
from tests.services.test_documents import pdf_bytes

EMAIL = "octavia.hill@health.example.org"
# Names that appear nowhere else: a mail or audit record that mentions them carries the
# child's data.
CHILD_FORENAME = "Zebedee"
CHILD_SURNAME = "Farquharson"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DIRECTORY = {"document_storage": "directory"}
STORAGES = pytest.mark.parametrize(
    "settings", [{}, DIRECTORY], indirect=True, ids=["database-store", "directory-store"]
)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The test settings, with the document store a test asks for (indirect parametrisation)."""
    overrides: dict[str, Any] = dict(getattr(request, "param", {}))
    if overrides.get("document_storage") == "directory":
        overrides["document_directory"] = tmp_path / "documents"
    return make_settings(database_url, **overrides)


@contextmanager
def session_factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A factory on an engine of its own, as another app instance or `portal purge` has."""
    engine = create_database_engine(settings.database_url)
    try:
        yield create_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    with session_factory(settings) as factory:
        yield factory


def run_purge(settings: Settings, now: datetime, *, dry_run: bool = False) -> PurgeReport:
    with session_factory(settings) as factory:
        return purge(factory, settings, now=now, dry_run=dry_run)


# The database, read directly --------------------------------------------------------------


def referral_row(settings: Settings, reference: str) -> Referral | None:
    with session_factory(settings) as factory, factory() as session:
        return session.scalars(
            select(Referral).where(Referral.reference == reference)
        ).one_or_none()


def row_counts(settings: Settings) -> dict[str, int]:
    """How many rows every table the purge touches holds."""
    models = (
        Referral,
        SectionAnswers,
        ReferralSubmission,
        Document,
        DocumentContent,
        PendingStart,
        ParkedForm,
        OneTimeCode,
        SignInAttempt,
        OutboxMessage,
        AuditEvent,
        EndedDraft,
    )
    with session_factory(settings) as factory, factory() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in models
        }


def audit_events(settings: Settings, event_type: str) -> list[AuditEvent]:
    with session_factory(settings) as factory, factory() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.event_type == event_type)
                .order_by(AuditEvent.id)
            )
        )


def reminders(settings: Settings, address: str = EMAIL) -> list[OutboxMessage]:
    return [mail for mail in mail_to(settings, address) if "will be deleted" in mail.subject]


def answers_of(settings: Settings, referral_id: int) -> int:
    with session_factory(settings) as factory, factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(SectionAnswers)
                .where(SectionAnswers.referral_id == referral_id)
            )
            or 0
        )


# Records made through the services, without the app ---------------------------------------


def professional(sessions: sessionmaker[Session], email: str) -> int:
    with sessions() as session:
        user = User(
            email=email,
            email_key=email.lower(),
            forename="Octavia",
            surname="Hill",
            password_hash="not-a-real-hash",
        )
        session.add(user)
        session.commit()
        return user.id


def saved_draft(
    sessions: sessionmaker[Session],
    owner_id: int,
    saved_at: datetime,
    *,
    forename: str = CHILD_FORENAME,
    surname: str = CHILD_SURNAME,
) -> str:
    """A draft last saved at `saved_at`; returns its reference."""
    with sessions() as session:
        owner = session.get(User, owner_id)
        assert owner is not None
        referral = create_draft(
            session,
            owner,
            option_code="early-help",
            child_forename=forename,
            child_surname=surname,
            now=saved_at,
        )
        session.commit()
        return referral.reference


def attach_document(
    sessions: sessionmaker[Session], settings: Settings, reference: str, filename: str
) -> None:
    with sessions() as session:
        referral = session.scalars(select(Referral).where(Referral.reference == reference)).one()
        owner = session.get(User, referral.owner_id)
        assert owner is not None
        added, problems = add_documents(
            session,
            settings,
            referral,
            owner,
            [Upload(filename, pdf_bytes())],
            "consent",
            now=referral.updated_at,
        )
        assert added and not problems
        session.commit()


def sent_referral(
    sessions: sessionmaker[Session], settings: Settings, owner_id: int, sent_at: datetime
) -> str:
    """A referral sent to the hub at `sent_at` (the services Send to Local Authority uses)."""
    reference = saved_draft(sessions, owner_id, sent_at)
    with sessions() as session:
        referral = session.scalars(select(Referral).where(Referral.reference == reference)).one()
        owner = session.get(User, owner_id)
        assert owner is not None
        assert submit(session, settings, referral, owner, now=sent_at)
        session.commit()
    return reference


# Reminders ----------------------------------------------------------------------------------


def test_owner_is_reminded_once_seven_days_before_a_draft_is_deleted(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    started = clock()
    # Eight days before it would be deleted, and seven days and a minute before: too early.
    clock.advance(days=22)
    assert run_purge(settings, clock()).reminded == []
    clock.advance(days=1, minutes=-1)
    assert run_purge(settings, clock()).reminded == []
    assert reminders(settings) == []

    clock.advance(minutes=2)  # seven days less a minute before it would be deleted
    report = run_purge(settings, clock())

    assert report.reminded == [reference]
    assert f"remind the owner of draft {reference}" in report.lines(dry_run=False)
    [mail] = reminders(settings)
    assert reference in mail.subject
    assert "23 December 2026" in mail.subject  # 30 days after 23 November
    for body in (mail.text_body, mail.html_body):
        assert f"http://testserver/referrals/{reference}" in body
        assert "23 December 2026" in body
    for part in (mail.subject, mail.text_body, mail.html_body):
        assert CHILD_FORENAME not in part and CHILD_SURNAME not in part
    stored = referral_row(settings, reference)
    assert stored is not None and stored.reminder_sent_at == clock()
    assert stored.updated_at == started  # a reminder is not a save
    [event] = audit_events(settings, "referral.deletion-reminder-sent")
    assert event.subject_id == reference
    assert CHILD_FORENAME not in json.dumps(event.details)

    # Once: later passes up to the deletion send no more.
    for _ in range(3):
        clock.advance(days=2)
        assert run_purge(settings, clock()).reminded == []
    assert len(reminders(settings)) == 1


def test_saving_a_draft_clears_its_reminder_and_restarts_its_thirty_days(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    clock.advance(days=23, minutes=1)
    assert run_purge(settings, clock()).reminded == [reference]
    clock.advance(days=6)  # a day before it would be deleted, the professional saves it

    sign_in(client, EMAIL)  # the session ended while the days went by
    complete_section(client, reference, "family", COMPLETE_ANSWERS["family"])
    saved = clock()

    stored = referral_row(settings, reference)
    assert stored is not None
    assert (stored.updated_at, stored.reminder_sent_at) == (saved, None)
    assert "21 January 2027" in client.get("/recover").text  # 30 days after the save
    # The day it would have been deleted passes: nothing is deleted, nobody is reminded again.
    clock.advance(days=1, minutes=1)
    report = run_purge(settings, clock())
    assert (report.reminded, report.deleted_drafts) == ([], [])
    assert referral_row(settings, reference) is not None
    assert len(reminders(settings)) == 1
    # The new 30 days bring their own reminder, and then the deletion.
    clock.advance(days=22)
    assert run_purge(settings, clock()).reminded == [reference]
    [_, second] = reminders(settings)
    assert "21 January 2027" in second.subject
    clock.advance(days=7)
    assert run_purge(settings, clock()).deleted_drafts == [reference]


def test_a_draft_never_saved_again_in_its_last_week_is_still_reminded_only_once(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    owner = professional(sessions, EMAIL)
    references = [saved_draft(sessions, owner, NOW - timedelta(days=days)) for days in (24, 25)]
    assert sorted(run_purge(settings, NOW).reminded) == sorted(references)
    assert run_purge(settings, NOW + timedelta(hours=1)).reminded == []
    assert len(reminders(settings)) == 2


# Expired drafts -----------------------------------------------------------------------------


@STORAGES
def test_a_draft_is_deleted_thirty_days_after_its_last_save_with_its_answers_and_documents(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    kept = start_referral(client, "Lee", "Brown")
    clock.advance(minutes=10)
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    complete_section(client, reference, "family", COMPLETE_ANSWERS["family"])
    consent = f"{CHILD_FORENAME} {CHILD_SURNAME} consent.pdf"
    assert upload(client, reference, [(consent, pdf_bytes())]).status_code == 303
    stored = referral_row(settings, reference)
    assert stored is not None
    assert answers_of(settings, stored.id) == 2
    before = row_counts(settings)
    assert before["Document"] == 1
    if settings.document_storage == "directory":
        assert len(files_in(settings)) == 1
    else:
        assert before["DocumentContent"] == 1

    clock.advance(days=29)
    report = run_purge(settings, clock())
    assert (report.deleted_drafts, report.deleted_submitted) == ([], [])
    clock.advance(days=1, minutes=-1)  # a minute before
    assert run_purge(settings, clock()).deleted_drafts == [kept]  # started 10 minutes earlier
    assert referral_row(settings, reference) is not None

    clock.advance(minutes=2)  # 30 days and a minute after the last save
    report = run_purge(settings, clock())

    assert report.deleted_drafts == [reference]
    assert f"delete draft {reference}" in report.lines(dry_run=False)
    assert referral_row(settings, reference) is None
    assert answers_of(settings, stored.id) == 0
    after = row_counts(settings)
    assert (after["Referral"], after["Document"], after["DocumentContent"]) == (0, 0, 0)
    assert files_in(settings) == {}
    [_, event] = audit_events(settings, "referral.deleted")
    assert event.subject_type == "referral" and event.subject_id == reference
    assert event.actor_user_id is None
    assert event.details["reason"] == "draft-expired"
    assert event.details["documents"] == 1
    details = json.dumps(event.details)
    for personal in (CHILD_FORENAME, CHILD_SURNAME, consent, EMAIL, "Quennell"):
        assert personal not in details
    # Gone for its owner too.
    sign_in(client, EMAIL)
    assert client.get(f"/referrals/{reference}").status_code == 404
    assert reference not in client.get("/recover").text


def test_expired_drafts_are_counted_for_the_hubs_reports_in_one_statement(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    """Each draft the purge deletes leaves an `ended_draft` row ("expired": when it started
    and ended, its tile, the section saved last and how many were completed), all of a batch
    written by one INSERT; a draft kept, or one saved again, leaves none."""
    owner = professional(sessions, EMAIL)
    expired = [saved_draft(sessions, owner, NOW - timedelta(days=31, minutes=n)) for n in range(5)]
    kept = saved_draft(sessions, owner, NOW - timedelta(days=29))
    last_saved_at = NOW - timedelta(days=31)
    with sessions() as session:
        referral = session.scalars(select(Referral).where(Referral.reference == expired[0])).one()
        for section_id, status, minutes in (
            ("family", "completed", 2),
            ("consent", "in-progress", 1),
        ):
            session.add(
                SectionAnswers(
                    referral_id=referral.id,
                    section_id=section_id,
                    answers={"consent_given_by": "Ann Quennell"},
                    status=status,
                    updated_at=last_saved_at - timedelta(minutes=minutes),
                )
            )
        session.commit()
    inserts: list[str] = []

    def count_inserts(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("INSERT INTO ENDED_DRAFT"):
            inserts.append(statement)

    event.listen(Engine, "before_cursor_execute", count_inserts)
    try:
        report = run_purge(settings, NOW)
    finally:
        event.remove(Engine, "before_cursor_execute", count_inserts)

    assert sorted(report.deleted_drafts) == sorted(expired)
    assert len(inserts) == 1
    with sessions() as session:
        rows = list(session.scalars(select(EndedDraft).order_by(EndedDraft.started_at.desc())))
    assert len(rows) == len(expired)
    assert {(row.reason, row.referral_option, row.ended_at) for row in rows} == {
        ("expired", "early-help", NOW)
    }
    assert [row.started_at for row in rows] == [
        NOW - timedelta(days=31, minutes=n) for n in range(5)
    ]
    # Your Details, filled in by the portal from the start page, is not the user's save.
    assert [(row.last_section, row.sections_completed) for row in rows] == [
        ("consent", 1),
        *[(None, 0)] * 4,
    ]
    assert referral_row(settings, kept) is not None
    assert run_purge(settings, NOW).deleted_drafts == []
    assert row_counts(settings)["EndedDraft"] == len(expired)


# Sent forms ---------------------------------------------------------------------------------


def test_sent_forms_are_never_deleted_unless_the_council_sets_a_retention_period(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    first = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    complete_referral(client, first)
    assert post(client, f"/referrals/{first}/send").status_code == 303
    first_sent = clock()

    clock.advance(days=5 * 365)
    report = run_purge(settings, clock())
    assert (report.deleted_drafts, report.deleted_submitted) == ([], [])
    stored = referral_row(settings, first)
    assert stored is not None and stored.status == "submitted"

    # With a retention period of a year, a form sent 366 days ago goes; one sent since stays.
    clock.now = first_sent + timedelta(days=200)
    sign_in(client, EMAIL)
    second = start_referral(client, "Kim", "Jones")
    complete_referral(client, second)
    assert post(client, f"/referrals/{second}/send").status_code == 303
    one_year = dataclasses.replace(settings, hub_retention_days=365)
    assert run_purge(one_year, first_sent + timedelta(days=365)).deleted_submitted == []

    report = run_purge(one_year, first_sent + timedelta(days=366))

    assert report.deleted_submitted == [first]
    assert f"delete sent referral {first} (hub retention period)" in report.lines(dry_run=False)
    assert referral_row(settings, first) is None
    assert referral_row(settings, second) is not None
    counts = row_counts(settings)
    assert counts["ReferralSubmission"] == 1
    assert counts["EndedDraft"] == 0  # sent, not an ended draft
    [event] = audit_events(settings, "referral.deleted")
    assert event.subject_id == first
    assert event.details["reason"] == "retention-period"
    assert event.details["status"] == "submitted"
    details = json.dumps(event.details)
    assert CHILD_FORENAME not in details and CHILD_SURNAME not in details


# Short-lived records ------------------------------------------------------------------------


def test_housekeeping_clears_short_lived_records_past_their_use_and_keeps_the_rest(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    user = professional(sessions, EMAIL)
    minute = timedelta(minutes=1)
    with sessions() as session:
        for created in (NOW - timedelta(hours=2) - minute, NOW - timedelta(hours=2) + minute):
            keep_pending_start(
                session,
                option_code="early-help",
                child_forename=CHILD_FORENAME,
                child_surname=CHILD_SURNAME,
                participation_type=None,
                now=created,
            )
        for created in (NOW - timedelta(days=1) - minute, NOW - timedelta(days=1) + minute):
            park_form(session, user_id=user, path="/x", fields=[["a", "b"]], now=created)
        codes = [
            # (created, expires, used): only the first two are past their use
            (NOW - timedelta(days=1) - minute, NOW - timedelta(days=1), NOW - timedelta(days=1)),
            (NOW - timedelta(days=2), NOW - timedelta(days=2) + timedelta(minutes=15), None),
            (NOW - timedelta(hours=23), NOW - timedelta(hours=22), NOW - timedelta(hours=23)),
            (NOW - timedelta(hours=23), NOW - timedelta(hours=22), None),
            (NOW - timedelta(days=2), NOW + timedelta(hours=1), None),
        ]
        for created, expires, used in codes:
            session.add(
                OneTimeCode(
                    purpose="register",
                    email_key=EMAIL,
                    code_hash="0" * 64,
                    created_at=created,
                    expires_at=expires,
                    used_at=used,
                )
            )
        for attempted in (NOW - timedelta(days=30) - minute, NOW - timedelta(days=29)):
            session.add(
                SignInAttempt(
                    email_key=EMAIL,
                    client_address="192.0.2.1",
                    succeeded=True,
                    attempted_at=attempted,
                )
            )
        old, recent = NOW - timedelta(days=30) - minute, NOW - timedelta(days=29)
        for sent_at, failed_at, subject in (
            (old, None, "sent long ago"),
            (None, old, "failed long ago"),
            (recent, None, "sent lately"),
            (None, recent, "failed lately"),
            (None, None, "still queued"),
        ):
            mail = enqueue_mail(session, to=EMAIL, subject=subject, text="t", html="<p>t</p>")
            mail.created_at = NOW - timedelta(days=60)
            mail.sent_at, mail.failed_at = sent_at, failed_at
        session.commit()

    dry = run_purge(settings, NOW, dry_run=True)
    report = run_purge(settings, NOW)

    expected = {
        "starts made before signing in": 1,
        "forms kept after a timeout": 1,
        "email codes": 2,
        "sign-in attempts": 1,
        "sent or failed emails": 2,
    }
    assert dry.housekeeping == report.housekeeping == expected
    assert "delete 2 email codes" in report.lines(dry_run=False)
    assert "would delete 1 sign-in attempt" in dry.lines(dry_run=True)
    counts = row_counts(settings)
    assert (counts["PendingStart"], counts["ParkedForm"], counts["OneTimeCode"]) == (1, 1, 3)
    assert (counts["SignInAttempt"], counts["OutboxMessage"]) == (1, 3)
    assert sorted(mail.subject for mail in mail_to(settings, EMAIL)) == [
        "failed lately",
        "sent lately",
        "still queued",
    ]
    assert run_purge(settings, NOW).lines(dry_run=False) == ["nothing to purge"]


# Dry run ------------------------------------------------------------------------------------


def test_a_dry_run_changes_nothing_and_names_what_the_real_run_then_does(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    settings = dataclasses.replace(settings, hub_retention_days=365)
    owner = professional(sessions, EMAIL)
    due_reminder = saved_draft(sessions, owner, NOW - timedelta(days=24))
    expired = saved_draft(sessions, owner, NOW - timedelta(days=31))
    attach_document(sessions, settings, expired, "consent.pdf")
    fresh = saved_draft(sessions, owner, NOW - timedelta(days=1))
    old_sent = sent_referral(sessions, settings, owner, NOW - timedelta(days=400))
    recent_sent = sent_referral(sessions, settings, owner, NOW - timedelta(days=100))
    with sessions() as session:
        session.add(
            SignInAttempt(
                email_key=EMAIL,
                client_address="192.0.2.1",
                succeeded=False,
                attempted_at=NOW - timedelta(days=40),
            )
        )
        session.commit()
    before = row_counts(settings)

    dry = run_purge(settings, NOW, dry_run=True)

    assert row_counts(settings) == before
    stored = referral_row(settings, due_reminder)
    assert stored is not None and stored.reminder_sent_at is None
    assert dry.reminded == [due_reminder]
    assert dry.deleted_drafts == [expired]
    assert dry.deleted_submitted == [old_sent]
    assert dry.housekeeping == {"sign-in attempts": 1}
    assert dry.lines(dry_run=True) == [
        f"would remind the owner of draft {due_reminder}",
        f"would delete draft {expired}",
        f"would delete sent referral {old_sent} (hub retention period)",
        "would delete 1 sign-in attempt",
    ]

    report = run_purge(settings, NOW)

    assert report == dry
    # The expired draft is counted for the hub's reports; the sent referral is not a draft.
    assert row_counts(settings)["EndedDraft"] == 1
    for reference in (expired, old_sent):
        assert referral_row(settings, reference) is None
    for reference in (due_reminder, fresh, recent_sent):
        assert referral_row(settings, reference) is not None
    assert len(reminders(settings)) == 1


# Several instances at once ----------------------------------------------------------------


def test_instances_purging_at_the_same_moment_act_once_on_each_item(
    settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = dataclasses.replace(
        settings, document_storage="directory", document_directory=tmp_path / "documents"
    )
    owners = [professional(sessions, f"owner{n}@school.example.org") for n in range(2)]
    expired = []
    due = []
    for n in range(6):
        owner = owners[n % 2]
        reference = saved_draft(sessions, owner, NOW - timedelta(days=31, minutes=n))
        attach_document(sessions, settings, reference, f"file{n}.pdf")
        expired.append(reference)
        due.append(saved_draft(sessions, owner, NOW - timedelta(days=24, minutes=n)))
    assert len(files_in(settings)) == 6
    instances = 3
    barrier = threading.Barrier(instances)
    reports: list[PurgeReport] = []
    failures: list[BaseException] = []

    def instance() -> None:
        try:
            with session_factory(settings) as factory:
                # Each instance connects first, so that they really start together.
                with factory() as session:
                    session.execute(select(1))
                barrier.wait(timeout=30)
                reports.append(purge(factory, settings, now=NOW))
        except BaseException as error:  # noqa: BLE001 - reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=instance) for _ in range(instances)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert len(reports) == instances
    deleted = [reference for report in reports for reference in report.deleted_drafts]
    reminded = [reference for report in reports for reference in report.reminded]
    assert sorted(deleted) == sorted(expired)  # each once, by one instance or another
    assert sorted(reminded) == sorted(due)
    events = audit_events(settings, "referral.deleted")
    assert sorted(event.subject_id or "" for event in events) == sorted(expired)
    sent_reminders = [
        mail.subject
        for owner in range(2)
        for mail in reminders(settings, f"owner{owner}@school.example.org")
    ]
    assert len(sent_reminders) == len(due)
    assert all(any(reference in subject for subject in sent_reminders) for reference in due)
    assert len(audit_events(settings, "referral.deletion-reminder-sent")) == len(due)
    counts = row_counts(settings)
    assert (counts["Referral"], counts["Document"]) == (len(due), 0)
    assert counts["EndedDraft"] == len(expired)  # each counted once for the reports
    assert files_in(settings) == {}


# Dates shown to users ---------------------------------------------------------------------


def test_deletion_and_visibility_dates_follow_the_settings(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    owner = professional(sessions, EMAIL)
    draft = referral_row(settings, saved_draft(sessions, owner, NOW))
    sent = referral_row(settings, sent_referral(sessions, settings, owner, NOW))
    assert draft is not None and sent is not None
    assert deletion_date(draft, settings) == NOW + timedelta(days=30)
    assert visible_until(sent, settings) == NOW + timedelta(days=90)
    assert visible_until(draft, settings) is None
    longer = dataclasses.replace(settings, draft_retention_days=60, submitted_visible_days=120)
    assert deletion_date(draft, longer) == NOW + timedelta(days=60)
    assert visible_until(sent, longer) == NOW + timedelta(days=120)


def test_retention_settings_change_when_drafts_are_reminded_and_deleted(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    settings = dataclasses.replace(settings, draft_retention_days=10, draft_reminder_days=3)
    owner = professional(sessions, EMAIL)
    reminded = saved_draft(sessions, owner, NOW - timedelta(days=8))
    deleted = saved_draft(sessions, owner, NOW - timedelta(days=11))
    kept = saved_draft(sessions, owner, NOW - timedelta(days=6))
    report = run_purge(settings, NOW)
    assert (report.reminded, report.deleted_drafts) == ([reminded], [deleted])
    assert referral_row(settings, kept) is not None
    [mail] = reminders(settings)
    assert "25 November 2026" in mail.subject  # 10 days after the last save, 8 days ago
    assert "deleted 10 days after" in mail.text_body


# The worker in the app's lifespan ---------------------------------------------------------


def test_the_app_starts_and_stops_the_retention_worker_with_its_lifespan(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    tasks: dict[str, asyncio.Task[Any]] = {}

    async def run_lifespan() -> None:
        async with app.router.lifespan_context(app):
            for task in asyncio.all_tasks():
                tasks[task.get_name()] = task
            assert not tasks["portal-retention"].done()
        # Stopped with the app, not left sleeping towards its first pass.
        assert tasks["portal-retention"].done()

    with caplog.at_level(logging.INFO):
        asyncio.run(run_lifespan())
        # And through the test client, as every route test uses it.
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
    assert tasks["portal-retention"].cancelled()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not any(r.name == "portal.retention" for r in caplog.records)


def test_the_retention_worker_purges_by_itself_and_survives_a_failing_pass(
    sessions: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    owner = professional(sessions, EMAIL)
    expired = saved_draft(sessions, owner, NOW - timedelta(days=31))
    clock = Clock(NOW)
    deleted_line = f"purge: delete draft {expired}"

    async def wait_until(condition: Any) -> None:
        for _ in range(400):
            if await asyncio.to_thread(condition):
                return
            await asyncio.sleep(0.025)
        raise AssertionError("the worker did not get there")

    async def scenario() -> None:
        worker = RetentionWorker(sessions, settings, clock, first_delay=0)
        await worker.start()
        try:
            await wait_until(lambda: any(r.getMessage() == deleted_line for r in caplog.records))
        finally:
            await worker.stop()
        # A database without the portal's tables: the pass fails, is logged, and the worker
        # carries on to its next pass rather than dying.
        with session_factory(make_settings("sqlite://")) as broken:
            failing = RetentionWorker(broken, settings, clock, first_delay=0)
            await failing.start()
            try:
                await wait_until(
                    lambda: any("purge pass failed" in r.getMessage() for r in caplog.records)
                )
                assert any(
                    task.get_name() == "portal-retention" and not task.done()
                    for task in asyncio.all_tasks()
                )
            finally:
                await failing.stop()

    with caplog.at_level(logging.INFO, logger="portal.retention"):
        asyncio.run(scenario())
    assert referral_row(settings, expired) is None
    [event] = audit_events(settings, "referral.deleted")
    assert event.subject_id == expired
