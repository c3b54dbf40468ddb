"""HUB_DECISION_WORKING_DAYS: how many working days the hub has for its first decision on a
sent referral. A whole number from 1 to 30; anything else stops the portal at start-up with a
message naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.settings import Settings, SettingsError


def test_the_hub_has_one_working_day_unless_told_otherwise() -> None:
    assert Settings.from_environ({}).hub_decision_working_days == 1
    for text, days in (("1", 1), ("3", 3), (" 30 ", 30), ("07", 7)):
        environ = {"HUB_DECISION_WORKING_DAYS": text}
        assert Settings.from_environ(environ).hub_decision_working_days == days


@pytest.mark.parametrize(
    "value",
    ["", "0", "31", "-1", "1.5", "one", "²", "１", "1e1", "3 days", "999999999999999999999"],
    ids=[
        "empty",
        "zero",
        "thirty-one",
        "negative",
        "fraction",
        "word",
        "superscript-two",
        "fullwidth-one",
        "exponent",
        "with-unit",
        "huge",
    ],
)
def test_a_bad_number_of_working_days_is_refused_with_the_setting_named(value: str) -> None:
    with pytest.raises(SettingsError, match="HUB_DECISION_WORKING_DAYS must be a whole number"):
        Settings.from_environ({"HUB_DECISION_WORKING_DAYS": value})


def test_the_portal_will_not_start_with_a_bad_number_of_working_days() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HUB_DECISION_WORKING_DAYS": "0"},
        check=False,
    )
    assert result.returncode == 2
    assert "HUB_DECISION_WORKING_DAYS must be a whole number of working days from 1 to 30" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
