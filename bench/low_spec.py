"""Low-spec browser: time to usable and bytes per page along the core journey, in Chromium.

Run: `python -m bench.low_spec`. It starts its own portal (a temporary SQLite database) and mail
server, then goes through the core journey twice in Debian's Chromium with JavaScript on:
register with the emailed code, start a referral, complete every section, check the answers and
send. Once on a normal profile, once on a low-spec one (CPU slowed 6 times, 400 ms latency and
400 kbit/s each way, set through the DevTools protocol).

For every step the page itself reports when it became usable: the `load` event and, after it,
htmx initialised with no request in flight, measured from the click (or from the start of the
navigation for an address typed in). The browser's cache is emptied before each step, so the
step is a first visit; the same page is then visited again, with what the first visit cached.
Bytes are what crossed the network for the step (DevTools `Network.loadingFinished`, headers
included). The run stops by itself after five minutes at most. Results are Markdown tables for
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from playwright.sync_api import Browser, CDPSession, Page, expect, sync_playwright

from e2e.journeys import PASSWORD, SECTIONS, code_from, new_email, section_heading
from testkit.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CPU_SLOWDOWN,
    E2E_SECRET_KEY,
    LOW_SPEC_NETWORK,
    NetworkMeter,
)
from testkit.live import start_portal
from testkit.mail import MailCapture, start_mail_server
from testkit.postgres import free_port

RUN_LIMIT_SECONDS = 300
STEP_TIMEOUT_MS = 60_000
CLICK_KEY = "benchLowSpecClickAt"

# Runs in every document before the page's own scripts: notes when htmx has started (its
# `htmx:load` on <body>), htmx requests in flight, and the time of the last click on a link or
# button, kept in sessionStorage so that the next document can read it.
USABLE_WATCH = """
(() => {
  const watch = { htmxReadyAt: null, inFlight: 0, settledAt: 0 };
  window.__benchUsable = watch;
  document.addEventListener('htmx:load', (event) => {
    if (watch.htmxReadyAt === null && event.target === document.body) {
      watch.htmxReadyAt = performance.now();
    }
  });
  document.addEventListener('htmx:beforeRequest', () => { watch.inFlight += 1; });
  document.addEventListener('htmx:afterRequest', () => {
    watch.inFlight -= 1;
    watch.settledAt = performance.now();
  });
  window.addEventListener('click', (event) => {
    if (event.target instanceof Element && event.target.closest('a, button')) {
      const at = performance.timeOrigin + event.timeStamp;
      sessionStorage.setItem('benchLowSpecClickAt', String(at));
    }
  }, true);
})();
"""

IS_USABLE = """() => {
  const watch = window.__benchUsable;
  const navigation = performance.getEntriesByType('navigation')[0];
  return Boolean(watch && navigation && navigation.loadEventEnd > 0
    && watch.htmxReadyAt !== null && watch.inFlight === 0);
}"""

USABLE_TIMES = """() => {
  const watch = window.__benchUsable;
  const navigation = performance.getEntriesByType('navigation')[0];
  const usable = Math.max(navigation.loadEventEnd, watch.htmxReadyAt, watch.settledAt);
  return {
    usable: usable,
    usableAt: performance.timeOrigin + usable,
    clickAt: Number(sessionStorage.getItem('benchLowSpecClickAt') || 0),
  };
}"""


@dataclass
class StepResult:
    name: str
    first_ms: float
    repeat_ms: float
    first_bytes: int
    repeat_bytes: int
    first_requests: int
    repeat_requests: int
    first_headers: int


class JourneyMeter:
    """Steps through the journey on one page, timing each step and counting its bytes."""

    def __init__(self, page: Page, cdp: CDPSession, meter: NetworkMeter) -> None:
        self.page = page
        self.cdp = cdp
        self.meter = meter
        self.results: list[StepResult] = []

    def _wait_until_usable(self) -> dict[str, float]:
        self.page.wait_for_function(IS_USABLE, timeout=STEP_TIMEOUT_MS)
        times: dict[str, float] = self.page.evaluate(USABLE_TIMES)
        return times

    def _heading(self) -> str:
        return self.page.get_by_role("heading", level=1).inner_text().strip()

    def step(self, name: str, action: Callable[[], None], *, navigates_by_click: bool) -> None:
        """Empty the cache, do `action` (a click that leads to a new page, or a `goto`), wait
        until the page is usable; then visit the same page again with the cache warm."""
        page = self.page
        self.cdp.send("Network.clearBrowserCache")
        if navigates_by_click:
            page.evaluate(f"sessionStorage.removeItem('{CLICK_KEY}')")
        self.meter.reset()
        if navigates_by_click:
            with page.expect_navigation(timeout=STEP_TIMEOUT_MS):
                action()
        else:
            action()
        times = self._wait_until_usable()
        if navigates_by_click:
            if not times["clickAt"]:
                raise RuntimeError(f"{name}: the click was not seen")
            first_ms = times["usableAt"] - times["clickAt"]
        else:
            first_ms = times["usable"]
        first_bytes, first_requests = self.meter.transferred, self.meter.responses
        first_headers = self.meter.headers
        url, heading = page.url, self._heading()

        page.goto("about:blank")
        self.meter.reset()
        page.goto(url, timeout=STEP_TIMEOUT_MS)
        repeat = self._wait_until_usable()
        if self._heading() != heading:
            raise RuntimeError(f"{name}: a second visit to {url} shows {self._heading()!r}")
        self.results.append(
            StepResult(
                name,
                first_ms,
                repeat["usable"],
                first_bytes,
                self.meter.transferred,
                first_requests,
                self.meter.responses,
                first_headers,
            )
        )
        print(f"  {name}: {first_ms:,.0f} ms, {first_bytes:,} B", file=sys.stderr)

    def click(self, name: str, role: str, label: str) -> None:
        target = self.page.get_by_role(role, name=label, exact=True)  # type: ignore[arg-type]
        self.step(name, target.click, navigates_by_click=True)

    def goto(self, name: str, path: str) -> None:
        def visit() -> None:
            self.page.goto(path, timeout=STEP_TIMEOUT_MS)

        self.step(name, visit, navigates_by_click=False)


def wait_for_htmx_requests(page: Page) -> None:
    """Finish what the answers set off (Find Address, an autosave) before the timed click."""
    page.wait_for_function(
        "() => window.__benchUsable && window.__benchUsable.inFlight === 0",
        timeout=STEP_TIMEOUT_MS,
    )


def core_journey(journey: JourneyMeter, mail: MailCapture) -> None:
    """Register with the emailed code, start a referral, complete every section, send."""
    page = journey.page
    email = new_email("low-spec")
    journey.goto("Home", "/")
    journey.click("Sign in (Login or Register)", "link", "Login or Register")
    journey.click("Register: your name", "button", "Register for a new account")
    page.get_by_label("Forename").fill("Ada")
    page.get_by_label("Surname").fill("Lovelace")
    journey.click("Register: email and password", "button", "Next")
    before = len(mail.all_to(email))
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    journey.click("Register: enter the code", "button", "Next")
    page.get_by_label("Code").fill(code_from(mail, email, after=before))
    journey.click("Account created", "button", "Next")
    journey.click("Home, signed in", "button", "Continue")
    journey.click(
        "Start: the child's name", "link", "Refer a Family for Early Help or Social Care Support"
    )
    page.get_by_label("Forename").fill("Sam")
    page.get_by_label("Surname").fill("Smith")
    journey.click("How does this tool work", "button", "Confirm")
    titles = [title for title, _ in SECTIONS]
    # Next from "How does this tool work" opens the first section, as the guide says.
    journey.click(f"Section: {titles[0]}", "button", "Next")
    for index, (title, answer) in enumerate(SECTIONS):
        expect(page.get_by_role("heading", level=1)).to_have_text(section_heading(title))
        answer(page)
        wait_for_htmx_requests(page)
        following = f"Section: {titles[index + 1]}" if index + 1 < len(titles) else None
        journey.click(following or "Upload Documents", "button", "Next")
    journey.click("Check your answers", "button", "Next")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("button", name="Send to Local Authority").click()
    dialog = page.get_by_role("dialog")
    journey.step(
        "Sent (the process is now complete)",
        dialog.get_by_role("button", name="Submit").click,
        navigates_by_click=True,
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("The process is now complete")


def run_profile(
    browser: Browser, base_url: str, mail: MailCapture, *, low_spec: bool
) -> list[StepResult]:
    context = browser.new_context(base_url=base_url)
    try:
        context.add_init_script(USABLE_WATCH)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        meter = NetworkMeter()
        meter.attach(cdp)
        if low_spec:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            cdp.send("Network.emulateNetworkConditions", LOW_SPEC_NETWORK)
        journey = JourneyMeter(page, cdp, meter)
        core_journey(journey, mail)
        return journey.results
    finally:
        context.close()


@contextmanager
def running_portal(mail_port: int) -> Iterator[str]:
    """A live `portal serve` on a fresh SQLite database in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="low-spec-") as folder:
        portal = start_portal(
            f"sqlite:///{Path(folder) / 'portal.db'}",
            extra_env={
                "SECRET_KEY": E2E_SECRET_KEY,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(mail_port),
            },
        )
        try:
            yield portal.url
        finally:
            portal.stop()


