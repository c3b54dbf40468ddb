"""The stall scene: what once froze the portal for everyone, all at once, against a live server.

- one signed-in professional sends 17 changes of password at once, each with the wrong current
  password (17 bcrypt checks);
- three professionals each start five uploads that declare 5 MB, send the CSRF part and 1 KB,
  then one byte every few seconds (a slow or stalled school line);
- someone who passed the password step sends 40 wrong authenticator codes at once;

and, throughout, `/healthz`, `security.txt` and another professional's autosave are asked every
quarter of a second. Shared by the fault test (which asserts generous bounds) and the benchmark
(`python -m bench.stalls`, which reports the real figures).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import httpx
import pyotp
from sqlalchemy import select

from app.db import create_database_engine, create_session_factory
from app.models import User
from app.services import two_factor
from testkit.autosave import SECTION, answers_for
from testkit.live import (
    PASSWORD,
    TOKEN_PATTERN,
    VERSION_PATTERN,
    LivePortal,
    Professional,
    make_professionals,
    sign_in,
)

PASSWORD_CHANGES = 17
UPLOADERS = 3
UPLOADS_EACH = 5
DECLARED_UPLOAD_BYTES = 5_000_000
TWO_FACTOR_POSTS = 40
PROBE_INTERVAL = 0.25
# The longest a trickling upload is followed before the scene gives up on the server.
UPLOAD_FOLLOW_SECONDS = 45.0


@dataclass
class Probe:
    name: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def worst(self) -> float:
        return max(self.latencies, default=0.0)


@dataclass
class SceneReport:
    probes: list[Probe]
    password_statuses: list[int]
    two_factor_statuses: list[int]
    # (status, seconds from the first byte sent to the answer) for each trickling upload;
    # status 0: the server closed the connection without an answer.
    uploads: list[tuple[int, float]]
    seconds: float


def enable_two_factor(database_url: str, email: str) -> str:
    """Turn on an authenticator for `email` through the service, as its set-up page does;
    returns the secret (the test's authenticator app)."""
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            user = session.scalars(select(User).where(User.email == email)).one()
            secret = two_factor.pending_secret(session, user)
            now = datetime.now(UTC)
            assert two_factor.confirm_setup(session, user, pyotp.TOTP(secret).now(), now=now)
            session.commit()
            return secret
    finally:
        engine.dispose()


async def past_the_password(client: httpx.AsyncClient, email: str) -> str:
    """Sign in with the password of an account with an authenticator: the CSRF token of the
    code step that follows."""
    page = await client.get("/login")
    token = TOKEN_PATTERN.search(page.text)
    assert token
    answer = await client.post(
        "/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    )
    assert answer.headers.get("location") == "/login/two-factor", answer.status_code
    step = await client.get("/login/two-factor")
    found = TOKEN_PATTERN.search(step.text)
    assert found
    return found.group(1)


async def trickling_upload(
    base_url: str, person: Professional, interval: float
) -> tuple[int, float]:
    """Start an upload that declares 5 MB, send the CSRF part and 1 KB, then a byte every
    `interval` seconds until the server answers; (status, seconds taken)."""
    split = urlsplit(base_url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    boundary = "stall" + secrets.token_hex(8)
    first_parts = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{person.csrf_token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'
            f"consent\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="documents"; '
            f'filename="consent.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + b"%PDF-1.4\n"
        + b"0" * 1024
    )
    head = (
        f"POST /referrals/{person.reference}/documents HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nCookie: {person.cookie_header}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {DECLARED_UPLOAD_BYTES}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    try:
        writer.write(head + first_parts)
        await writer.drain()
        answer = asyncio.create_task(reader.readline())
        while time.monotonic() - started < UPLOAD_FOLLOW_SECONDS:
            done, _ = await asyncio.wait({answer}, timeout=interval)
            if done:
                break
            try:
                writer.write(b"0")
                await writer.drain()
            except (ConnectionError, OSError):
                break
        try:
            line = await asyncio.wait_for(answer, 5)
        except (TimeoutError, ConnectionError, OSError):
            line = b""
        parts = line.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return status, time.monotonic() - started
    finally:
        writer.close()


async def _probe(
    probe: Probe, ask: httpx.AsyncClient, request: httpx.Request, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            answer = await ask.send(request)
            if answer.status_code != 200:
                probe.failures.append(str(answer.status_code))
        except httpx.HTTPError as error:
            probe.failures.append(type(error).__name__)
        probe.latencies.append(time.monotonic() - started)
        await asyncio.sleep(PROBE_INTERVAL)


async def _autosave_probe(
    probe: Probe, base_url: str, person: Professional, stop: asyncio.Event
) -> None:
    """Another professional typing: an autosave every quarter second, each following the last
    version the server answered (as the page does)."""
    headers = {
        "X-CSRF-Token": person.csrf_token,
        "HX-Request": "true",
        "Cookie": person.cookie_header,
    }
    path = f"/referrals/{person.reference}/sections/{SECTION}/autosave"
    async with httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers) as client:
        while not stop.is_set():
            person.seq += 1
            fields = {
                **answers_for(0, person.seq),
                "version": str(person.version),
                "page_token": person.page_token,
                "page_seq": str(person.seq),
            }
            started = time.monotonic()
            try:
                answer = await client.post(
                    path,
                    content=urlencode(fields).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                found = VERSION_PATTERN.search(answer.text)
                if answer.status_code != 200 or not found:
                    probe.failures.append(str(answer.status_code))
                else:
                    person.version = int(found.group(1))
            except httpx.HTTPError as error:
                probe.failures.append(type(error).__name__)
            probe.latencies.append(time.monotonic() - started)
            await asyncio.sleep(PROBE_INTERVAL)


async def stall_scene(portal: LivePortal, *, trickle_interval: float = 5.0) -> SceneReport:
    """Play the scene once against `portal`; returns what each side saw."""
    base = portal.url
    prefix = f"stall{secrets.token_hex(3)}"
    accounts = make_professionals(portal.database_url, 2 + UPLOADERS + 1, prefix=prefix)
    (changer, typist, *uploaders, coded) = accounts
    enable_two_factor(portal.database_url, coded[0])

    async def signed_in(email: str, reference: str) -> Professional:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            return await sign_in(client, email, reference)

    people = await asyncio.gather(
        *(signed_in(*account) for account in (changer, typist, *uploaders))
    )
    changer_person, typist_person, *uploader_people = people
    coded_client = httpx.AsyncClient(base_url=base, timeout=120)
    coded_token = await past_the_password(coded_client, coded[0])

    stop = asyncio.Event()
    probes = [Probe("/healthz"), Probe("security.txt"), Probe("autosave")]
    probe_client = httpx.AsyncClient(base_url=base, timeout=30)
    probing = [
        asyncio.create_task(
            _probe(probes[0], probe_client, probe_client.build_request("GET", "/healthz"), stop)
        ),
        asyncio.create_task(
            _probe(
                probes[1],
                probe_client,
                probe_client.build_request("GET", "/.well-known/security.txt"),
                stop,
            )
        ),
        asyncio.create_task(_autosave_probe(probes[2], base, typist_person, stop)),
    ]
    await asyncio.sleep(0.5)
    started = time.monotonic()

    async def change_password(client: httpx.AsyncClient) -> int:
        answer = await client.post(
            "/account/change-password",
            data={
                "csrf_token": changer_person.csrf_token,
                "current_password": "Not-The-Password-1",
                "password": "A-Brand-New-Password-77",
                "confirm_password": "A-Brand-New-Password-77",
            },
        )
        return answer.status_code

    async def wrong_code() -> int:
        answer = await coded_client.post(
            "/login/two-factor", data={"csrf_token": coded_token, "code": "000000"}
        )
        return answer.status_code

    async with httpx.AsyncClient(
        base_url=base, timeout=120, cookies=changer_person.cookies
    ) as changer_client:
        uploads = [
            trickling_upload(base, person, trickle_interval)
            for person in uploader_people
            for _ in range(UPLOADS_EACH)
        ]
        outcomes = await asyncio.gather(
            asyncio.gather(*(change_password(changer_client) for _ in range(PASSWORD_CHANGES))),
            asyncio.gather(*(wrong_code() for _ in range(TWO_FACTOR_POSTS))),
            asyncio.gather(*uploads),
        )
    seconds = time.monotonic() - started
    await asyncio.sleep(1)  # a last look after the burst
    stop.set()
    await asyncio.gather(*probing)
    await probe_client.aclose()
    await coded_client.aclose()
    password_statuses, two_factor_statuses, upload_outcomes = outcomes
    return SceneReport(
        probes,
        list(password_statuses),
        list(two_factor_statuses),
        list(upload_outcomes),
        seconds,
    )
