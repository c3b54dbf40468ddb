"""A command run as it would run on a machine without some system files: in a mount namespace
of its own (util-linux's `unshare`), each hidden file covered by /dev/null, so that a library
cannot be loaded and a command cannot be run, while the rest of the machine is as it is.

Needs root (as CI has). Nothing outside the command sees the change, and it ends with it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path


def can_hide() -> bool:
    """Whether this machine lets the tests make mount namespaces (root, unshare present)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    tried = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    return tried.returncode == 0


def library_file(soname: str) -> Path:
    """Where the dynamic loader finds `soname` (`ldconfig -p`), the file itself."""
    listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    found = re.search(rf"^\s*{re.escape(soname)} \(.*\) => (\S+)$", listing, re.MULTILINE)
    if found is None:
        raise FileNotFoundError(f"{soname} is not installed")
    return Path(found.group(1)).resolve()


def command_file(name: str) -> Path:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed")
    return Path(found).resolve()


def hiding(
    hidden: Sequence[Path],
    command: Sequence[str],
    *,
    replaced: dict[Path, Path] | None = None,
) -> list[str]:
    """`command`, wrapped to run where every file in `hidden` is covered by /dev/null and each
    file in `replaced` by another (a stand-in for a system command)."""
    covers = [(Path("/dev/null"), path) for path in hidden]
    covers += [(stand_in, path) for path, stand_in in (replaced or {}).items()]
    mounts = " && ".join(
        f"mount --bind {shlex.quote(str(cover))} {shlex.quote(str(path))}" for cover, path in covers
    )
    script = f'{mounts} && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]
