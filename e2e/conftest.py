"""Journeys in a real browser: Debian's Chromium, a live portal, a real SMTP server, axe-core.

One portal server, one mail server and one browser are shared by the whole session; each test
gets its own browser context (`js_page`, `nojs_page`, or `any_page` for both).

Environment variables:

- `E2E_BASE_URL`: run the journeys against a portal that is already running (a staging site,
  say) instead of starting one on a fresh SQLite database. Such a portal's mail and database
  are not this run's, so two more are needed by the journeys that use them:
- `E2E_MAIL_PORT`: with `E2E_BASE_URL`, the port this run's SMTP capture listens on (at
  `E2E_MAIL_HOST`, default 127.0.0.1); run the portal with `SMTP_HOST`/`SMTP_PORT` pointing
  there. Journeys that read email (registration codes, notifications) fail at once, saying so,
  when `E2E_BASE_URL` is set without it.
- `E2E_DATABASE_URL`: with `E2E_BASE_URL`, the portal's own database URL. Hub staff exist only
  when an operator makes them, and some journeys prepare sent referrals directly, so journeys
  that need hub staff or prepared referrals fail at once, saying so, without it.
- A failing test always keeps a full-page screenshot of each page it had open in
  `e2e/artifacts/<test name>/` (git-ignored); nothing is kept for a test that passes.
- `E2E_TRACE=1`: also record a Playwright trace of every test, with DOM snapshots of each step
  (the trace viewer draws the page from them), kept beside the screenshots when the test fails;
  `E2E_TRACE=screenshots` records the screencast as well. Off by default: tracing makes the
  journeys about a quarter slower, so rerun a failing test with it. Open a trace with
  `.venv/bin/playwright show-trace e2e/artifacts/<test name>/trace.zip`.
- `E2E_GALLERY=1`: save a full-page screenshot of every distinct page the journeys check with
  axe, and, when the whole run passes, put them with an `index.html` in
  `e2e/artifacts/gallery/` (`make e2e-gallery`).
- `CHROMIUM_PATH`: the browser, by default Debian's `/usr/bin/chromium`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from app.system_packages import chromium_found
from e2e import asset_coverage
from e2e.accessibility import (
    ARTIFACTS,
    GALLERY,
    _galleries,
    _javascript_off_contexts,
    _visits,
)
from e2e.records import Portal, open_portal
from testkit.browser import CHROMIUM, CHROMIUM_ARGS, E2E_SECRET_KEY
from testkit.live import LivePortal, start_portal
from testkit.mail import MailCapture, start_mail_server
from testkit.postgres import free_port


def external_portal() -> str | None:
    """The address of a portal that is already running, if the journeys are to use one."""
    return os.environ.get("E2E_BASE_URL") or None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e" in item.nodeid.split("/")[0]:
            item.add_marker(pytest.mark.e2e)


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test (`item.stash`), so that its page fixtures know at
    teardown whether the test failed and its artifacts are worth keeping."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(_REPORTS, {}).values())


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium: Playwright cannot download its own browser here."""
    if not chromium_found():
        raise pytest.UsageError(
            f"Chromium not found at {CHROMIUM}: make e2e installs it (or set CHROMIUM_PATH)"
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailCapture]:
    """A real SMTP server capturing the portal's mail. Against an external portal it listens
    on E2E_MAIL_PORT, where that portal must be told to send its mail."""
    fixed_port = os.environ.get("E2E_MAIL_PORT")
    if external_portal() and not fixed_port:
        pytest.fail(
            "this journey reads the portal's email: set E2E_MAIL_PORT (and E2E_MAIL_HOST if "
            "the portal is on another machine) and run the portal at E2E_BASE_URL with "
            "SMTP_HOST and SMTP_PORT pointing at that address",
            pytrace=False,
        )
    host = os.environ.get("E2E_MAIL_HOST", "127.0.0.1")
    controller, capture = start_mail_server(int(fixed_port or free_port()), host=host)
    capture.port = controller.port  # type: ignore[attr-defined]
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def live_portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePortal | None]:
    """A live server on a fresh SQLite database that sends its mail to `mail_server`; None
    when the journeys run against E2E_BASE_URL."""
    if external_portal():
        yield None
        return
    mail_server: MailCapture = request.getfixturevalue("mail_server")
    database = tmp_path_factory.mktemp("e2e") / "portal.db"
    portal = start_portal(
        f"sqlite:///{database}",
        extra_env={
            "SECRET_KEY": E2E_SECRET_KEY,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mail_server.port),  # type: ignore[attr-defined]
        },
    )
    try:
        yield portal
    finally:
        portal.stop()


@pytest.fixture(scope="session", autouse=True)
def assets_cover_every_page_checked() -> Iterator[None]:
    """After the run: no page the journeys checked used a style or a component the built
    assets left out (e2e/asset_coverage.py)."""
    yield
    asset_coverage.check()


