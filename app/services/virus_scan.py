"""Scanning uploads for viruses with ClamAV's daemon, clamd, before anything is stored.

The protocol is clamd's own (INSTREAM, documented in clamd(8)): the file is streamed in chunks,
each preceded by its length, then a zero length; clamd answers `stream: OK` or
`stream: <signature> FOUND`. A scanner that cannot be reached, errs or takes longer than
`CLAMD_TIMEOUT` raises `ScannerUnavailable`: the upload is then refused, never kept unscanned.
Calls block: they run in the request's worker thread (app/request_model.py).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from app.settings import Settings

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd could not be asked, or did not answer in time, or answered with an error."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""


CLEAN = Verdict(True)


@dataclass(frozen=True)
class Clamd:
    """Where clamd listens: a TCP address, or a Unix socket."""

    host: str = ""
    port: int = 3310
    socket_path: str = ""
    timeout: float = 30.0

    def _connect(self, timeout: float) -> socket.socket:
        try:
            if self.socket_path:
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                connection.settimeout(timeout)
                connection.connect(self.socket_path)
                return connection
            return socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as error:
            raise ScannerUnavailable(f"cannot reach clamd: {type(error).__name__}") from error

    def _ask(self, command: bytes, payload: bytes | None, timeout: float) -> str:
        with self._connect(timeout) as connection:
            try:
                connection.sendall(b"z" + command + b"\0")
                if payload is not None:
                    for start in range(0, len(payload), CHUNK):
                        chunk = payload[start : start + CHUNK]
                        connection.sendall(struct.pack(">I", len(chunk)) + chunk)
                    connection.sendall(struct.pack(">I", 0))
                answer = b""
                while not answer.endswith(b"\0"):
                    received = connection.recv(4096)
                    if not received:
                        break
                    answer += received
            except OSError as error:  # timed out, or reset (clamd's stream limit)
                raise ScannerUnavailable(f"clamd did not answer: {type(error).__name__}") from error
        return answer.rstrip(b"\0").decode("utf-8", "replace").strip()

    def scan(self, data: bytes) -> Verdict:
        """Whether `data` is clean; the signature's name if it is not."""
        answer = self._ask(b"INSTREAM", data, self.timeout)
        if answer.endswith("FOUND"):
            signature = answer.removeprefix("stream:").removesuffix("FOUND").strip()
            return Verdict(False, signature[:100])
        if answer == "stream: OK":
            return CLEAN
        raise ScannerUnavailable(f"clamd answered: {answer[:100]!r}")

    def answers(self) -> bool:
        """For /healthz: clamd says PONG within two seconds."""
        try:
            return self._ask(b"PING", None, min(self.timeout, 2.0)) == "PONG"
        except ScannerUnavailable:
            return False


def scanner_from(settings: Settings) -> Clamd | None:
    """The scanner the settings name, or None when uploads are not scanned (development and
    tests without clamd, or VIRUS_SCAN=off)."""
    if settings.virus_scan == "off" or not (settings.clamd_host or settings.clamd_socket):
        return None
    return Clamd(
        host=settings.clamd_host,
        port=settings.clamd_port,
        socket_path=settings.clamd_socket,
        timeout=settings.clamd_timeout,
    )
