"""Page throughput: signed-in pages under an outside load tool, beside a bare Starlette page.

Run: `python -m bench.pages` (needs wrk: `apt-get install wrk`). It serves the portal with
`portal serve` (one worker) on SQLite, signs a professional in through the sign-in page, fills
their draft with the answers the PDF benchmark uses, and runs wrk (32 connections, 8 seconds)
against each page with the session cookie, then against a bare Starlette page served the same
way (`bench.bare`). With `--profile`, py-spy (`pip install py-spy`) records the section page
under load and the functions holding the interpreter longest are listed. Prints Markdown for
docs/PERFORMANCE.md; bounded at about two minutes.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.autosave import bare_server
from testkit.answers import fill
from testkit.live import make_professionals, sign_in, start_portal

CONNECTIONS = 32
SECONDS = 8
RATE_PATTERN = re.compile(r"Requests/sec:\s+([0-9.]+)")
LATENCY_PATTERN = re.compile(r"^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$", re.MULTILINE)
ERRORS_PATTERN = re.compile(r"Non-2xx or 3xx responses: ([0-9]+)")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, cookie: str = "", seconds: int = SECONDS) -> tuple[float, float, float, int]:
    """(requests a second, p50 ms, p99 ms, non-2xx answers) for `url` under wrk."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rate = RATE_PATTERN.search(output)
    assert rate, output
    latencies = {
        share: float(value) * UNITS[unit] for share, value, unit in LATENCY_PATTERN.findall(output)
    }
    errors = ERRORS_PATTERN.search(output)
    return (
        float(rate.group(1)),
        latencies.get("50", 0.0),
        latencies.get("99", 0.0),
        int(errors.group(1)) if errors else 0,
    )


def profile(pid: int, url: str, cookie: str) -> list[tuple[float, str]]:
    """The functions holding the interpreter longest while `url` is under load."""
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "profile.txt"
        options = ["-d", str(SECONDS), "-r", "250", "--gil", "--nonblocking", "-f", "raw"]
        spy = subprocess.Popen(
            ["py-spy", "record", "-p", str(pid), *options, "-o", str(raw)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wrk(url, cookie)
        spy.wait(timeout=60)
        own: Counter[str] = Counter()
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack:
                own[stack.split(";")[-1]] += int(count)
    total = sum(own.values()) or 1
    return [(count / total, frame) for frame, count in own.most_common(12)]


def answers_soon(url: str) -> None:
    """uvicorn says its start-up is complete a moment before it listens: wait for that."""
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=5).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def signed_in_cookie(base_url: str, email: str, reference: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        person = await sign_in(client, email, reference)
    return person.cookie_header


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk")
        return 1
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'pages.db'}"
        portal = start_portal(database_url)
        try:
            email, reference = make_professionals(database_url, 1, prefix="pages")[0]
            fill(database_url, reference)
            cookie = asyncio.run(signed_in_cookie(portal.url, email, reference))
            pages = {
                "home `/`": "/",
                "task list": f"/referrals/{reference}",
                "section page (Your details)": f"/referrals/{reference}/sections/your-details",
                "section page (Family)": f"/referrals/{reference}/sections/family",
                "`/healthz`": "/healthz",
            }
            found = {name: wrk(portal.url + path, cookie) for name, path in pages.items()}
            remaining = []
            if "--profile" in sys.argv and shutil.which("py-spy"):
                section = portal.url + pages["section page (Your details)"]
                remaining = profile(portal.pid, section, cookie)
        finally:
            portal.stop()
    with bare_server(1) as url:
        answers_soon(url + "/")
        found["bare Starlette page"] = wrk(url + "/")
    print("\n## Page throughput (`python -m bench.pages`)\n")
    print(
        f"wrk, {CONNECTIONS} connections, {SECONDS} s each, one `portal serve` worker on SQLite, "
    )
    print("signed in, the draft filled in; the bare page served and loaded the same way.\n")
    print("| page | requests/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    for name, (rate, p50, p99, errors) in found.items():
        print(f"| {name} | {rate:,.0f} | {p50:,.1f} | {p99:,.1f} | {errors} |")
    if remaining:
        print("\nWhere the section page's time goes (py-spy, interpreter held):\n")
        for share, frame in remaining:
            print(f"- {share:.1%} {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
