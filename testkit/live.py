"""A live portal in a child process, and professionals signed in to it over real HTTP.

Shared by the tests that need the app as it runs in production (several processes, a server
killed mid-request) and by the load benchmarks in bench/. The portal is `portal serve`, so the
code under test is the code operators run; professionals and their drafts are made directly in
the database (fast), then each signs in through the sign-in page like a person, and gets a real
session cookie and CSRF token.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from app.db import create_database_engine, create_session_factory
from app.models import Referral, SectionAnswers, User
from app.services.passwords import hash_password
from app.services.referrals import create_draft
from testkit.postgres import free_port
from testkit.processes import ServerProcess, start_server

SECRET_KEY = "live-portal-secret-key-that-is-long-enough-0123456789"
PASSWORD = "Correct-Horse-Battery-9"
# uvicorn says it is listening once its socket is bound, after the app's start-up (with
# several workers the parent binds first, and each worker then says its start-up is complete).
LISTENING = "Uvicorn running on"
STARTED = "Application startup complete"
VERSION_PATTERN = re.compile(r'id="section-version" value="([0-9]+)"')
TOKEN_PATTERN = re.compile(r'"X-CSRF-Token": "([^"]+)"')


@dataclass
class LivePortal:
    """`portal serve` on a free loopback port."""

    url: str
    port: int
    database_url: str
    server: ServerProcess
    env: dict[str, str]
    workers: int
    wrapper: tuple[str, ...] = ()

    @property
    def pid(self) -> int:
        return self.server.process.pid

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.server.stop(sig)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        self.server.process.kill()
        self.server.process.wait(timeout=15)
        self.server.stop()

    def restart(self) -> None:
        self.server = _serve(self.port, self.env, self.workers, self.wrapper)


def portal_env(
    database_url: str, port: int, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    return {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "BASE_URL": f"http://127.0.0.1:{port}",
        **(extra or {}),
    }


def migrate(env: Mapping[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=dict(env),
        check=True,
        timeout=180,
        capture_output=True,
    )


def _serve(
    port: int, env: dict[str, str], workers: int, wrapper: Sequence[str] = ()
) -> ServerProcess:
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    if wrapper:
        command = [*wrapper, *command]
    # Waiting for "startup complete" alone would race the socket's bind: connections could be
    # refused for a moment after it. With several workers, every worker's start-up is awaited.
    server = start_server(command, LISTENING, env=env, timeout=90)
    if workers > 1:
        _wait_for_workers(server, workers)
    return server


def _wait_for_workers(server: ServerProcess, workers: int) -> None:
    deadline = time.monotonic() + 60
    while sum(STARTED in line for line in server.log) < workers:
        if time.monotonic() > deadline or server.process.poll() is not None:
            raise RuntimeError("portal workers did not start:\n" + "\n".join(server.log[-20:]))
        time.sleep(0.1)


def start_portal(
    database_url: str,
    *,
    workers: int = 1,
    extra_env: Mapping[str, str] | None = None,
    wrapper: Sequence[str] = (),
) -> LivePortal:
    """Migrate `database_url` and serve the portal on it; stop it with `.stop()`. `wrapper` is
    put before the serve command (testkit/hidden.py's `hiding(files, [])` serves without them)."""
    port = free_port()
    env = portal_env(database_url, port, extra_env)
    migrate(env)
    prefix = tuple(wrapper)
    server = _serve(port, env, workers, prefix)
    return LivePortal(f"http://127.0.0.1:{port}", port, database_url, server, env, workers, prefix)


@dataclass
class Professional:
    """A signed-in professional with a draft: what a browser holds for them."""

    email: str
    reference: str
    cookies: dict[str, str]
    csrf_token: str
    page_token: str = field(default_factory=lambda: secrets.token_hex(16))
    version: int = 0  # the section version the page holds, as the hidden input does
    opened_at_version: int = 0  # the version when the page was opened
    seq: int = 0  # the page's save counter (page_seq)
    acknowledged: int = 0  # saves the server said it stored since the page was opened
    last_marker: str = ""  # the marker of the last save acknowledged

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def make_professionals(
    database_url: str, count: int, *, prefix: str = "load"
) -> list[tuple[str, str]]:
    """`count` professionals, each with a draft referral; returns (email, reference) pairs.

    One bcrypt hash serves every account (the salt is inside it), so making many is quick;
    signing in still checks the password at full cost.
    """
    engine = create_database_engine(database_url)
    password_hash = hash_password(PASSWORD)
    made: list[tuple[str, str]] = []
    try:
        with create_session_factory(engine)() as session:
            now = datetime.now(UTC)
            for number in range(count):
                email = f"{prefix}.{number}@school.example.org"
                user = User(
                    email=email,
                    email_key=email,
                    forename="Load",
                    surname=f"Tester {number}",
                    password_hash=password_hash,
                )
                session.add(user)
                session.flush()
                referral = create_draft(
                    session,
                    user,
                    option_code="early-help",
                    child_forename="Sam",
                    child_surname=f"Child {number}",
                    now=now,
                )
                made.append((email, referral.reference))
            session.commit()
    finally:
        engine.dispose()
    return made


async def sign_in(
    client: httpx.AsyncClient, email: str, reference: str, section_id: str = "your-details"
) -> Professional:
    """Sign in through the sign-in page and open a section of the draft, as a browser would:
    the page gives the CSRF token and the section's version that the next save must send."""
    page = await client.get("/login")
    token = TOKEN_PATTERN.search(page.text)
    assert token, "no CSRF token on the sign-in page"
    answer = await client.post(
        "/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in for {email} answered {answer.status_code}")
    section = await client.get(f"/referrals/{reference}/sections/{section_id}")
    section.raise_for_status()
    token = TOKEN_PATTERN.search(section.text)
    version = VERSION_PATTERN.search(section.text)
    assert token and version, "no CSRF token or section version on the section page"
    cookies = {name: value for name, value in client.cookies.items()}
    opened = int(version.group(1))
    return Professional(
        email, reference, cookies, token.group(1), version=opened, opened_at_version=opened
    )


async def sign_in_all(
    base_url: str, accounts: list[tuple[str, str]], *, at_once: int = 4
) -> list[Professional]:
    """Sign every account in, a few at a time (each sign-in costs a bcrypt check)."""
    limit = asyncio.Semaphore(at_once)

    async def one(email: str, reference: str) -> Professional:
        async with limit, httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            return await sign_in(client, email, reference)

    return list(await asyncio.gather(*(one(email, ref) for email, ref in accounts)))


def stored_sections(database_url: str, section_id: str) -> dict[str, tuple[int, dict[str, Any]]]:
    """Every referral's saved `section_id` as the database holds it now: reference -> (version,
    answers)."""
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            rows = session.execute(
                select(Referral.reference, SectionAnswers.version, SectionAnswers.answers)
                .join(Referral, Referral.id == SectionAnswers.referral_id)
                .where(SectionAnswers.section_id == section_id)
            )
            return {reference: (version, answers) for reference, version, answers in rows}
    finally:
        engine.dispose()
