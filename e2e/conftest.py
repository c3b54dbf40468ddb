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

import html
import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Route
from playwright.sync_api import Error as PlaywrightError

from app.system_packages import chromium_found, chromium_path
from e2e.mail import MailCapture, start_mail_server
from tests.live import LivePortal, start_portal
from tests.postgres import free_port

if TYPE_CHECKING:
    from e2e.records import Portal

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
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
E2E_SECRET_KEY = "e2e-secret-key-that-is-long-enough-0123456789"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
GALLERY = ARTIFACTS / "gallery"
_axe = Axe()


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
    from e2e.records import open_portal  # it imports the journeys, which import this module

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

_javascript_off_contexts: set[int] = set()


def _tracing() -> bool:
    return os.environ.get("E2E_TRACE", "0") not in ("", "0")


def artifact_folder(item: pytest.Item) -> Path:
    """e2e/artifacts/<test name>/: the test's file and name, parameters included."""
    name = item.nodeid.split("/")[-1].replace("::", "--")
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", name)


@dataclass
class PageVisit:
    """A page as it was when the journey checked it with axe."""

    title: str
    path: str
    error_shown: bool
    dialog: str


_visits: dict[int, list[PageVisit]] = {}


def visited_pages(page: Page) -> list[PageVisit]:
    """Every page (and state) `assert_accessible` checked in this page's browser context."""
    return _visits.setdefault(id(page.context), [])


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


def javascript_is_on(page: Page) -> bool:
    return id(page.context) not in _javascript_off_contexts


# axe-core, and the gallery of every distinct page ----------------------------------------------


def _run_axe(page: Page) -> Any:
    return _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )


@dataclass
class _ScriptlessCopy:
    """A page with scripts allowed, where axe runs on a copy of a JavaScript-off page."""

    page: Page
    html: str = ""
    url: str = ""


_scriptless_copies: dict[int, _ScriptlessCopy] = {}


def _scriptless_copy(browser: Browser) -> _ScriptlessCopy:
    """One for the browser, reused: a new browser context for every check costs seconds."""
    copy = _scriptless_copies.get(id(browser))
    if copy is None or copy.page.is_closed():
        copy = _ScriptlessCopy(browser.new_context(java_script_enabled=True).new_page())

        def serve(route: Route) -> None:
            request = route.request
            if request.resource_type == "document" and request.url == copy.url:
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=copy.html)
            elif request.resource_type in ("document", "script"):
                route.abort()
            else:
                route.continue_()

        copy.page.route("**/*", serve)
        _scriptless_copies[id(browser)] = copy
    return copy


def _run_axe_on_javascript_off_page(page: Page) -> Any:
    """axe needs scripts, which a JavaScript-off page cannot run: check the same document, as
    that page has it, in a helper page whose own scripts are blocked, so it stays the no-JS page.
    """
    browser = page.context.browser
    assert browser is not None
    copy = _scriptless_copy(browser)
    copy.html, copy.url = page.content(), page.url.split("#")[0]
    copy.page.goto(copy.url)
    return _run_axe(copy.page)


def _visit(page: Page) -> PageVisit:
    """What the user sees: the title, the address, an error summary, an open dialog."""
    alerts = page.get_by_role("alert")
    successes = page.get_by_role("alert", name="Success")
    dialog = page.get_by_role("dialog").filter(visible=True)
    dialog_name = ""
    if dialog.count():
        heading = dialog.first.get_by_role("heading").first
        dialog_name = heading.inner_text().strip() if heading.count() else "dialog"
    return PageVisit(
        title=page.title(),
        path=urlsplit(page.url).path,
        error_shown=alerts.filter(visible=True).count() > successes.filter(visible=True).count(),
        dialog=dialog_name,
    )


REFERENCE = re.compile(r"EH-\d{4}-\d{6}")


class Gallery:
    """Full-page screenshots of each distinct page (its address, with errors shown or not, and
    an open dialog), named by its title, in the order the journeys first reach them; published
    only when the whole run passes."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging
        self.shots: list[tuple[str, str, str]] = []  # file name, title, JavaScript on or off
        self.seen: set[str] = set()

    def add(self, page: Page, visit: PageVisit) -> None:
        # The page's own title, without the service and council, and without the reference.
        title = REFERENCE.sub("EH-…", visit.title.rsplit(" – ", 2)[0])
        if visit.dialog:
            title = f"{title}, with the dialog {visit.dialog!r} open"
        # The same page for another child or referral is not another page.
        page_and_state = f"{REFERENCE.sub('EH-…', visit.path)} {visit.error_shown} {visit.dialog}"
        if page_and_state in self.seen:
            return
        self.seen.add(page_and_state)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        name = f"{len(self.shots) + 1:03d}-{slug}.png"
        page.screenshot(path=self.staging / name, full_page=True)
        how = "JavaScript on" if javascript_is_on(page) else "JavaScript off"
        self.shots.append((name, title, how))

    def publish(self) -> None:
        shutil.rmtree(GALLERY, ignore_errors=True)
        GALLERY.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(self.staging, GALLERY)
        items = "\n".join(
            f"<li><h2>{html.escape(title)} <small>({how})</small></h2>"
            f'<a href="{name}"><img src="{name}" alt="" width="400"></a></li>'
            for name, title, how in self.shots
        )
        (GALLERY / "index.html").write_text(
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Every page of the Children's Portal</title></head><body>"
            f"<h1>Every page of the Children's Portal ({len(self.shots)})</h1>"
            f"<ol>\n{items}\n</ol></body></html>\n"
        )


_galleries: list[Gallery] = []


def _gallery() -> Gallery | None:
    """The run's gallery with E2E_GALLERY=1, started at the first page checked."""
    if os.environ.get("E2E_GALLERY") != "1":
        return None
    if not _galleries:
        staging = ARTIFACTS / ".gallery-in-progress"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        _galleries.append(Gallery(staging))
    return _galleries[0]


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


def assert_accessible(page: Page) -> None:
    """Fail on any axe-core WCAG 2.2 A/AA violation on the page as it is now."""
    # After a click that navigates, the new document may not have arrived yet: check the page
    # the user will see, not the empty one in between.
    page.wait_for_load_state("load")
    results = _run_axe(page) if javascript_is_on(page) else _run_axe_on_javascript_off_page(page)
    assert results.violations_count == 0, results.generate_report()
    visit = _visit(page)
    visited_pages(page).append(visit)
    gallery = _gallery()
    if gallery is not None:
        gallery.add(page, visit)
