"""A warm page is one request (docs/PERFORMANCE.md has the bytes and times, from
bench/page_weight.py and bench/low_spec.py): once a professional has loaded the form, moving
between its pages fetches the page alone, every script and stylesheet coming from the cache
without being checked again, and no script fetching another."""

from __future__ import annotations

from playwright.sync_api import Page

from e2e.journeys import new_draft_at, open_section
from testkit.browser import NetworkMeter
from testkit.mail import MailCapture


def test_a_warm_navigation_between_section_pages_fetches_only_the_page(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    new_draft_at(page, mail_server, "warm-pages", "Referrer and child details")
    page.wait_for_load_state("load")
    meter = NetworkMeter()
    meter.attach(page.context.new_cdp_session(page))
    for title in ("Consent", "Additional Details"):
        meter.reset()
        page.get_by_role("link", name="Back to the form's contents").click()
        page.wait_for_load_state("networkidle")
        assert [url.split("?")[0] for url in meter.fetched] == [page.url.split("?")[0]]
        meter.reset()
        open_section(page, title)
        page.wait_for_load_state("networkidle")  # anything a script fetches once started
        assert [url.split("?")[0] for url in meter.fetched] == [page.url.split("?")[0]], title
