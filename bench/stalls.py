"""The stall scene as a benchmark: how long the health check, security.txt and another
professional's autosave take while 17 wrong changes of password, 15 trickling uploads and 40
wrong authenticator codes arrive at once (testkit/stall_scene.py).

Run: `python -m bench.stalls`. It serves the portal with `portal serve` (one worker) on SQLite,
then on a throwaway PostgreSQL cluster when PostgreSQL is installed, plays the scene once on
each, and prints Markdown for docs/PERFORMANCE.md. Bounded: about a minute in all.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from testkit.live import start_portal
from testkit.postgres import create_database, remove_cluster, start_cluster
from testkit.stall_scene import SceneReport, stall_scene


async def play(name: str, database_url: str) -> tuple[str, SceneReport]:
    portal = start_portal(database_url)
    try:
        return name, await stall_scene(portal)
    finally:
        portal.stop()


def report(name: str, scene: SceneReport) -> None:
    print(f"\n#### {name}: the scene took {scene.seconds:.1f} s\n")
    print("| asked every 0.25 s | answers | median ms | worst ms | failed |")
    print("|---|---:|---:|---:|---:|")
    for probe in scene.probes:
        median = statistics.median(probe.latencies) * 1000 if probe.latencies else 0.0
        print(
            f"| {probe.name} | {len(probe.latencies)} | {median:,.1f} | "
            f"{probe.worst * 1000:,.1f} | {len(probe.failures)} |"
        )
    uploads = sorted(scene.uploads)
    by_status: dict[int, list[float]] = {}
    for status, seconds in uploads:
        by_status.setdefault(status, []).append(seconds)
    told = ", ".join(
        f"{len(times)} × {status} after {min(times):.1f}–{max(times):.1f} s"
        for status, times in sorted(by_status.items())
    )
    print(
        f"\nChanges of password: {len(scene.password_statuses)}, answered "
        f"{sorted(set(scene.password_statuses))}; authenticator codes: "
        f"{len(scene.two_factor_statuses)}, answered {sorted(set(scene.two_factor_statuses))}; "
        f"trickling uploads: {told}."
    )


async def main_async() -> int:
    found = []
    with tempfile.TemporaryDirectory() as folder:
        found.append(await play("SQLite, one worker", f"sqlite:///{Path(folder) / 'stall.db'}"))
    cluster = start_cluster()
    if cluster is not None:
        try:
            url = create_database(cluster.admin_url, "stall")
            found.append(await play("PostgreSQL, one worker", url))
        finally:
            remove_cluster(cluster)
    print("\n## The stall scene (`python -m bench.stalls`)")
    for name, scene in found:
        report(name, scene)
    worst = max(probe.worst for _, scene in found for probe in scene.probes)
    return 0 if worst < 2.0 else 1


def main() -> int:
    return asyncio.run(main_async())


if __name__ == "__main__":
    sys.exit(main())