def markdown(normal: list[StepResult], low: list[StepResult]) -> str:
    lines = [
        "| step | normal ms | low-spec ms | low-spec ms, repeat visit "
        "| bytes first visit | bytes repeat visit |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for fast, slow in zip(normal, low, strict=True):
        lines.append(
            f"| {slow.name} | {fast.first_ms:,.0f} | {slow.first_ms:,.0f} | {slow.repeat_ms:,.0f} "
            f"| {slow.first_bytes:,} ({slow.first_requests}) "
            f"| {slow.repeat_bytes:,} ({slow.repeat_requests}) |"
        )
    total_fast = sum(result.first_ms for result in normal)
    total_slow = sum(result.first_ms for result in low)
    total_bytes = sum(result.first_bytes for result in low)
    total_headers = sum(result.first_headers for result in low)
    lines.append(
        f"| **whole journey** | **{total_fast:,.0f}** | **{total_slow:,.0f}** | "
        f"| **{total_bytes:,}** | |"
    )
    lines.append(f"\nOf the bytes of first visits, {total_headers:,} are response headers.")
    return "\n".join(lines)


def _out_of_time(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError(f"the run took longer than {RUN_LIMIT_SECONDS} s")


def main() -> int:
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(RUN_LIMIT_SECONDS)
    started = time.perf_counter()
    controller, mail = start_mail_server(free_port())
    try:
        with running_portal(controller.port) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                print("normal profile", file=sys.stderr)
                normal = run_profile(browser, base_url, mail, low_spec=False)
                print("low-spec profile", file=sys.stderr)
                low = run_profile(browser, base_url, mail, low_spec=True)
            finally:
                browser.close()
    finally:
        controller.stop()
        signal.alarm(0)
    print(
        f"Core journey in Chromium, JavaScript on. Low-spec: CPU {CPU_SLOWDOWN}x slower, "
        f"{LOW_SPEC_NETWORK['latency']} ms latency, 400 kbit/s each way. "
        "Bytes: the low-spec run, headers included (responses in brackets).\n"
    )
    print(markdown(normal, low))
    print(f"\n(run took {time.perf_counter() - started:,.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
