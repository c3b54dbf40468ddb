"""Servers the tests start: child processes that announce readiness and die with the test run.

Each server is started with PR_SET_PDEATHSIG, so that if the test process is killed its servers
go too; readiness is the server's own "ready" line on its log stream, not a timed wait.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

PR_SET_PDEATHSIG = 1


def _child_setup(user_ids: tuple[int, int] | None, death_signal: int) -> Callable[[], None]:
    def setup() -> None:
        if user_ids is not None:
            os.setgid(user_ids[1])
            os.setuid(user_ids[0])
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, death_signal)

    return setup


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.reader is not None:
            self.reader.join(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_server(
    command: Sequence[str],
    ready_marker: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    user_ids: tuple[int, int] | None = None,
    death_signal: int = signal.SIGTERM,
) -> ServerProcess:
    """Start `command` and return once it prints `ready_marker` (stdout or stderr)."""
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        preexec_fn=_child_setup(user_ids, death_signal),
    )
    server = ServerProcess(process)
    ready = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.log.append(line.rstrip())
            if ready_marker in line:
                ready.set()
        ready.set()  # the stream closed: the process ended, ready or not

    server.reader = threading.Thread(target=read_output, daemon=True)
    server.reader.start()
    if not ready.wait(timeout) or process.poll() is not None:
        server.stop(signal.SIGKILL)
        raise RuntimeError(
            f"{command[0]} did not become ready within {timeout}s:\n" + "\n".join(server.log[-30:])
        )
    return server
