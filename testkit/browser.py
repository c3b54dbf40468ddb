"""The browser the journeys and the low-spec benchmark drive: Debian's Chromium (Playwright
cannot download its own here), how it is started, and the low-spec profile."""

from __future__ import annotations

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
