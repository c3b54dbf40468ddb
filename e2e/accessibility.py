"""Accessibility checks of the pages the journeys visit: `assert_accessible` runs axe-core
(WCAG 2.2 A and AA) on a page as it is, with JavaScript on or, for a context started without
it, on a copy of the page that no script touched; and, with E2E_GALLERY=1, keeps a screenshot
of every distinct page checked (e2e/artifacts/gallery/index.html).

Kept apart from conftest.py so that the journeys (e2e/journeys.py) can use it without
importing the conftest that imports them.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route

from e2e import asset_coverage

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
GALLERY = ARTIFACTS / "gallery"
_axe = Axe()


_javascript_off_contexts: set[int] = set()


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


def assert_accessible(page: Page) -> None:
    """Fail on any axe-core WCAG 2.2 A/AA violation on the page as it is now."""
    # After a click that navigates, the new document may not have arrived yet: check the page
    # the user will see, not the empty one in between.
    page.wait_for_load_state("load")
    results = _run_axe(page) if javascript_is_on(page) else _run_axe_on_javascript_off_page(page)
    assert results.violations_count == 0, results.generate_report()
    asset_coverage.record(page)
    visit = _visit(page)
    visited_pages(page).append(visit)
    gallery = _gallery()
    if gallery is not None:
        gallery.add(page, visit)
