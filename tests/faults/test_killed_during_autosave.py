"""The server killed (SIGKILL) again and again in the middle of a stream of autosaves.

A real `portal serve` on SQLite takes saves from signed-in professionals, on a schedule, while
it is killed without warning at random moments and started again. Afterwards the database must
pass SQLite's integrity check, and every save the server acknowledged must be there: each
section's version counts at least every acknowledged save, and its answers are those of the
last acknowledged save or of a later one that reached the database before its answer was lost
(a later save holds every answer of the earlier one, so nothing typed is lost either way).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import pytest

from bench.autosave import MARKER, SECTION, autosave_target
from bench.load import Result, run
from tests.live import LivePortal, make_professionals, sign_in_all, start_portal, stored_sections

pytestmark = pytest.mark.faults

PROFESSIONALS = 8
KILLS = 4
RATE = 40  # saves a second, over all professionals


async def saves_while_killing(portal: LivePortal, seed: int) -> list[Result]:
    rng = random.Random(seed)  # noqa: S311 - when to kill; reproducible from the seed
    people = await sign_in_all(portal.url, make_professionals(portal.database_url, PROFESSIONALS))
    target = autosave_target(portal.url)
    results = []
    for _ in range(KILLS):
        load = asyncio.create_task(run(target, people, RATE, 2.5))
        await asyncio.sleep(0.5 + rng.random() * 1.5)
        portal.kill()
        results.append(await load)
        await asyncio.to_thread(portal.restart)
    # The same pages go on saving after the last restart: every one of these must succeed.
    calm = await run(target, people, RATE, 1.5)
    assert calm.errors == 0, [(save.status, save.error) for save in calm.saves if save.error]
    results.append(calm)

    stored = stored_sections(portal.database_url, SECTION)
    for person in people:
        version, answers = stored[person.reference]
        assert version >= person.opened_at_version + person.acknowledged, person.email
        assert answers[MARKER] == person.last_marker, person.email
    return results


def test_every_acknowledged_save_survives_the_server_being_killed(tmp_path: Path) -> None:
    database = tmp_path / "portal.db"
    portal = start_portal(f"sqlite:///{database}")
    try:
        results = asyncio.run(saves_while_killing(portal, seed=11))
    finally:
        portal.stop()
    killed_runs = results[:-1]
    # The kills really interrupted saves: some were lost on the wire, many were acknowledged.
    assert sum(result.errors for result in killed_runs) > 0
    assert sum(len(result.acknowledged) for result in killed_runs) > KILLS * 10
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
