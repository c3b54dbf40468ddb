"""The hub's working day: in the inbox, when each first decision is due and which are overdue
(sorted and filtered, JavaScript on and off), and on a sent referral's page the other
referrals of the same child, each a link to its own page.

The referrals are made in the live portal's database (e2e/records.py), one of them sent ten
days ago; everything the tests are about happens in the browser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from app.services.decision_due import decision_due_on
from e2e.accessibility import assert_accessible
from e2e.journeys import (
    expect_inbox_lists,
    filter_inbox,
    hub_signs_in,
    inbox_row,
    search_inbox,
)
from e2e.records import Portal, letters


def test_hub_staff_see_due_and_overdue_referrals_and_the_earlier_referral_of_a_child(
    any_page: Page, portal: Portal, javascript: bool
) -> None:
    page = any_page
    surname = "Ashdown" + letters()
    referrer = portal.create_referrer()
    now = datetime.now(UTC)
    earlier = portal.referral(referrer, "Ivy", surname, nhs="", sent_at=now - timedelta(days=10))
    latest = portal.referral(referrer, "IVY", surname.upper(), nhs="")
    due = decision_due_on(now, portal.settings.hub_decision_working_days)

    hub_signs_in(page, portal.hub_email)
    search_inbox(page, surname, javascript)
    expect_inbox_lists(page, latest, earlier)
    expect(inbox_row(page, earlier)).to_contain_text("Overdue")
    expect(inbox_row(page, latest)).to_contain_text(f"Due {due.day} {due:%B %Y}")
    expect(inbox_row(page, latest)).not_to_contain_text("Overdue")
    assert_accessible(page)

    filter_inbox(page, "First decision", "Overdue", javascript)
    expect_inbox_lists(page, earlier)
    expect(page).to_have_url(re.compile(r"due=overdue"))
    expect(page.get_by_role("status")).to_have_text("1 referral found")
    assert_accessible(page)
    filter_inbox(page, "First decision", "Any", javascript)
    expect_inbox_lists(page, latest, earlier)
    filter_inbox(page, "Sort by", "Due date, oldest first", javascript)
    expect_inbox_lists(page, earlier, latest)
    expect(page).to_have_url(re.compile(r"sort=due"))
    assert_accessible(page)

    page.get_by_role("link", name=latest, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(latest)
    panel = page.get_by_role("region", name="Other referrals for this child")
    expect(panel).to_contain_text("Possible match")
    expect(panel).to_contain_text("up to a year either side")
    expect(page.locator("#first-decision")).to_contain_text(f"Due {due.day} {due:%B %Y}")
    assert_accessible(page)
    panel.get_by_role("link", name=earlier, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(earlier)
    expect(page.locator("#first-decision")).to_contain_text("Overdue")
    back_panel = page.get_by_role("region", name="Other referrals for this child")
    expect(back_panel.get_by_role("link", name=latest, exact=True)).to_be_visible()
    assert_accessible(page)
