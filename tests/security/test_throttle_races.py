"""The sign-in throttles cannot be raced: a burst of wrong passwords or codes, all at once
against a live `portal serve` on SQLite and PostgreSQL, gets no more of them checked than the
limit, and the right password sent in the same burst gets in only if it came within the limit.

Each attempt is recorded as failed, and committed, before anything is checked
(`accounts.reserve_attempt`); each then counts itself and every attempt before it.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import select

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent
from app.services.accounts import SIGN_IN_FAILURES_PER_ACCOUNT_AND_CLIENT
from testkit.live import PASSWORD, TOKEN_PATTERN, LivePortal, make_professionals
from testkit.stall_scene import enable_two_factor, past_the_password

LIMIT = SIGN_IN_FAILURES_PER_ACCOUNT_AND_CLIENT


def audit_counts(database_url: str) -> Counter[str]:
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            return Counter(session.scalars(select(AuditEvent.event_type)))
    finally:
        engine.dispose()


def test_thirty_wrong_passwords_at_once_get_only_the_limit_checked(live_portal: LivePortal) -> None:
    email, _ = make_professionals(live_portal.database_url, 1, prefix="race")[0]

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=live_portal.url, timeout=120) as client:
            token = TOKEN_PATTERN.search((await client.get("/login")).text)
            assert token

            async def attempt(password: str) -> int:
                answer = await client.post(
                    "/login",
                    data={"csrf_token": token.group(1), "email": email, "password": password},
                )
                return answer.status_code

            wrong = [attempt(f"Wrong-Password-{n}") for n in range(30)]
            return list(await asyncio.gather(*wrong, attempt(PASSWORD)))

    statuses = asyncio.run(burst())
    counts = audit_counts(live_portal.database_url)
    checked = counts["sign-in-failed"] + counts["signed-in"]
    assert checked <= LIMIT, counts
    assert counts["sign-in-throttled"] >= len(statuses) - LIMIT, counts
    # The right password got in only if it was one of those checked.
    assert (statuses[-1] == 303) == (counts["signed-in"] == 1)


def test_forty_wrong_codes_at_once_get_only_the_limit_checked(live_portal: LivePortal) -> None:
    email, _ = make_professionals(live_portal.database_url, 1, prefix="coderace")[0]
    enable_two_factor(live_portal.database_url, email)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=live_portal.url, timeout=120) as client:
            token = await past_the_password(client, email)

            async def attempt() -> int:
                answer = await client.post(
                    "/login/two-factor", data={"csrf_token": token, "code": "000000"}
                )
                return answer.status_code

            return list(await asyncio.gather(*(attempt() for _ in range(40))))

    statuses = asyncio.run(burst())
    assert statuses == [422] * 40
    counts = audit_counts(live_portal.database_url)
    # The password step was one attempt (a success); the codes share the same limit.
    assert counts["second-factor-failed"] <= LIMIT, counts
    assert counts["second-factor-failed"] + counts["sign-in-throttled"] == 40, counts
