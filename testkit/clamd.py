"""A real ClamAV daemon for the tests: Debian's `clamd` on a free loopback port, with a
signature database of one line written here (signatures cannot be downloaded on this
machine): the MD5 of the EICAR test file, which every virus scanner knows as a harmless test.

The EICAR string is put together when needed, so that no scanner on a developer's machine
flags this source file.
"""

from __future__ import annotations

import hashlib
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from app.system_packages import clamd_path
from testkit.postgres import free_port
from testkit.processes import ServerProcess, start_server

SIGNATURE_NAME = "Portal-Test.EICAR"


def eicar() -> bytes:
    """The EICAR anti-virus test file (68 bytes)."""
    return b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!" + b"$H+H*"


@dataclass
class ClamdServer:
    port: int
    server: ServerProcess

    def pause(self) -> None:
        """Stop answering, as an overloaded scanner does (SIGSTOP)."""
        self.server.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.server.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.resume()
        self.server.stop()


def clamd_available() -> bool:
    return clamd_path() is not None


def start_clamd(folder: Path) -> ClamdServer:
    """clamd on a free port with the one-line signature database; returns once it answers."""
    database = folder / "signatures"
    database.mkdir(parents=True, exist_ok=True)
    data = eicar()
    (database / "portal-test.hdb").write_text(
        f"{hashlib.md5(data).hexdigest()}:{len(data)}:{SIGNATURE_NAME}\n"  # noqa: S324 - the signature format
    )
    port = free_port()
    config = folder / "clamd.conf"
    config.write_text(
        "Foreground yes\n"
        f"DatabaseDirectory {database}\n"
        f"TCPSocket {port}\nTCPAddr 127.0.0.1\n"
        f"PidFile {folder / 'clamd.pid'}\n"
        "StreamMaxLength 120M\nMaxFileSize 120M\nMaxScanSize 120M\n"
    )
    command = [str(clamd_path()), f"--config-file={config}"]
    server = start_server(command, "Self checking every", timeout=120)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
                connection.sendall(b"zPING\0")
                if connection.recv(16).startswith(b"PONG"):
                    return ClamdServer(port, server)
        except OSError:
            pass
        if time.monotonic() > deadline or server.process.poll() is not None:
            server.stop()
            raise RuntimeError("clamd did not start:\n" + "\n".join(server.log[-20:]))
        time.sleep(0.1)
