"""The system packages the portal needs besides Python's, in one list, and the check that
`make` runs before it serves or tests: `python -m app.system_packages serve|unit|e2e|test`.

Each package is looked for the way the code that needs it finds it (a shared library loaded as
WeasyPrint loads it, a command on PATH or in Debian's folders, a font file), so the check says
what is really missing, whichever way it was installed. What is missing is installed with
apt-get when that can be done without asking (root, or sudo without a password), after one line
saying what and why; otherwise the check stops at once with the exact command to run. `.ci/run`
goes through `make test`, so CI installs from this same list.

Only the standard library is used here: make runs the check with the Python that creates .venv,
before .venv exists.
"""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SERVE, UNIT, E2E = "serve", "unit", "e2e"
# What each make target runs: `make test` is `make unit` then `make e2e`.
TARGETS = {SERVE: {SERVE}, UNIT: {UNIT}, E2E: {E2E}, "test": {UNIT, E2E}}
LIBERATION_SANS = "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
DEBIAN_CLAMD = "/usr/sbin/clamd"


def loads(library: str) -> Callable[[], bool]:
    """The shared library loads, as WeasyPrint's `ffi.dlopen` will load it."""

    def probe() -> bool:
        try:
            ctypes.CDLL(library)
        except OSError:
            return False
        return True

    return probe


def runs(*commands: str) -> Callable[[], bool]:
    """Every command is on PATH."""
    return lambda: all(shutil.which(command) for command in commands)


def makes_virtual_environments() -> bool:
    """`python3 -m venv` works (Debian keeps ensurepip out of python3 itself), or is not needed:
    make has made .venv already."""
    return Path(".venv/bin/python").exists() or importlib.util.find_spec("ensurepip") is not None


def font_file() -> bool:
    return Path(LIBERATION_SANS).is_file()


def chromium_path() -> str:
    """The browser the journeys drive: CHROMIUM_PATH, or Debian's."""
    return os.environ.get("CHROMIUM_PATH", DEBIAN_CHROMIUM)


def chromium_found() -> bool:
    return shutil.which(chromium_path()) is not None


def postgres_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl, from PATH or Debian's versioned folders."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = next((path for path in candidates if os.access(path, os.X_OK)), None)
    return Path(found).parent if found else None


def clamd_path() -> str | None:
    """ClamAV's daemon: on PATH, or where Debian puts it (/usr/sbin, not on every PATH)."""
    return shutil.which("clamd") or shutil.which(DEBIAN_CLAMD)


@dataclass(frozen=True)
class SystemPackage:
    name: str  # as Debian and Ubuntu call it
    why: str
    needed_by: frozenset[str]
    present: Callable[[], bool]


def _package(
    name: str, why: str, needed_by: set[str], present: Callable[[], bool]
) -> SystemPackage:
    return SystemPackage(name, why, frozenset(needed_by), present)


PDF_LIBRARIES = (
    # WeasyPrint's text layout; libpango-1.0-0 brings GLib, HarfBuzz and Fontconfig with it.
    _package("libpango-1.0-0", "Pango, WeasyPrint's text layout (PDFs)", {SERVE, UNIT, E2E},
             loads("libpango-1.0.so.0")),
    _package("libpangoft2-1.0-0", "Pango's font backend (PDFs)", {SERVE, UNIT, E2E},
             loads("libpangoft2-1.0.so.0")),
    _package("libharfbuzz-subset0", "embeds only the letters a PDF uses", {SERVE, UNIT, E2E},
             loads("libharfbuzz-subset.so.0")),
)  # fmt: skip
PACKAGES = (
    _package("python3-venv", "lets make create .venv, where the portal's Python packages go",
             {SERVE, UNIT, E2E}, makes_virtual_environments),
    *PDF_LIBRARIES,
    _package("fonts-liberation", "the PDF's typeface (Arial's metrics), and the browser's",
             {SERVE, UNIT, E2E}, font_file),
    _package("poppler-utils", "pdftotext and pdftoppm, to read the PDFs in tests", {UNIT, E2E},
             runs("pdftotext", "pdftoppm")),
    _package("postgresql", "PostgreSQL's binaries: the tests run a throwaway cluster", {UNIT},
             lambda: postgres_bin_dir() is not None),
    _package("clamav-daemon", "clamd, the virus scanner uploads are checked by", {UNIT},
             lambda: clamd_path() is not None),
    _package("chromium", "the browser the journeys drive", {E2E}, chromium_found),
)  # fmt: skip


def needed_for(target: str) -> list[SystemPackage]:
    wanted = TARGETS[target]
    return [package for package in PACKAGES if package.needed_by & wanted]


def missing_for(target: str) -> list[SystemPackage]:
    return [package for package in needed_for(target) if not package.present()]


def install_command(packages: Sequence[SystemPackage], runner: Sequence[str] = ()) -> list[str]:
    names = [package.name for package in packages]
    return [*runner, "apt-get", "install", "-y", "-q", "--no-install-recommends", *names]


def _unattended_runner() -> list[str] | None:
    """What runs apt-get without asking anyone: nothing as root, `sudo -n` where sudo needs no
    password; None if apt-get cannot be run so (not Debian or Ubuntu, or a password needed)."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") is None:
        return None
    asked = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
    return ["sudo", "-n"] if asked.returncode == 0 else None


def _install(runner: list[str], packages: Sequence[SystemPackage]) -> bool:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([*runner, "apt-get", "update", "-q"], install_command(packages, runner)):
        if subprocess.run(command, env=environment, check=False).returncode != 0:
            return False
    return True


def _listed(packages: Sequence[SystemPackage]) -> str:
    width = max(len(package.name) for package in packages)
    return "\n".join(f"  {package.name:<{width}}  {package.why}" for package in packages)


def ensure(target: str, out: Callable[[str], None] = print) -> int:
    """Install what `make <target>` needs and is missing: 0 when everything is there, else 1
    after saying what is missing and the exact command that installs it."""
    missing = missing_for(target)
    if not missing:
        return 0
    runner = _unattended_runner()
    if runner is not None:
        out(
            f"make {target}: installing system packages: "
            + ", ".join(f"{package.name} ({package.why})" for package in missing)
        )
        if _install(runner, missing):
            missing = missing_for(target)
            if not missing:
                return 0
    if shutil.which("apt-get") is None:
        how = (
            "Install them with your system's package manager (the names are Debian's and "
            f"Ubuntu's), then run make {target} again."
        )
    else:
        command = install_command(missing, [] if os.geteuid() == 0 else ["sudo"])
        how = f"Install them, then run make {target} again:\n  {' '.join(command)}"
    out(f"make {target} needs system packages that are not installed:\n{_listed(missing)}\n{how}")
    return 1


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0] not in TARGETS:
        print(f"usage: python -m app.system_packages {'|'.join(TARGETS)}", file=sys.stderr)
        return 2
    return ensure(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
