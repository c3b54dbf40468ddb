"""The server killed (SIGKILL) again and again in the middle of a stream of autosaves.

Shared by the fault test (a few kills in every run of the suite) and the benchmark
(`python -m bench.kills`, a hundred on each database). Signed-in professionals save on a
schedule while the server is killed without warning at random moments and started again; then
every save the server acknowledged must be in the database: each section's version counts at
least every acknowledged save, and its answers are those of the last acknowledged save or of a
later one that reached the database before its answer was lost (a later save holds every answer
of the earlier one, so nothing typed is lost either way).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from testkit.autosave import MARKER, SECTION, autosave_target
from testkit.live import LivePortal, make_professionals, sign_in_all, stored_sections
from testkit.load import Result, run

PROFESSIONALS = 8
RATE = 40  # saves a second, over all professionals


@dataclass
class KillReport:
    results: list[Result]  # one per kill, then the calm run after the last restart
    lost: list[str]  # professionals whose acknowledged saves are not all in the database

    @property
    def acknowledged(self) -> int:
        return sum(len(result.acknowledged) for result in self.results)

    @property
    def cut_off(self) -> int:
        """Saves whose answer never came back (the server died under them)."""
        return sum(result.errors for result in self.results[:-1])


async def saves_while_killing(portal: LivePortal, *, kills: int, seed: int) -> KillReport:
    rng = random.Random(seed)  # noqa: S311 - when to kill; reproducible from the seed
    accounts = make_professionals(portal.database_url, PROFESSIONALS, prefix=f"kill{seed}")
    people = await sign_in_all(portal.url, accounts)
    target = autosave_target(portal.url)
    results = []
    for _ in range(kills):
        load = asyncio.create_task(run(target, people, RATE, 2.5))
        await asyncio.sleep(0.5 + rng.random() * 1.5)
        portal.kill()
        results.append(await load)
        await asyncio.to_thread(portal.restart)
    # The same pages go on saving after the last restart: every one of these must succeed.
    calm = await run(target, people, RATE, 1.5)
    results.append(calm)
    stored = stored_sections(portal.database_url, SECTION)
    lost = [
        person.email
        for person in people
        if stored[person.reference][0] < person.opened_at_version + person.acknowledged
        or stored[person.reference][1][MARKER] != person.last_marker
    ]
    return KillReport(results, lost)
