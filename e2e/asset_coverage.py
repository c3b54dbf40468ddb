"""Trimming the assets never breaks a page: on every page the journeys check for accessibility
(`assert_accessible`), every class in the document and every `data-module` are noted; at the
end of the run (`check`), no page may use a class whose rules the build left out, and every
component a page marks must be started by the portal's script or handled by its own code
(testkit/asset_coverage.py).
"""

from __future__ import annotations

from playwright.sync_api import Page

from testkit.asset_coverage import Uses, problems

SEEN = Uses()


def record(page: Page) -> None:
    """The document as it is now (what scripts changed included), with JavaScript on or off."""
    SEEN.add(page.url.split("?", 1)[0], page.content())


def check() -> None:
    if not SEEN.classes:
        return  # no journey checked a page (a single test run on its own)
    found = problems(SEEN)
    assert not found, "\n".join(found)
