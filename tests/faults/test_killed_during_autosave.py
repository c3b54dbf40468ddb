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
import sqlite3
from pathlib import Path

import pytest

from testkit.kill_scene import saves_while_killing
from testkit.live import start_portal

pytestmark = pytest.mark.faults

KILLS = 4


def test_every_acknowledged_save_survives_the_server_being_killed(tmp_path: Path) -> None:
    database = tmp_path / "portal.db"
    portal = start_portal(f"sqlite:///{database}")
    try:
        report = asyncio.run(saves_while_killing(portal, kills=KILLS, seed=11))
    finally:
        portal.stop()
    calm = report.results[-1]
    assert calm.errors == 0, [(save.status, save.error) for save in calm.saves if save.error]
    assert report.lost == []
    # The kills really interrupted saves: some were lost on the wire, many were acknowledged.
    assert report.cut_off > 0
    assert report.acknowledged - len(calm.acknowledged) > KILLS * 10
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
