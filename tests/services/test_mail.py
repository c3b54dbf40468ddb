"""The outbox and its delivery, against a real SMTP server (aiosmtpd) on both databases."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.models import OutboxMessage
from app.services import mail as mail_service
from app.services.mail import (
    MailWorker,
    deliver_due_mail,
    enqueue_mail,
    recent_mail,
    retry_delay,
    wake_after_commit,
)
from app.settings import Settings
from testkit.mail import MailCapture, start_mail_server
from testkit.postgres import free_port
from tests.conftest import make_settings

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADDRESS = "worker@school.example"


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the portal stores UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass
class MailServer:
    port: int
    capture: MailCapture


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    controller, capture = start_mail_server(free_port())
    try:
        yield MailServer(controller.port, capture)
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(database_url: str, mail_server: MailServer) -> Settings:
    return make_settings(database_url, smtp_host="127.0.0.1", smtp_port=mail_server.port)


def queue_mail(
    sessions: sessionmaker[Session],
    *,
    to: str = ADDRESS,
    subject: str = "Your code",
    at: datetime | None = NOW,
) -> int:
    """Queue a mail as a request handler would; `at` is when it was queued (None: really now)."""
    with sessions() as session:
        message = enqueue_mail(
            session,
            to=to,
            subject=subject,
            text="Your code is 123456",
            html="<p>Your code is <strong>123456</strong></p>",
        )
        if at is not None:
            message.created_at = at
            message.next_attempt_at = at
        session.commit()
        return message.id


def load(sessions: sessionmaker[Session], message_id: int) -> OutboxMessage:
    with sessions() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def test_queued_mail_is_delivered_with_text_and_html_parts_from_the_portal_address(
    sessions: sessionmaker[Session], smtp_settings: Settings, mail_server: MailServer
) -> None:
    message_id = queue_mail(sessions)

    assert deliver_due_mail(sessions, smtp_settings, now=NOW) == 1

    mail = mail_server.capture.latest_to(ADDRESS, timeout=5)
    assert mail.recipients == (ADDRESS,)
    assert mail.message["From"] == smtp_settings.mail_from
    assert mail.message["To"] == ADDRESS
    assert mail.subject == "Your code"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert "123456" in mail.text()
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<strong>123456</strong>" in html.get_content()
    stored = load(sessions, message_id)
    assert utc(stored.sent_at) == NOW
    assert (stored.attempts, stored.claimed_until, stored.last_error) == (1, None, None)
    # Sent is sent: a later pass finds nothing to do.
    assert deliver_due_mail(sessions, smtp_settings, now=NOW + timedelta(hours=1)) == 0
    assert len(mail_server.capture.messages) == 1


def test_mail_waits_for_a_mail_server_that_is_down_and_goes_out_once_when_it_is_back(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    port = free_port()  # nothing listens here yet
    settings = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=port)
    message_id = queue_mail(sessions)

    assert deliver_due_mail(sessions, settings, now=NOW) == 0

    stored = load(sessions, message_id)
    assert stored.attempts == 1
    assert stored.last_error is not None
    assert stored.last_error.startswith("ConnectionRefusedError")
    assert utc(stored.next_attempt_at) == NOW + timedelta(seconds=30)
    assert (stored.sent_at, stored.failed_at, stored.claimed_until) == (None, None, None)
    # Not due again before its back-off has passed.
    assert deliver_due_mail(sessions, settings, now=NOW + timedelta(seconds=10)) == 0
    assert load(sessions, message_id).attempts == 1

    controller, capture = start_mail_server(port)
    try:
        assert deliver_due_mail(sessions, settings, now=NOW + timedelta(seconds=31)) == 1
        assert deliver_due_mail(sessions, settings, now=NOW + timedelta(hours=2)) == 0
        assert capture.latest_to(ADDRESS, timeout=5).subject == "Your code"
        assert len(capture.messages) == 1
    finally:
        controller.stop()
    stored = load(sessions, message_id)
    assert utc(stored.sent_at) == NOW + timedelta(seconds=31)
    assert stored.attempts == 2


def test_a_message_claimed_by_another_worker_is_not_sent_by_a_second_one(
    sessions: sessionmaker[Session], smtp_settings: Settings, mail_server: MailServer
) -> None:
    message_id = queue_mail(sessions)
    # The first worker has claimed it (and committed the claim) and is talking to the server.
    claimed = mail_service._claim(sessions, message_id, NOW)
    assert claimed is not None
    assert mail_service._claim(sessions, message_id, NOW) is None

    assert deliver_due_mail(sessions, smtp_settings, now=NOW) == 0
    assert deliver_due_mail(sessions, smtp_settings, now=NOW + timedelta(minutes=4)) == 0
    assert mail_server.capture.messages == []

    # The first worker died without sending: once its claim runs out another takes over.
    assert deliver_due_mail(sessions, smtp_settings, now=NOW + timedelta(minutes=6)) == 1
    assert deliver_due_mail(sessions, smtp_settings, now=NOW + timedelta(minutes=20)) == 0
    assert len(mail_server.capture.messages) == 1


def test_concurrent_delivery_passes_send_each_message_exactly_once(
    sessions: sessionmaker[Session], smtp_settings: Settings, mail_server: MailServer
) -> None:
    addresses = [f"person{number}@school.example" for number in range(6)]
    for address in addresses:
        queue_mail(sessions, to=address)
    workers = 4
    start = threading.Barrier(workers)
    results: list[int] = []
    errors: list[BaseException] = []

    def one_instance() -> None:
        try:
            start.wait(timeout=10)
            results.append(deliver_due_mail(sessions, smtp_settings, now=NOW))
        except Exception as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=one_instance) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == len(addresses)
    for address in addresses:
        mail_server.capture.latest_to(address, timeout=5)
        assert len(mail_server.capture.all_to(address)) == 1
    assert len(mail_server.capture.messages) == len(addresses)


def test_back_off_grows_from_30_seconds_and_is_capped_at_one_hour(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    settings = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=free_port())
    message_id = queue_mail(sessions)
    delays: list[timedelta] = []
    now = NOW
    for _ in range(10):
        assert deliver_due_mail(sessions, settings, now=now) == 0
        next_attempt_at = utc(load(sessions, message_id).next_attempt_at)
        assert next_attempt_at is not None
        delays.append(next_attempt_at - now)
        now = next_attempt_at

    minutes = [delay.total_seconds() / 60 for delay in delays]
    assert minutes == [0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert load(sessions, message_id).attempts == 10
    assert retry_delay(1000) == timedelta(hours=1)


def test_mail_still_undelivered_after_48_hours_is_marked_failed_and_not_retried(
    sessions: sessionmaker[Session],
    database_url: str,
    mail_server: MailServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=free_port())
    message_id = queue_mail(sessions)

    almost = NOW + timedelta(hours=47, minutes=59)
    assert deliver_due_mail(sessions, down, now=almost) == 0
    stored = load(sessions, message_id)
    assert stored.failed_at is None
    assert utc(stored.next_attempt_at) == almost + timedelta(seconds=30)

    given_up = NOW + timedelta(hours=48)
    with caplog.at_level(logging.INFO, logger="portal.mail"):
        assert deliver_due_mail(sessions, down, now=given_up) == 0
    stored = load(sessions, message_id)
    assert utc(stored.failed_at) == given_up
    assert stored.attempts == 2
    assert stored.sent_at is None
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert f"id={message_id}" in errors[0].getMessage()
    # Logs name the message by id only.
    assert all(ADDRESS not in record.getMessage() for record in caplog.records)
    assert all("123456" not in record.getMessage() for record in caplog.records)

    # Not retried, even now that a mail server answers.
    up = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=mail_server.port)
    assert deliver_due_mail(sessions, up, now=given_up + timedelta(hours=5)) == 0
    assert mail_server.capture.messages == []
    assert load(sessions, message_id).attempts == 2


def test_development_without_a_mail_server_logs_the_mail_and_marks_it_sent(
    sessions: sessionmaker[Session], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database_url, environment="development")
    assert settings.smtp_host == ""
    message_id = queue_mail(sessions)

    with caplog.at_level(logging.INFO, logger="portal.mail"):
        assert deliver_due_mail(sessions, settings, now=NOW) == 1

    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name == "portal.mail"
    )
    assert ADDRESS in logged
    assert "Your code" in logged
    assert "Your code is 123456" in logged
    stored = load(sessions, message_id)
    assert utc(stored.sent_at) == NOW
    assert stored.attempts == 1


def test_test_environment_without_a_mail_server_leaves_mail_queued_and_warns_once(
    sessions: sessionmaker[Session],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (settings.environment, settings.smtp_host) == ("test", "")
    monkeypatch.setattr(mail_service, "_warned_once", set())
    message_id = queue_mail(sessions)

    with caplog.at_level(logging.INFO, logger="portal.mail"):
        assert deliver_due_mail(sessions, settings, now=NOW) == 0
        assert deliver_due_mail(sessions, settings, now=NOW + timedelta(minutes=1)) == 0

    stored = load(sessions, message_id)
    assert (stored.sent_at, stored.failed_at, stored.attempts) == (None, None, 0)
    records = [record for record in caplog.records if record.name == "portal.mail"]
    assert [record.levelno for record in records] == [logging.WARNING]
    assert ADDRESS not in records[0].getMessage()


def test_enqueued_mail_is_kept_only_when_the_caller_commits(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        enqueue_mail(session, to=ADDRESS, subject="Hello", text="Hi", html="<p>Hi</p>")
        session.rollback()
    with sessions() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("worker@school.example\r\nBcc: everyone@example.com", "Hello"),
        (ADDRESS, "Hello\nBcc: everyone@example.com"),
        (ADDRESS, "x" * 201),
        ("", "Hello"),
    ],
)
def test_a_mail_that_could_add_headers_or_not_fit_is_refused(
    sessions: sessionmaker[Session], to: str, subject: str
) -> None:
    with sessions() as session, pytest.raises(ValueError):
        enqueue_mail(session, to=to, subject=subject, text="Hi", html="<p>Hi</p>")


def test_recent_mail_lists_the_newest_first(sessions: sessionmaker[Session]) -> None:
    for hour in range(3):
        queue_mail(sessions, subject=f"Mail {hour}", at=NOW + timedelta(hours=hour))
    with sessions() as session:
        assert [m.subject for m in recent_mail(session)] == ["Mail 2", "Mail 1", "Mail 0"]
        assert [m.subject for m in recent_mail(session, limit=2)] == ["Mail 2", "Mail 1"]


def run_worker(sessions: sessionmaker[Session], settings: Settings, scenario: Any) -> None:
    """Run `scenario(worker)` on a started MailWorker in a fresh event loop; stop it after."""

    async def main() -> None:
        worker = MailWorker(sessions, settings, poll_seconds=3600)
        await worker.start()
        try:
            await scenario(worker)
        finally:
            await worker.stop()
        assert not worker.running

    asyncio.run(main())


def test_waking_the_mail_worker_sends_at_once_without_waiting_for_the_poll(
    sessions: sessionmaker[Session], smtp_settings: Settings, mail_server: MailServer
) -> None:
    async def scenario(worker: MailWorker) -> None:
        # Queued after the worker started; the next poll is an hour away.
        message_id = queue_mail(sessions, at=None)
        worker.wake()
        mail = await asyncio.to_thread(mail_server.capture.latest_to, ADDRESS, timeout=10)
        assert mail.subject == "Your code"
        sent.append(message_id)

    sent: list[int] = []
    run_worker(sessions, smtp_settings, scenario)
    # stop() let the pass finish recording what it sent.
    assert load(sessions, sent[0]).sent_at is not None
    assert len(mail_server.capture.messages) == 1


def test_committing_queued_mail_wakes_the_worker_without_waiting_for_the_poll(
    sessions: sessionmaker[Session], smtp_settings: Settings, mail_server: MailServer
) -> None:
    """No handler has to remember to wake the worker: committing work that queued mail does,
    from the handler's thread; the next poll is an hour away."""

    def commit(subject: str) -> None:
        with sessions() as session:
            enqueue_mail(session, to=ADDRESS, subject=subject, text="Hi", html="<p>Hi</p>")
            session.commit()

    async def scenario(worker: MailWorker) -> None:
        wake_after_commit(sessions, worker)
        await asyncio.to_thread(commit, "Kept")
        mail = await asyncio.to_thread(mail_server.capture.latest_to, ADDRESS, timeout=10)
        assert mail.subject == "Kept"

    run_worker(sessions, smtp_settings, scenario)
    assert [message.subject for message in mail_server.capture.messages] == ["Kept"]


def test_the_mail_worker_survives_a_failing_pass(
    sessions: sessionmaker[Session],
    smtp_settings: Settings,
    mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_deliver = mail_service.deliver_due_mail
    failed = threading.Event()

    def fail_once(*args: Any, **kwargs: Any) -> int:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("database went away")
        return real_deliver(*args, **kwargs)

    monkeypatch.setattr(mail_service, "deliver_due_mail", fail_once)

    async def scenario(worker: MailWorker) -> None:
        queue_mail(sessions, at=None)
        worker.wake()
        assert await asyncio.to_thread(failed.wait, 10)
        # From another thread this time, as a synchronous handler would.
        await asyncio.to_thread(worker.wake)
        await asyncio.to_thread(mail_server.capture.latest_to, ADDRESS, timeout=10)

    with caplog.at_level(logging.ERROR, logger="portal.mail"):
        run_worker(sessions, smtp_settings, scenario)
    assert any("delivery pass failed" in record.getMessage() for record in caplog.records)
    assert len(mail_server.capture.messages) == 1


def test_stopping_a_mail_worker_that_never_started_is_harmless(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    worker = MailWorker(sessions, settings)
    worker.wake()
    asyncio.run(worker.stop())
    assert not worker.running
