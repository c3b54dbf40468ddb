"""`make run` and `make test` check the system packages they need, from one list
(app/system_packages.py), and install what is missing or stop at once saying how.

A package is made to look missing for real: the check runs in a mount namespace where the
package's file is covered (testkit/hidden.py), and apt-get is either hidden too (a machine that
cannot install), or stood in for by a script that records what it was asked and "installs"
by uncovering the file, or one that fails as apt-get does without a network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.system_packages import PACKAGES, TARGETS, missing_for, needed_for
from testkit.hidden import can_hide, command_file, hiding, library_file

ROOT = Path(__file__).resolve().parent.parent
POPPLER = "  poppler-utils  pdftotext and pdftoppm, to read the PDFs in tests"
needs_namespaces = pytest.mark.skipif(
    not can_hide(), reason="making a package look missing needs root and unshare"
)


def check(target: str, command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command or [sys.executable, "-m", "app.system_packages", target],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def stand_in_apt_get(folder: Path, *, then: str) -> tuple[Path, Path]:
    """A script in apt-get's place that writes down each call, then runs `then`."""
    calls = folder / "apt-get-calls"
    script = folder / "apt-get"
    script.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n{then}\n')
    script.chmod(0o755)
    return script, calls


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_on_a_machine_with_everything_the_check_says_nothing(target: str) -> None:
    result = check(target)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_each_command_needs_what_it_uses() -> None:
    names = {target: {package.name for package in needed_for(target)} for target in TARGETS}
    assert "chromium" in names["e2e"] and "chromium" not in names["unit"] | names["serve"]
    assert {"postgresql", "clamav-daemon", "poppler-utils"} <= names["unit"]
    assert {"postgresql", "clamav-daemon", "chromium"}.isdisjoint(names["serve"])
    assert {"libpango-1.0-0", "libpangoft2-1.0-0"} <= names["serve"] & names["unit"]
    assert names["test"] == names["unit"] | names["e2e"]
    assert missing_for("test") == []


@needs_namespaces
def test_a_machine_that_cannot_install_is_told_what_to_install_before_anything_runs() -> None:
    hidden = [command_file("pdftotext"), command_file("apt-get")]
    result = check("test", hiding(hidden, ["make", "--no-print-directory", "packages-test"]))
    assert result.returncode == 2 and "packages-test] Error 1" in result.stderr
    assert result.stdout.splitlines() == [
        "make test needs system packages that are not installed:",
        POPPLER,
        "Install them with your system's package manager (the names are Debian's and "
        "Ubuntu's), then run make test again.",
    ]


@needs_namespaces
def test_a_missing_package_is_installed_with_one_line_saying_so(tmp_path: Path) -> None:
    pdftotext = command_file("pdftotext")
    apt_get, calls = stand_in_apt_get(
        tmp_path, then=f'if [ "$1" = install ]; then umount {pdftotext}; fi'
    )
    command = [sys.executable, "-m", "app.system_packages", "unit"]
    result = check(
        "unit", hiding([pdftotext], command, replaced={command_file("apt-get"): apt_get})
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        "make unit: installing system packages: poppler-utils (pdftotext and pdftoppm, to read "
        "the PDFs in tests)"
    ]
    assert calls.read_text().splitlines() == [
        "update -q",
        "install -y -q --no-install-recommends poppler-utils",
    ]


@needs_namespaces
def test_an_install_that_fails_stops_with_the_exact_command(tmp_path: Path) -> None:
    apt_get, calls = stand_in_apt_get(tmp_path, then="exit 100")  # as with no network
    hidden = [command_file("pdftotext"), command_file("pdftoppm")]
    command = [sys.executable, "-m", "app.system_packages", "e2e"]
    result = check("e2e", hiding(hidden, command, replaced={command_file("apt-get"): apt_get}))
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        "make e2e needs system packages that are not installed:",
        POPPLER,
        "Install them, then run make e2e again:",
        "  apt-get install -y -q --no-install-recommends poppler-utils",
    ]
    assert calls.read_text().splitlines() == ["update -q"]


@needs_namespaces
def test_without_pango_serving_stops_at_the_check_naming_it() -> None:
    hidden = [library_file("libpango-1.0.so.0"), command_file("apt-get")]
    result = check("serve", hiding(hidden, ["make", "--no-print-directory", "packages-serve"]))
    assert result.returncode == 2
    assert "  libpango-1.0-0     Pango, WeasyPrint's text layout (PDFs)" in result.stdout


@pytest.mark.parametrize("target", ["run", "test", "unit", "e2e", "e2e-gallery"])
def test_every_make_command_checks_its_packages_first(target: str) -> None:
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "MAKEFLAGS": ""},
    ).stdout.splitlines()
    checked = {"run": "serve", "e2e-gallery": "e2e"}.get(target, target)
    assert planned[0].endswith(f"-m app.system_packages {checked}")


def test_ci_and_the_readme_use_the_one_list() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get" not in ci and "dpkg" not in ci
    assert not [package.name for package in PACKAGES if package.name in ci]
    assert ci.rstrip().endswith("make test")
    readme = (ROOT / "README.md").read_text()
    assert [package.name for package in PACKAGES if package.name not in readme] == []
