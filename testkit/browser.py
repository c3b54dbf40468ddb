"""The browser the journeys and the low-spec benchmark drive: Debian's Chromium (Playwright
cannot download its own here), how it is started, and the low-spec profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import CDPSession

from app.system_packages import chromium_path

CHROMIUM = chromium_path()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
E2E_SECRET_KEY = "e2e-secret-key-that-is-long-enough-0123456789"

# A locked-down, low-spec machine on shared school broadband: a CPU six times slower, 400 ms
# round trips, 400 kbit/s each way.
CPU_SLOWDOWN = 6
LOW_SPEC_NETWORK = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1024 / 8,
    "uploadThroughput": 400 * 1024 / 8,
}


@dataclass
class NetworkMeter:
    """Bytes and responses that came over the network since the last `reset` (a response from
    the cache counts nothing; a revalidation, 304, counts its headers)."""

    transferred: int = 0
    headers: int = 0
    responses: int = 0
    # The addresses those responses came from, in order.
    fetched: list[str] = field(default_factory=list)
    _header_bytes: dict[str, int] = field(default_factory=dict)
    _urls: dict[str, str] = field(default_factory=dict)

    def attach(self, cdp: CDPSession) -> None:
        cdp.send("Network.enable")
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)

    def reset(self) -> None:
        self.transferred = 0
        self.headers = 0
        self.responses = 0
        self.fetched = []

    def _received(self, params: dict[str, Any]) -> None:
        self._header_bytes[params["requestId"]] = int(params["response"]["encodedDataLength"])
        self._urls[params["requestId"]] = str(params["response"]["url"])

    def _finished(self, params: dict[str, Any]) -> None:
        received = int(params["encodedDataLength"])
        if received:
            self.transferred += received
            self.headers += self._header_bytes.pop(params["requestId"], 0)
            self.responses += 1
            self.fetched.append(self._urls.pop(params["requestId"], "?"))
