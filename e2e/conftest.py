"""Journeys in a real browser: Debian's Chromium, a live portal, a real SMTP server, axe-core.

One portal server, one mail server and one browser are shared by the whole session. Set
E2E_BASE_URL to run the journeys against a portal that is already running (a staging site, say);
mail then cannot be read and journeys that need it will say so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Route

from e2e.mail import MailCapture, start_mail_server
from tests.postgres import free_port
from tests.processes import start_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
E2E_SECRET_KEY = "e2e-secret-key-that-is-long-enough-0123456789"
_axe = Axe()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e" in item.nodeid.split("/")[0]:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium: Playwright cannot download its own browser here."""
    if not Path(CHROMIUM).exists():
        raise pytest.UsageError(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)"
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailCapture]:
    controller, capture = start_mail_server(free_port())
    capture.port = controller.port  # type: ignore[attr-defined]
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory: pytest.TempPathFactory, mail_server: MailCapture) -> Iterator[str]:
    """The portal under test: E2E_BASE_URL, or a live server on a fresh SQLite database."""
    external = os.environ.get("E2E_BASE_URL")
    if external:
        yield external.rstrip("/")
        return
    port = free_port()
    database = tmp_path_factory.mktemp("e2e") / "portal.db"
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": E2E_SECRET_KEY,
        "BASE_URL": base_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail_server.port),  # type: ignore[attr-defined]
    }
    python = sys.executable
    subprocess.run([python, "-m", "app.cli", "migrate"], env=env, check=True, timeout=120)
    server = start_server(
        [python, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        "Application startup complete",
        env=env,
    )
    try:
        yield base_url
    finally:
        server.stop()


_javascript_off_contexts: set[int] = set()


def _new_context(browser: Browser, base_url: str, javascript: bool) -> BrowserContext:
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    if not javascript:
        _javascript_off_contexts.add(id(context))
    return context


@pytest.fixture
def js_page(browser: Browser, portal_url: str) -> Iterator[Page]:
    context = _new_context(browser, portal_url, javascript=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def nojs_page(browser: Browser, portal_url: str) -> Iterator[Page]:
    context = _new_context(browser, portal_url, javascript=False)
    try:
        yield context.new_page()
    finally:
        _javascript_off_contexts.discard(id(context))
        context.close()


@pytest.fixture(params=["js-on", "js-off"])
def any_page(request: pytest.FixtureRequest) -> Page:
    """The same journey twice: with JavaScript, and with it blocked."""
    name = "js_page" if request.param == "js-on" else "nojs_page"
    page: Page = request.getfixturevalue(name)
    return page


def _run_axe(page: Page) -> Any:
    return _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )


def _run_axe_on_javascript_off_page(page: Page) -> Any:
    """axe needs scripts, which a JavaScript-off page cannot run: check the same document, as
    that page has it, in a helper page whose own scripts are blocked, so it stays the no-JS page.
    """
    html, url = page.content(), page.url
    browser = page.context.browser
    assert browser is not None
    helper_context = browser.new_context(java_script_enabled=True)
    try:
        helper = helper_context.new_page()

        def serve(route: Route) -> None:
            request = route.request
            if request.resource_type == "document" and request.url == url:
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            elif request.resource_type == "script":
                route.abort()
            else:
                route.continue_()

        helper.route("**/*", serve)
        helper.goto(url)
        return _run_axe(helper)
    finally:
        helper_context.close()


def assert_accessible(page: Page) -> None:
    """Fail on any axe-core WCAG 2.2 A/AA violation on the page as it is now."""
    # After a click that navigates, the new document may not have arrived yet: check the page
    # the user will see, not the empty one in between.
    page.wait_for_load_state("load")
    if id(page.context) in _javascript_off_contexts:
        results = _run_axe_on_javascript_off_page(page)
    else:
        results = _run_axe(page)
    assert results.violations_count == 0, results.generate_report()
