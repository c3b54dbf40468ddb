"""The operator's `portal` command, run as an operator would: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from app.db import create_database_engine


def portal(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = portal(*command, "--help")
    assert result.returncode == 0
    assert "usage: portal" in result.stdout


def test_migrate_creates_the_schema_and_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "var" / "portal.db"
    result = portal("migrate", env={"DATABASE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    engine = create_database_engine(f"sqlite:///{path}")
    try:
        assert "audit_event" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_bad_settings_stop_the_command_with_a_message_not_a_traceback() -> None:
    result = portal("migrate", env={"PORTAL_ENV": "production", "SECRET_KEY": ""})
    assert result.returncode == 2
    assert "SECRET_KEY must be set in production" in result.stderr
    assert "Traceback" not in result.stderr
