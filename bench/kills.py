"""A hundred kills: the server SIGKILLed a hundred times in the middle of autosaves, on SQLite
and on PostgreSQL, and every acknowledged save looked for afterwards (testkit/kill_scene.py).

Run: `python -m bench.kills [--kills N]` (default 100; about 8 minutes per database). Prints
Markdown for docs/PERFORMANCE.md: saves acknowledged, saves cut off by a kill, saves lost (must
be 0), and the database's own integrity check (SQLite's `integrity_check` and
`foreign_key_check`; on PostgreSQL, amcheck over every index of the portal's tables).
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from app.db import sqlite_file
from testkit.kill_scene import KillReport, saves_while_killing
from testkit.live import start_portal
from testkit.postgres import create_database, remove_cluster, start_cluster


def integrity(database_url: str) -> str:
    path = sqlite_file(database_url)
    if path is not None:
        with sqlite3.connect(path) as connection:
            check = connection.execute("PRAGMA integrity_check").fetchone()[0]
            foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
        return f"integrity_check {check}, foreign_key_check {len(foreign)} problems"
    url = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = db.execute(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam"
            " WHERE n.nspname = 'public' AND a.amname = 'btree'"
        ).fetchall()
        for (index,) in indexes:
            db.execute("SELECT bt_index_check(%s::regclass, true)", (index,))
    return f"amcheck bt_index_check (with heap) passed on {len(indexes)} indexes"


def play(database_url: str, kills: int) -> tuple[KillReport, str, float]:
    started = time.monotonic()
    portal = start_portal(database_url)
    try:
        report = asyncio.run(saves_while_killing(portal, kills=kills, seed=kills))
    finally:
        portal.stop()
    return report, integrity(database_url), time.monotonic() - started


def main() -> int:
    kills = int(sys.argv[sys.argv.index("--kills") + 1]) if "--kills" in sys.argv else 100
    found = []
    with tempfile.TemporaryDirectory() as folder:
        found.append(("SQLite", *play(f"sqlite:///{Path(folder) / 'kills.db'}", kills)))
    cluster = start_cluster()
    if cluster is not None:
        try:
            found.append(("PostgreSQL", *play(create_database(cluster.admin_url, "kills"), kills)))
        finally:
            remove_cluster(cluster)
    print(f"\n## {kills} kills during autosave (`python -m bench.kills`)\n")
    print(
        "| database | kills | saves acknowledged | not answered (killed, or sent while it was "
        "down) | lost | integrity | run |"
    )
    print("|---|---:|---:|---:|---:|---|---:|")
    for name, report, check, seconds in found:
        print(
            f"| {name} | {kills} | {report.acknowledged:,} | {report.cut_off:,} | "
            f"{len(report.lost)} | {check} | {seconds:,.0f} s |"
        )
    return 1 if any(report.lost for _, report, _, _ in found) else 0


if __name__ == "__main__":
    sys.exit(main())
