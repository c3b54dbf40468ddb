"""Hub staff share out the day's referrals: Assign to me, the inbox's Mine and Unallocated
filters, reallocating to a colleague, and an internal note that only hub staff see (the
referrer, signed in afterwards, never does). With JavaScript on and off.

Hub staff, their colleague and the sent referrals are made in the live portal's database
(e2e/records.py), so these journeys need it: against a running portal, set E2E_DATABASE_URL.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    HUB_STAFF_NAME,
    add_internal_note,
    allocate_to_colleague,
    expect_error,
    expect_inbox_lists,
    filter_inbox,
    hub_signs_in,
    hub_timeline,
    inbox_row,
    search_inbox,
    sign_in,
    sign_out,
    success_banner,
)
from e2e.records import Portal, letters

ALLOCATED = "Allocated to"


def test_hub_staff_assign_filter_reallocate_and_keep_an_internal_note(
    any_page: Page, portal: Portal, javascript: bool
) -> None:
    page = any_page
    surname = "Tregarthen" + letters()
    colleague = "Rhys Morgan" + letters()
    portal.create_hub_colleague(colleague)
    referrer = portal.create_referrer()
    ada = portal.referral(referrer, "Ada", surname)
    ben = portal.referral(referrer, "Ben", surname)
    note = f"Health visitor says the family moved on {letters()}: call the new school first."

    hub_signs_in(page, portal.hub_email)
    search_inbox(page, surname, javascript)
    expect_inbox_lists(page, ben, ada)
    filter_inbox(page, ALLOCATED, "Unallocated", javascript)
    expect_inbox_lists(page, ben, ada)
    expect(inbox_row(page, ada)).to_contain_text("Unallocated")
    assert_accessible(page)

    # Assign to me.
    page.get_by_role("link", name=ada, exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("Not allocated to anyone.")
    page.get_by_role("button", name="Assign to me").click()
    expect(success_banner(page)).to_contain_text("Allocated to you")
    expect(page.get_by_role("main")).to_contain_text(f"{HUB_STAFF_NAME} (you)")
    expect(hub_timeline(page)).to_contain_text(f"Allocated to {HUB_STAFF_NAME} by {HUB_STAFF_NAME}")
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    assert_accessible(page)

    # Mine and Unallocated.
    page.goto("/hub/referrals")
    search_inbox(page, surname, javascript)
    filter_inbox(page, ALLOCATED, "Mine", javascript)
    expect_inbox_lists(page, ada)
    expect(inbox_row(page, ada)).to_contain_text(HUB_STAFF_NAME)
    expect(page).to_have_url(re.compile(r"allocated=mine"))
    expect(page.get_by_role("status")).to_have_text("1 referral found")
    filter_inbox(page, ALLOCATED, "Unallocated", javascript)
    expect_inbox_lists(page, ben)
    assert_accessible(page)

    # Reallocated to a colleague, with a note on why; an empty note is refused first.
    filter_inbox(page, ALLOCATED, "Any allocation", javascript)
    page.get_by_role("link", name=ada, exact=True).click()
    allocate_to_colleague(page, colleague)
    expect(success_banner(page)).to_contain_text(f"Allocated to {colleague}")
    expect(hub_timeline(page)).to_contain_text(
        f"Reallocated from {HUB_STAFF_NAME} to {colleague} by {HUB_STAFF_NAME}"
    )
    add_internal_note(page, "   ")
    expect_error(page, "Enter a note", javascript)
    assert_accessible(page)
    add_internal_note(page, note)
    expect(success_banner(page)).to_contain_text("Note added")
    entry = hub_timeline(page).get_by_role("listitem").filter(has_text=note)
    expect(entry).to_contain_text(f"Internal note by {HUB_STAFF_NAME}")
    expect(entry).to_contain_text("Hub staff only")
    assert_accessible(page)

    # The colleague's referrals, from the inbox.
    page.goto("/hub/referrals")
    search_inbox(page, surname, javascript)
    filter_inbox(page, ALLOCATED, colleague, javascript)
    expect_inbox_lists(page, ada)
    expect(inbox_row(page, ada)).to_contain_text(colleague)
    filter_inbox(page, ALLOCATED, "Mine", javascript)
    expect(page.get_by_text("No sent referrals match")).to_be_visible()

    # The referrer sees none of it.
    sign_out(page)
    sign_in(page, referrer)
    page.goto(f"/referrals/{ada}/view")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ada)
    main = page.get_by_role("main")
    for hidden in (note, colleague, "Internal note", "Allocated", "Reallocated"):
        expect(main).not_to_contain_text(hidden)
    assert_accessible(page)
