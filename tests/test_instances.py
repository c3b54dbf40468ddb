"""Two app processes on one PostgreSQL database: nothing that matters lives in one process alone.

Two `portal serve` processes, as two instances behind a load balancer would be, share a
throwaway PostgreSQL database and one SMTP server. A professional signed in on one is signed
in on the other, and signing out on either ends the session on both; failed sign-ins counted
by one instance hold on the other; a mail in the outbox is sent once, although both instances'
mail workers try to send it at the same moment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, OutboxMessage, User
from app.services.mail import enqueue_mail
from testkit.live import (
    PASSWORD,
    TOKEN_PATTERN,
    VERSION_PATTERN,
    LivePortal,
    make_professionals,
    sign_in,
    start_portal,
)
from testkit.mail import MailCapture, start_mail_server
from testkit.postgres import create_database, free_port

OUTBOX_MAILS = 40


@dataclass
class Pair:
    first: LivePortal
    second: LivePortal
    mail: MailCapture
    database_url: str


@pytest.fixture(scope="module")
def pair(postgres_admin_url: str) -> Iterator[Pair]:
    database_url = create_database(postgres_admin_url, "two_instances")
    controller, capture = start_mail_server(free_port())
    mail_env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port)}
    first = start_portal(database_url, extra_env=mail_env)
    try:
        second = start_portal(database_url, extra_env=mail_env)
        try:
            yield Pair(first, second, capture, database_url)
        finally:
            second.stop()
    finally:
        first.stop()
        controller.stop()


def client_for(portal: LivePortal, cookies: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=portal.url, cookies=cookies, timeout=30)


def csrf_token(client: httpx.Client, path: str) -> str:
    found = TOKEN_PATTERN.search(client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def test_a_session_made_on_one_instance_works_and_ends_on_the_other(pair: Pair) -> None:
    [(email, reference)] = make_professionals(pair.database_url, 1, prefix="session")

    async def signed_in() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=pair.first.url, timeout=30) as client:
            return (await sign_in(client, email, reference)).cookies

    cookies = asyncio.run(signed_in())
    section = f"/referrals/{reference}/sections/your-details"
    with client_for(pair.second, cookies) as second:
        page = second.get(section)
        assert page.status_code == 200
        version = VERSION_PATTERN.search(page.text)
        assert version
        # A save on the second instance, with its CSRF token, lands in the shared database.
        saved = second.post(
            f"{section}/autosave",
            data={
                "csrf_token": csrf_token(second, section),
                "version": version.group(1),
                "referrer_job_title": "Saved on the second instance",
            },
        )
        assert saved.status_code == 200
        logout = second.post("/logout", data={"csrf_token": csrf_token(second, section)})
        assert logout.status_code == 303
    with client_for(pair.first, cookies) as first:
        # The cookie copied before signing out no longer opens anything on the first instance.
        answer = first.get(section)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")


def test_failed_sign_ins_on_both_instances_count_together(pair: Pair) -> None:
    [(email, _reference)] = make_professionals(pair.database_url, 1, prefix="throttle")
    clients = [client_for(pair.first), client_for(pair.second)]
    try:
        for attempt in range(10):
            client = clients[attempt % 2]
            answer = client.post(
                "/login",
                data={"csrf_token": csrf_token(client, "/login"), "email": email, "password": "x"},
            )
            assert answer.status_code == 422
        # Five failures each: neither instance alone reached ten, yet both refuse now, even the
        # right password.
        for client in clients:
            answer = client.post(
                "/login",
                data={
                    "csrf_token": csrf_token(client, "/login"),
                    "email": email,
                    "password": PASSWORD,
                },
            )
            assert "tried to sign in too many times" in answer.text
            assert "portal-session" not in "".join(answer.headers.get_list("set-cookie"))
        # The owner is told once, although both instances saw the failures.
        paused = pair.mail.latest_to(email, timeout=30)
        assert "sign" in paused.subject.lower()
        assert len(pair.mail.all_to(email)) == 1
    finally:
        for client in clients:
            client.close()


def test_the_outbox_is_sent_once_by_two_instances_at_the_same_moment(pair: Pair) -> None:
    engine = create_database_engine(pair.database_url)
    try:
        with create_session_factory(engine)() as session:
            messages = [
                enqueue_mail(
                    session,
                    to=f"outbox.{number}@school.example.org",
                    subject=f"Outbox message {number}",
                    text="Sent once.",
                    html="<p>Sent once.</p>",
                )
                for number in range(OUTBOX_MAILS)
            ]
            session.commit()
            ids = [message.id for message in messages]

        # Wake both instances' mail workers at once: each queues a mail and starts a delivery
        # pass over the whole outbox. Each asks for a different address's reset code (a second
        # code for one address within a minute would be refused).
        [(first, _), (second, _)] = make_professionals(pair.database_url, 2, prefix="wake")

        async def wake_both() -> None:
            async def forgotten(portal: LivePortal, email: str) -> None:
                async with httpx.AsyncClient(base_url=portal.url, timeout=30) as client:
                    page = await client.get("/forgotten-password")
                    token = TOKEN_PATTERN.search(page.text)
                    assert token
                    answer = await client.post(
                        "/forgotten-password",
                        data={"csrf_token": token.group(1), "email": email},
                    )
                    assert answer.status_code == 303, answer.text

            await asyncio.gather(forgotten(pair.first, first), forgotten(pair.second, second))

        asyncio.run(wake_both())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with create_session_factory(engine)() as session:
                unsent = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
                )
            if not unsent:
                break
            time.sleep(0.2)
        for number in range(OUTBOX_MAILS):
            received = pair.mail.all_to(f"outbox.{number}@school.example.org")
            assert [mail.subject for mail in received] == [f"Outbox message {number}"]
        with create_session_factory(engine)() as session:
            attempts = session.scalars(
                select(OutboxMessage.attempts).where(OutboxMessage.id.in_(ids))
            ).all()
        assert attempts == [1] * OUTBOX_MAILS
    finally:
        engine.dispose()


def test_the_audit_log_records_the_address_the_trusted_proxy_passes_on(pair: Pair) -> None:
    """`portal serve` trusts X-Forwarded-For from its proxy (loopback here), so the audit log
    says from where the person signed in, not the proxy's address."""
    [(email, _reference)] = make_professionals(pair.database_url, 1, prefix="origin")
    with client_for(pair.first) as client:
        answer = client.post(
            "/login",
            data={"csrf_token": csrf_token(client, "/login"), "email": email, "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert answer.status_code == 303
    engine = create_database_engine(pair.database_url)
    try:
        with create_session_factory(engine)() as session:
            event = session.scalars(
                select(AuditEvent)
                .join(User, User.id == AuditEvent.actor_user_id)
                .where(User.email == email, AuditEvent.event_type == "signed-in")
            ).one()
    finally:
        engine.dispose()
    assert event.client_address == "203.0.113.9"
    assert event.request_id
