"""Autosave under load: latency, capacity and a mixed load, against the portal as it runs.

Run: `python -m bench.autosave` (or `make bench`); `--quick` for a short smoke run. It serves the
portal with `portal serve` on SQLite with one worker, then on a throwaway PostgreSQL cluster
with two workers (when PostgreSQL is installed). For each, 100 professionals sign in through
the sign-in page (real sessions, CSRF tokens and drafts) and save "Your details" with realistic
answers, each save carrying the section version and page stamp a browser sends:

- steady: 50 saves a second for 20 seconds (each professional saving every 2 seconds);
- capacity: 50, 100, 150 ... saves a second, 8 seconds each, until p99 passes 250 ms;
- mixed: 50 saves a second while other people sign in (bcrypt) and PDFs are made.

After each configuration every acknowledged save is looked for in the database: the section's
version must count every save the server acknowledged, and its answers must be those of the
last one. A bare Starlette endpoint (`bench.bare`) served the same way and loaded by the same
generator gives the ceiling of this machine. Prints Markdown for docs/PERFORMANCE.md. Every run
is bounded (about 4 minutes with PostgreSQL) and stops its servers itself.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from testkit.answers import fill
from testkit.autosave import MARKER, SECTION, answers_for, autosave_target
from testkit.live import (
    LISTENING,
    LivePortal,
    Professional,
    make_professionals,
    sign_in,
    sign_in_all,
    start_portal,
    stored_sections,
)
from testkit.load import Result, Target, run
from testkit.postgres import (
    PostgresCluster,
    create_database,
    free_port,
    remove_cluster,
    start_cluster,
)
from testkit.processes import ServerProcess, start_server

PROFESSIONALS = 100
STEADY_RATE = 50
P99_LIMIT_MS = 250
MIXED_SIGN_INS_PER_SECOND = 1.0
MIXED_PDFS_PER_SECOND = 0.5


@dataclass
class Timings:
    steady: float = 20.0
    step: float = 8.0
    mixed: float = 20.0
    rates: tuple[int, ...] = (50, 100, 150, 200, 250, 300, 350, 400, 500, 600, 800)
    bare_rates: tuple[int, ...] = (400, 800, 1200, 1600, 2000, 3000, 4000, 5000, 6000)


QUICK = Timings(steady=4, step=3, mixed=4, rates=(50, 150), bare_rates=(200, 800))


def bare_target(url: str) -> Target:
    return Target(url, lambda _person: "/save", answers_for, follow_version=False)


def row(name: str, result: Result) -> str:
    return (
        f"| {name} | {result.rate:,.0f} | {result.median:,.1f} | {result.percentile(0.95):,.1f} "
        f"| {result.percentile(0.99):,.1f} | {result.maximum:,.0f} | {result.errors} "
        f"| {result.achieved:,.1f} |"
    )


HEADER = (
    "| run | saves/s asked | p50 ms | p95 ms | p99 ms | max ms | errors | saves/s done |"
    "\n|---|---:|---:|---:|---:|---:|---:|---:|"
)


def lost_saves(portal: LivePortal, people: list[Professional]) -> int:
    """Acknowledged saves missing from the database: a version short of the acknowledged count,
    or answers that are not those of the last acknowledged save."""
    stored = stored_sections(portal.database_url, SECTION)
    lost = 0
    for person in people:
        version, answers = stored.get(person.reference, (0, {}))
        lost += max(0, person.opened_at_version + person.acknowledged - version)
        if person.acknowledged and answers.get(MARKER) != person.last_marker:
            lost += 1
    return lost


async def capacity(
    target: Target, people: list[Professional], rates: tuple[int, ...], step: float
) -> tuple[list[Result], int]:
    """Raise the rate until p99 passes the limit (or a save fails); the last rate within it."""
    results: list[Result] = []
    best = 0
    for rate in rates:
        result = await run(target, people, rate, step)
        results.append(result)
        if result.errors or result.percentile(0.99) > P99_LIMIT_MS:
            break
        best = rate
    return results, best


async def mixed(portal: LivePortal, people: list[Professional], duration: float) -> Result:
    """The steady autosave load while people sign in and PDFs are made, side by side."""
    extra = make_professionals(portal.database_url, 20, prefix=f"mixed{int(time.time())}")
    pdf_owner = people[0]
    fill(portal.database_url, pdf_owner.reference)
    stop = asyncio.Event()
    side_errors: list[str] = []

    async def every(interval: float, action: Callable[[int], Awaitable[None]]) -> None:
        number = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        while not stop.is_set():
            number += 1
            try:
                await action(number)
            except (httpx.HTTPError, RuntimeError, AssertionError) as error:
                side_errors.append(type(error).__name__)
            await asyncio.sleep(max(0.0, start + number * interval - loop.time()))

    async def one_sign_in(number: int) -> None:
        email, reference = extra[number % len(extra)]
        async with httpx.AsyncClient(base_url=portal.url, timeout=30) as client:
            await sign_in(client, email, reference)

    async def one_pdf(_number: int) -> None:
        async with httpx.AsyncClient(
            base_url=portal.url, timeout=60, cookies=pdf_owner.cookies
        ) as client:
            answer = await client.get(f"/referrals/{pdf_owner.reference}/pdf")
            answer.raise_for_status()
            assert answer.content.startswith(b"%PDF")

    # One PDF first: the app starts its PDF workers with its first PDF, once in its life; that
    # start is not what a busy portal's saves compete with.
    for _ in range(portal.workers):
        await one_pdf(0)
    side = [
        asyncio.create_task(every(1 / MIXED_SIGN_INS_PER_SECOND, one_sign_in)),
        asyncio.create_task(every(1 / MIXED_PDFS_PER_SECOND, one_pdf)),
    ]
    await asyncio.sleep(1)  # the side load is under way before the measured saves start
    try:
        return await run(autosave_target(portal.url), people, STEADY_RATE, duration)
    finally:
        stop.set()
        await asyncio.gather(*side)
        if side_errors:
            print(f"\n(side load errors: {len(side_errors)}: {sorted(set(side_errors))})")


@contextmanager
def bare_server(workers: int) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.bare:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
    server: ServerProcess = start_server(command, LISTENING, timeout=60)
    try:
        deadline = time.monotonic() + 30
        while sum("startup complete" in line for line in server.log) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("bare server did not start: " + "\n".join(server.log))
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def configuration(
    name: str, database_url: str, workers: int, timings: Timings
) -> dict[str, Any]:
    portal = start_portal(database_url, workers=workers)
    try:
        accounts = make_professionals(database_url, PROFESSIONALS)
        people = await sign_in_all(portal.url, accounts)
        target = autosave_target(portal.url)
        await run(target, people, 20, 2)  # warm up: first saves create each section's row
        steady = await run(target, people, STEADY_RATE, timings.steady)
        steps, best = await capacity(target, people, timings.rates, timings.step)
        busy = await mixed(portal, people, timings.mixed)
        lost = lost_saves(portal, people)
        acknowledged = sum(person.acknowledged for person in people)
    finally:
        portal.stop()
    with bare_server(workers) as url:
        bare_steps, bare_best = await capacity(
            bare_target(url), people, timings.bare_rates, timings.step
        )
    return {
        "name": name,
        "steady": steady,
        "steps": steps,
        "best": best,
        "mixed": busy,
        "lost": lost,
        "acknowledged": acknowledged,
        "bare_steps": bare_steps,
        "bare_best": bare_best,
        "bare_max": timings.bare_rates[-1],
    }


def report(found: dict[str, Any]) -> None:
    name = found["name"]
    steady: Result = found["steady"]
    busy: Result = found["mixed"]
    print(f"\n#### {name}\n")
    print(HEADER)
    print(row(f"steady, {steady.duration:.0f} s", steady))
    for step in found["steps"]:
        print(row(f"capacity step, {step.duration:.0f} s", step))
    print(row(f"mixed, {busy.duration:.0f} s", busy))
    print(
        f"\nEvery acknowledged save checked in the database afterwards: "
        f"{found['acknowledged']:,} acknowledged, {found['lost']} lost."
    )
    quiet_p95 = steady.percentile(0.95)
    or_more = " or more" if found["bare_best"] == found["bare_max"] else ""
    print(
        f"Capacity (p99 within {P99_LIMIT_MS} ms, no errors): **{found['best']} saves/s**; "
        f"a bare Starlette endpoint with the same workers, loaded by the same generator: "
        f"{found['bare_best']:,} requests/s{or_more} (the portal reaches "
        f"{found['best'] / max(found['bare_best'], 1):.0%} of it). Mixed load: autosave p95 "
        f"{busy.percentile(0.95):,.1f} ms against {quiet_p95:,.1f} ms steady "
        f"({busy.percentile(0.95) / max(quiet_p95, 0.001):.1f}×), while "
        f"{MIXED_SIGN_INS_PER_SECOND:g} person a second signs in and a PDF is made every "
        f"{1 / MIXED_PDFS_PER_SECOND:g} seconds."
    )
    bare = " · ".join(
        f"{step.rate:,.0f}/s: p99 {step.percentile(0.99):,.1f} ms"
        + (f", {step.errors} errors" if step.errors else "")
        for step in found["bare_steps"]
    )
    print(f"\nBare endpoint steps: {bare}.")


async def main_async(timings: Timings) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'load.db'}"
        found = [await configuration("SQLite, one worker", sqlite_url, 1, timings)]
    cluster: PostgresCluster | None = start_cluster()
    if cluster is not None:
        try:
            url = create_database(cluster.admin_url, "load")
            found.append(await configuration("PostgreSQL, two workers", url, 2, timings))
        finally:
            remove_cluster(cluster)
    print("\n## Autosave under load (`python -m bench.autosave`)")
    for configuration_found in found:
        report(configuration_found)
    steady_p95 = [f["steady"].percentile(0.95) for f in found]
    print(
        f"\n(Whole run: {time.monotonic() - started:,.0f} s; "
        f"steady p95 median over configurations {statistics.median(steady_p95):,.1f} ms.)"
    )
    lost = sum(f["lost"] for f in found)
    return 1 if lost else 0


def main() -> int:
    return asyncio.run(main_async(QUICK if "--quick" in sys.argv else Timings()))


if __name__ == "__main__":
    sys.exit(main())
