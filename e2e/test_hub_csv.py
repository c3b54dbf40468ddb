"""Hub staff take the inbox away for their own spreadsheets: they search and filter it, then
Download as CSV gives exactly the referrals they see, with no free-text answers. With
JavaScript the link follows the live search; without, the Search button's page carries it."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page

from e2e.accessibility import assert_accessible
from e2e.journeys import expect_inbox_lists, filter_inbox, hub_signs_in, search_inbox
from e2e.records import Portal, letters


def test_hub_staff_download_the_filtered_inbox_as_csv(
    any_page: Page, portal: Portal, javascript: bool
) -> None:
    page = any_page
    surname = "Csvwright" + letters()
    referrer = portal.create_referrer()
    red = portal.referral(referrer, "Ruby", surname, urgency="red")
    green = portal.referral(referrer, "Gus", surname, urgency="green")

    hub_signs_in(page, portal.hub_email)
    search_inbox(page, surname, javascript)
    expect_inbox_lists(page, green, red)
    filter_inbox(page, "Urgency", "Red", javascript)
    expect_inbox_lists(page, red)
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("referrals-")
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Reference", "Referral type"]
    assert [row[0] for row in rows[1:]] == [red]
    assert rows[1][3:5] == ["Ruby", surname] and rows[1][7] == "Red"
    assert "What we know about" not in text  # no answer of the assessment itself
