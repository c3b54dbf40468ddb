"""The mail server is down while people register and send referrals: nobody notices but the
outbox. A live `portal serve` points at an SMTP port where nothing listens; registration (its
code read from the outbox, since no mail arrives) and sending a referral both succeed, and the
mail stays queued. Then a real SMTP server starts on that port, and each message is delivered
once the outbox is retried, and never twice.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import OutboxMessage
from app.services.mail import deliver_due_mail
from app.settings import Settings
from testkit.journeys import complete_referral, post, register, start_referral
from testkit.live import LISTENING
from testkit.mail import MailCapture, start_mail_server
from testkit.postgres import free_port
from testkit.processes import ServerProcess, start_server
from tests.conftest import TEST_SECRET_KEY, make_settings

REFERRER_EMAIL = "mo.mailless@school.example.org"
HUB_INBOX = "hub-inbox@hillingdon.example.gov.uk"
# Every wait is bounded: the worker's first attempt follows the request that queued the mail.
WAIT_SECONDS = 20.0


@dataclass
class Portal:
    url: str
    smtp_port: int
    settings: Settings  # as the portal has them, for reading and delivering its outbox
    server: ServerProcess


@pytest.fixture
def portal_without_mail_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Portal]:
    database = tmp_path / "portal.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), database)
    port, smtp_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": TEST_SECRET_KEY,
        "BASE_URL": base_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "HUB_NOTIFY_EMAIL": HUB_INBOX,
    }
    server = start_server(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        LISTENING,
        env=env,
    )
    settings = make_settings(
        f"sqlite:///{database}",
        base_url=base_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        hub_notify_email=HUB_INBOX,
    )
    try:
        yield Portal(base_url, smtp_port, settings, server)
    finally:
        server.stop()


def outbox(settings: Settings) -> list[OutboxMessage]:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        engine.dispose()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds, for at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {WAIT_SECONDS}s")
        time.sleep(0.1)


def every_attempt_failed(settings: Settings) -> bool:
    messages = outbox(settings)
    return bool(messages) and all(
        message.attempts >= 1 and message.sent_at is None for message in messages
    )


def captured(capture: MailCapture) -> Counter[tuple[str, str]]:
    return Counter(
        (recipient, mail.subject) for mail in capture.messages for recipient in mail.recipients
    )


def queued(messages: list[OutboxMessage]) -> Counter[tuple[str, str]]:
    return Counter((message.to_address.lower(), message.subject) for message in messages)


def test_registration_and_sending_work_while_mail_is_down_and_mail_follows_once(
    portal_without_mail_server: Portal,
) -> None:
    portal = portal_without_mail_server
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        # The journey steps only get and post, which an httpx client does as TestClient does.
        client = cast(TestClient, http)
        register(client, portal.settings, REFERRER_EMAIL)
        reference = start_referral(client, "Mina", "Mailwait")
        complete_referral(client, reference)
        response = post(client, f"/referrals/{reference}/send")
        assert response.status_code == 303
        assert response.headers["location"] == f"/referrals/{reference}/sent"
        assert reference in client.get(response.headers["location"]).text

    # The worker tried each message at once, failed, and kept it for later.
    wait_until(lambda: every_attempt_failed(portal.settings), "a failed attempt for every mail")
    waiting = outbox(portal.settings)
    recipients = {message.to_address for message in waiting}
    assert recipients == {REFERRER_EMAIL, HUB_INBOX}
    assert all("ConnectionRefusedError" in (message.last_error or "") for message in waiting)
    assert all(message.failed_at is None for message in waiting)

    controller, capture = start_mail_server(portal.smtp_port)
    try:
        # The next attempt is 30 seconds after a failure at the earliest, and the delay is not a
        # setting: deliver as the worker will then.
        later = datetime.now(UTC) + timedelta(hours=2)
        engine = create_database_engine(portal.settings.database_url)
        try:
            factory = create_session_factory(engine)
            delivered = deliver_due_mail(factory, portal.settings, now=later)
            # Nothing is left to send, however many times delivery runs again.
            assert deliver_due_mail(factory, portal.settings, now=later + timedelta(hours=1)) == 0
        finally:
            engine.dispose()
        assert 0 < delivered <= len(waiting)  # the portal's own worker may have sent some
        wait_until(lambda: sum(captured(capture).values()) >= len(waiting), "every mail")

        # The portal's own worker runs a pass of its own (woken by new mail); the first mail
        # still arrives only once.
        with httpx.Client(base_url=portal.url, timeout=30) as http:
            response = post(cast(TestClient, http), "/forgotten-password", email=REFERRER_EMAIL)
            assert response.status_code == 303
        wait_until(lambda: len(capture.messages) > len(waiting), "the new mail")

        final = outbox(portal.settings)
        assert all(message.sent_at is not None for message in final)
        assert captured(capture) == queued(final)
        assert all(count == 1 for count in captured(capture).values())
    finally:
        controller.stop()
