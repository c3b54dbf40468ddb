"""No request holds the portal up: the scenes that once froze it for everyone, against a live
`portal serve`, on SQLite and PostgreSQL.

The stall scene (testkit/stall_scene.py) plays 17 wrong changes of password, 15 trickling
uploads and 40 wrong authenticator codes at once; throughout, the health check, security.txt
and another professional's autosave must each answer within 2 seconds (the real figures are in
docs/PERFORMANCE.md, from `python -m bench.stalls`), and afterwards the log has no traceback.
A pool made tiny by its setting gives the 503 page quickly while a lock holds the one
connection, and the server recovers by itself once the lock goes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.db import create_database_engine, create_session_factory, sqlite_file
from app.models import Document, Referral
from testkit.live import LivePortal, Professional, make_professionals, sign_in, start_portal
from testkit.stall_scene import UPLOADERS, UPLOADS_EACH, stall_scene

pytestmark = pytest.mark.faults

GENEROUS_SECONDS = 2.0


def documents_stored(database_url: str, references: list[str]) -> int:
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            return (
                session.scalar(
                    select(func.count(Document.id))
                    .join(Referral, Referral.id == Document.referral_id)
                    .where(Referral.reference.in_(references))
                )
                or 0
            )
    finally:
        engine.dispose()


def test_nobody_waits_while_sign_ins_and_slow_uploads_pile_up(live_portal: LivePortal) -> None:
    report = asyncio.run(stall_scene(live_portal))

    for probe in report.probes:
        assert not probe.failures, (probe.name, probe.failures)
        assert probe.worst < GENEROUS_SECONDS, (probe.name, probe.worst)
    # Every wrong password and code was checked and answered with the form and its error.
    assert report.password_statuses == [422] * len(report.password_statuses)
    assert report.two_factor_statuses == [422] * len(report.two_factor_statuses)
    # Three uploads per person at once: the others are refused at once (429); the trickling
    # ones are cut off (408) once they fall behind the minimum rate.
    statuses = sorted(status for status, _ in report.uploads)
    refused = UPLOADERS * (UPLOADS_EACH - 3)
    assert statuses == [408] * (UPLOADERS * 3) + [429] * refused
    assert max(seconds for _, seconds in report.uploads) < 30
    log = "\n".join(live_portal.server.log)
    assert "Traceback" not in log
    assert "DatabaseOnEventLoop" not in log


def test_everything_works_after_the_scene(live_portal: LivePortal) -> None:
    asyncio.run(stall_scene(live_portal, trickle_interval=1.0))
    # Nothing from a cut-off upload was kept.
    references = []
    engine = create_database_engine(live_portal.database_url)
    with create_session_factory(engine)() as session:
        references = list(session.scalars(select(Referral.reference)))
    engine.dispose()
    assert documents_stored(live_portal.database_url, references) == 0

    async def afterwards() -> None:
        email, reference = make_professionals(live_portal.database_url, 1, prefix="after")[0]
        async with httpx.AsyncClient(base_url=live_portal.url, timeout=30) as client:
            person = await sign_in(client, email, reference)
            account = await client.get("/account")
            assert account.status_code == 200 and person.email in account.text

    asyncio.run(afterwards())
    assert "Traceback" not in "\n".join(live_portal.server.log)


def test_a_client_gone_mid_upload_leaves_one_log_line_and_nothing_stored(
    live_portal: LivePortal,
) -> None:
    """A browser closed half-way through an upload: the server logs one line (no traceback),
    keeps nothing of it, and carries on."""

    async def gone() -> Professional:
        email, reference = make_professionals(live_portal.database_url, 1, prefix="gone")[0]
        async with httpx.AsyncClient(base_url=live_portal.url, timeout=30) as client:
            person = await sign_in(client, email, reference)
        split = urlsplit(live_portal.url)
        _reader, writer = await asyncio.open_connection(split.hostname, split.port)
        boundary = "gone0123456789"
        parts = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                f"{person.csrf_token}\r\n"
                f'--{boundary}\r\nContent-Disposition: form-data; name="documents"; '
                f'filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            + b"%PDF-1.4\n"
            + b"0" * 200_000
        )
        writer.write(
            (
                f"POST /referrals/{reference}/documents HTTP/1.1\r\nHost: {split.netloc}\r\n"
                f"Cookie: {person.cookie_header}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                "Content-Length: 1000000\r\n\r\n"
            ).encode()
            + parts
        )
        await writer.drain()
        writer.close()  # the browser is closed: the rest never comes
        await writer.wait_closed()
        return person

    person = asyncio.run(gone())
    deadline = time.monotonic() + 15
    while not any("client went away" in line for line in live_portal.server.log):
        assert time.monotonic() < deadline, "\n".join(live_portal.server.log[-20:])
        time.sleep(0.1)
    log = "\n".join(live_portal.server.log)
    assert "Traceback" not in log and "unhandled error" not in log
    assert documents_stored(live_portal.database_url, [person.reference]) == 0
    assert httpx.get(f"{live_portal.url}/healthz").status_code == 200


@contextmanager
def write_lock_on_answers(database_url: str) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or a lock on the answers table (PostgreSQL)
    from outside the portal, as a long migration or a stuck session would."""
    path = sqlite_file(database_url)
    if path is not None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    url = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        connection.execute("LOCK TABLE section_answers IN ACCESS EXCLUSIVE MODE")
        yield
        connection.rollback()


def test_a_tiny_pool_gives_503_quickly_and_recovers_by_itself(database_url: str) -> None:
    portal = start_portal(
        database_url,
        extra_env={"DATABASE_POOL_SIZE": "1", "DATABASE_POOL_TIMEOUT": "0.5"},
    )
    try:
        asyncio.run(_tiny_pool(portal))
    finally:
        portal.stop()
    assert "Traceback" not in "\n".join(portal.server.log)


async def _tiny_pool(portal: LivePortal) -> None:
    accounts = make_professionals(portal.database_url, 2, prefix="tiny")
    async with (
        httpx.AsyncClient(base_url=portal.url, timeout=30) as one,
        httpx.AsyncClient(base_url=portal.url, timeout=30) as other,
    ):
        saver = await sign_in(one, *accounts[0])
        await sign_in(other, *accounts[1])
        save_path = f"/referrals/{saver.reference}/sections/your-details/autosave"
        headers = {"X-CSRF-Token": saver.csrf_token, "HX-Request": "true"}
        fields = {"version": str(saver.version), "referrer_job_title": "Teacher"}

        with write_lock_on_answers(portal.database_url):
            # The save waits on the lock, holding the one connection...
            save = asyncio.create_task(one.post(save_path, data=fields, headers=headers))
            # ...so the others cannot have one: once it does, they get the 503 page.
            deadline = time.monotonic() + 10
            while (await other.get("/account")).status_code != 503:
                assert time.monotonic() < deadline, "the save never took the connection"
            # Quickly, with Retry-After, each time.
            timings = []
            for _ in range(3):
                started = time.monotonic()
                page = await other.get("/account")
                timings.append(time.monotonic() - started)
                assert page.status_code == 503, page.status_code
                assert "Sorry, the service is unavailable" in page.text
                assert page.headers["retry-after"]
            assert max(timings) < GENEROUS_SECONDS, timings
        # The lock has gone: the waiting save goes through, and everyone is served again.
        saved = await save
        assert saved.status_code == 200, saved.status_code
        assert (await other.get("/account")).status_code == 200
        assert (await one.get("/healthz")).status_code == 200
