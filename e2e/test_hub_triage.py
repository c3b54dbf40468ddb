"""Hub staff triage sent referrals (the other side of help guide 6, Portal Response
Notifications): sign in, find sent referrals in the inbox (live search and filters), change a
status with the keyboard only, and remove a document attached in error. Triage with messages to
the referrer, and the referrer's side, are in test_portal_responses.py.

Hub staff and the sent referrals they work on are made in the live portal's database
(e2e/records.py: `portal create-user --role hub` and the portal's own services), so these
journeys need the portal's database: against a running portal, set E2E_DATABASE_URL. Everything
the tests are about happens in the browser.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    ACCEPTED,
    HUB_STAFF_NAME,
    REFERRER_NAME,
    SEARCH,
    expect_error,
    expect_inbox_lists,
    filter_inbox,
    hub_signs_in,
    inbox_row,
    search_inbox,
    success_banner,
)
from e2e.records import Portal, letters, nhs_number, small_pdf

SEND_TYPE = "Refer for Special Education Needs and Disabilities Support (SEND)"


# 1. The inbox ---------------------------------------------------------------------------------


def test_hub_staff_find_sent_referrals_by_search_and_filters(
    any_page: Page, portal: Portal, javascript: bool
) -> None:
    page = any_page
    surname = "Marlowe" + letters()
    referrer = portal.create_referrer()
    ben_nhs = nhs_number()
    ada = portal.referral(referrer, "Ada", surname)
    ben = portal.referral(
        referrer,
        "Ben",
        surname,
        option="send",
        nhs=ben_nhs,
        hub_status="in-triage",
        urgency="red",
    )
    draft = portal.referral(referrer, "Dot", surname, send=False)

    hub_signs_in(page, portal.hub_email)
    expect(inbox_row(page, ben)).to_be_visible()
    expect(page.get_by_role("link", name=draft)).to_have_count(0)
    assert_accessible(page)

    if javascript:
        page.evaluate("window.sameInboxPage = true")
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/hub/referrals?" in r.url else None)
    search_inbox(page, surname, javascript)
    # Newest first; the draft is never in the inbox.
    expect_inbox_lists(page, ben, ada)
    expect(page.get_by_role("status")).to_have_text("2 referrals found")
    expect(page).to_have_url(re.compile(rf"/hub/referrals\?q={surname}"))
    ben_row = inbox_row(page, ben)
    expect(ben_row).to_contain_text(f"Ben {surname}")
    expect(ben_row).to_contain_text(SEND_TYPE)
    expect(ben_row).to_contain_text("In triage")
    expect(ben_row).to_contain_text("Red")
    expect(ben_row).to_contain_text(REFERRER_NAME)
    expect(inbox_row(page, ada)).to_contain_text("Received")
    expect(inbox_row(page, ada)).to_contain_text("Not set")
    if javascript:
        # Live search: the same page, still typing in the box, one request for the whole word
        # rather than one a keystroke (debounced), the address kept for Back and reload.
        assert page.evaluate("window.sameInboxPage") is True
        expect(page.get_by_label(SEARCH)).to_be_focused()
        assert 1 <= len(searches) < len(surname), searches
    assert_accessible(page)

    search_inbox(page, f"ada {surname.lower()}", javascript)
    expect_inbox_lists(page, ada)
    expect(page).to_have_url(re.compile(rf"q=ada(\+|%20){surname.lower()}"))

    # Part of the reference: its number, without "EH-" and the year.
    search_inbox(page, ada.rsplit("-", 1)[1], javascript)
    expect_inbox_lists(page, ada)

    search_inbox(page, ben_nhs, javascript)
    expect_inbox_lists(page, ben)

    search_inbox(page, surname, javascript)
    expect_inbox_lists(page, ben, ada)
    filter_inbox(page, "Status", "In triage", javascript)
    expect_inbox_lists(page, ben)
    expect(page).to_have_url(re.compile(r"status=in-triage"))
    filter_inbox(page, "Status", "Any status", javascript)
    filter_inbox(page, "Urgency", "Not set", javascript)
    expect_inbox_lists(page, ada)
    expect(page).to_have_url(re.compile(r"urgency=none"))
    filter_inbox(page, "Urgency", "Any urgency", javascript)
    filter_inbox(page, "Referral type", SEND_TYPE, javascript)
    expect_inbox_lists(page, ben)
    expect(page).to_have_url(re.compile(r"type=send"))
    filter_inbox(page, "Status", ACCEPTED, javascript)
    expect(page.get_by_text("No sent referrals match")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("0 referrals found")
    assert_accessible(page)

    # Reloading the address keeps the search and filters.
    page.reload()
    expect(page.get_by_label(SEARCH)).to_have_value(surname)
    expect(page.get_by_label("Referral type", exact=True)).to_have_value("send")
    filter_inbox(page, "Status", "Any status", javascript)
    expect_inbox_lists(page, ben)

    # On a 320 px wide phone: nothing to scroll sideways but the table itself.
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    expect_inbox_lists(page, ben)
    assert_accessible(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the inbox scrolls sideways by {overflow}px at 320px"


def test_live_search_announces_how_many_referrals_match(js_page: Page, portal: Portal) -> None:
    """A screen reader hears the count after each live search: its live region (role=status)
    must stay in the page, with only its words changing. A live region that arrives already
    filled in is not announced (it has to be in the page before the change)."""
    page = js_page
    surname = "Quenby" + letters()
    referrer = portal.create_referrer()
    portal.referral(referrer, "Fen", surname)
    hub_signs_in(page, portal.hub_email)
    count = page.get_by_role("status")
    expect(count).to_have_text(re.compile(r"^\d+ referrals?$"))
    page.evaluate("window.countBefore = document.querySelector('[role=status]')")
    search_inbox(page, surname, javascript=True)
    expect(count).to_have_text("1 referral found")
    assert page.evaluate("window.countBefore.isConnected"), (
        "the live search replaced the result count's live region instead of updating it"
    )


# 2. A document attached in error ---------------------------------------------------------------


def test_hub_removes_a_document_attached_in_error(
    any_page: Page, portal: Portal, javascript: bool
) -> None:
    page = any_page
    referrer = portal.create_referrer()
    wrong = small_pdf("Another family")
    reference = portal.referral(
        referrer,
        "Dara",
        "Penhallow" + letters(),
        documents=(("wrong-family.pdf", wrong), ("consent.pdf", small_pdf("Consent"))),
    )
    reason = "The referrer told us it is about another family"

    hub_signs_in(page, portal.hub_email)
    page.goto(f"/hub/referrals/{reference}")
    download = page.get_by_role("link", name="wrong-family.pdf", exact=True)
    href = download.get_attribute("href")
    assert href is not None
    response = page.request.get(href)
    assert response.status == 200 and response.body() == wrong

    page.get_by_role("link", name="Remove wrong-family.pdf as attached in error").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove a document attached in error")
    expect(page.get_by_role("main")).to_contain_text("wrong-family.pdf")
    assert_accessible(page)
    page.get_by_role("button", name="Remove the document").click()
    expect_error(page, "Enter why the document is being removed", javascript)
    assert_accessible(page)
    page.get_by_label("Why is it being removed?").fill(reason)
    page.get_by_role("button", name="Remove the document").click()

    expect(success_banner(page)).to_contain_text("wrong-family.pdf has been removed")
    documents = (
        page.get_by_role("list").filter(has_text="wrong-family.pdf").filter(has_text="consent.pdf")
    )
    removed = documents.get_by_role("listitem").filter(has_text="wrong-family.pdf")
    expect(removed).to_contain_text("Removed")
    expect(removed).to_contain_text(reason)
    expect(page.get_by_role("link", name="wrong-family.pdf", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Remove wrong-family.pdf"))).to_have_count(0)
    expect(page.get_by_role("link", name="consent.pdf", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        f"Document removed by {HUB_STAFF_NAME}, {portal.settings.hub_name}"
    )
    assert_accessible(page)
    assert page.request.get(href).status == 404


# 3. Keyboard only ------------------------------------------------------------------------------


def focused(locator: Locator) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def test_hub_changes_a_status_with_the_keyboard_only(js_page: Page, portal: Portal) -> None:
    page = js_page
    referrer = portal.create_referrer()
    reference = portal.referral(referrer, "Eli", "Trevose" + letters())
    message = "Accepted: a family worker will call."

    hub_signs_in(page, portal.hub_email)
    page.goto(f"/hub/referrals/{reference}")
    received = page.get_by_label("Received", exact=True)
    expect(received).to_be_checked()
    for _ in range(100):
        page.keyboard.press("Tab")
        if focused(received):
            break
    else:
        raise AssertionError("Tab never reached the status radios")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    accepted = page.get_by_label(ACCEPTED, exact=True)
    expect(accepted).to_be_focused()
    page.keyboard.press("Space")
    expect(accepted).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Message to the referrer (optional)")).to_be_focused()
    page.keyboard.type(message)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change status")).to_be_focused()
    page.keyboard.press("Enter")

    expect(success_banner(page)).to_contain_text(f"Status changed to {ACCEPTED}")
    expect(success_banner(page)).to_be_focused()
    expect(page.get_by_text(message, exact=True)).to_be_visible()
    expect(page.get_by_label(ACCEPTED, exact=True)).to_be_checked()
    assert_accessible(page)