@pytest.fixture(scope="session")
def portal_url(live_portal: LivePortal | None) -> str:
    """The portal under test: E2E_BASE_URL, or the live server."""
    return live_portal.url if live_portal else str(external_portal()).rstrip("/")


@pytest.fixture(scope="session")
def portal_environment(live_portal: LivePortal | None) -> dict[str, str]:
    """The environment the portal under test runs with, for what reaches its database as its
    operators do (`portal create-user`, the portal's own services)."""
    if live_portal is None:
        database_url = os.environ.get("E2E_DATABASE_URL")
        if not database_url:
            pytest.fail(
                "this journey needs the portal's database (hub staff are made only by an "
                "operator, and some referrals are prepared there): set E2E_DATABASE_URL",
                pytrace=False,
            )
        return {**os.environ, "DATABASE_URL": database_url}
    return dict(live_portal.env)


@pytest.fixture(scope="module")
def portal_database(portal_environment: dict[str, str]) -> Iterator[Portal]:
    """The live portal's database (see e2e/records.py), with a member of hub staff made by
    `portal create-user`."""
    world = open_portal(portal_environment)
    try:
        yield world
    finally:
        world.database.dispose()


@pytest.fixture
def portal(portal_database: Portal) -> Portal:
    """The live portal's database, with hub staff of this test's own (`portal.hub_email`): a
    code from an authenticator app can be used once, so each test's staff sign in afresh."""
    portal_database.hub_email = portal_database.create_hub_staff_quickly()
    return portal_database


@pytest.fixture
def javascript(request: pytest.FixtureRequest) -> bool:
    """Whether this run of an `any_page` journey has JavaScript on."""
    return bool(request.node.callspec.params.get("any_page") == "js-on")


# Pages, with a trace and a screenshot kept when a test fails ----------------------------------


def _tracing() -> bool:
    return os.environ.get("E2E_TRACE", "0") not in ("", "0")


def artifact_folder(item: pytest.Item) -> Path:
    """e2e/artifacts/<test name>/: the test's file and name, parameters included."""
    name = item.nodeid.split("/")[-1].replace("::", "--")
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", name)


@pytest.fixture
def page_factory(
    browser: Browser, portal_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """Makes the test's browser contexts (on the session's portal, or the one at `base_url`);
    at teardown keeps, for a failed test, the trace (with E2E_TRACE) and a full-page screenshot
    of each page still open."""
    made: list[BrowserContext] = []

    def new_page(javascript: bool, base_url: str | None = None) -> Page:
        context = browser.new_context(
            base_url=base_url or portal_url, java_script_enabled=javascript
        )
        if not javascript:
            _javascript_off_contexts.add(id(context))
        if _tracing():
            screencast = os.environ.get("E2E_TRACE") == "screenshots"
            context.tracing.start(screenshots=screencast, snapshots=True, sources=False)
        made.append(context)
        return context.new_page()

    yield new_page

    failed = _failed(request.node)
    folder = artifact_folder(request.node)
    shutil.rmtree(folder, ignore_errors=True)  # an earlier failure's, or nothing
    if failed:
        folder.mkdir(parents=True, exist_ok=True)
    for number, context in enumerate(made, start=1):
        suffix = "" if len(made) == 1 else f"-{number}"
        try:
            if failed:
                for index, page in enumerate(context.pages, start=1):
                    tab = "" if len(context.pages) == 1 else f"-tab{index}"
                    try:
                        page.screenshot(
                            path=folder / f"screenshot{suffix}{tab}.png", full_page=True
                        )
                    except PlaywrightError as problem:  # the page may have crashed or closed
                        (folder / f"screenshot{suffix}{tab}.txt").write_text(str(problem))
            if _tracing():
                context.tracing.stop(path=folder / f"trace{suffix}.zip" if failed else None)
        finally:
            _javascript_off_contexts.discard(id(context))
            _visits.pop(id(context), None)
            context.close()


@pytest.fixture
def js_page(page_factory: Callable[[bool], Page]) -> Page:
    return page_factory(True)


@pytest.fixture
def nojs_page(page_factory: Callable[[bool], Page]) -> Page:
    return page_factory(False)


@pytest.fixture(params=["js-on", "js-off"])
def any_page(request: pytest.FixtureRequest) -> Page:
    """The same journey twice: with JavaScript, and with it blocked."""
    name = "js_page" if request.param == "js-on" else "nojs_page"
    page: Page = request.getfixturevalue(name)
    return page


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _galleries:
        return
    gallery = _galleries.pop()
    if exitstatus == 0:
        gallery.publish()
        message = f"gallery: {len(gallery.shots)} pages in {GALLERY / 'index.html'}"
    else:
        shutil.rmtree(gallery.staging, ignore_errors=True)
        message = "gallery: not written, as the run did not pass"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message)
