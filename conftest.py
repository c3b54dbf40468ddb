"""Suite-wide rules shared by tests/ and e2e/."""

from __future__ import annotations

import os

import pytest


def _forbidden_skips(config: pytest.Config) -> int:
    """How many tests were skipped when PORTAL_FORBID_SKIPS=1 (CI) forbids it; else 0."""
    if os.environ.get("PORTAL_FORBID_SKIPS") != "1":
        return 0
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return len(reporter.stats.get("skipped", [])) if reporter is not None else 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A skip hides a gap: in CI it fails the run.
    if _forbidden_skips(session.config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = _forbidden_skips(terminalreporter.config)
    if skipped:
        terminalreporter.write_line(
            f"PORTAL_FORBID_SKIPS=1: {skipped} test(s) skipped, so the run fails.", red=True
        )
