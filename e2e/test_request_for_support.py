"""Help guide 5.3, Request for Support, decides which sections the form has: 5.6, Participation
Team, and 5.7, SEND Information, come and go with its answers (without a reload with htmx, on
Next without JavaScript), and answers in a hidden section are kept for when it comes back."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    new_draft_at,
    new_email,
    open_section,
    register,
    section_heading,
    start_referral,
)
from testkit.mail import MailCapture

PARTICIPATION_CHOICE = "Participation Team"
SEND_CHOICE = "Special Educational Needs or Disabilities Services"


def next_section(page: Page) -> None:
    page.get_by_role("button", name="Next").click()


def sections_of_this_form(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Sections of this form")


def go_to_section(page: Page, title: str) -> None:
    """Through the "Sections of this form" list beside every section; then wait for the page's
    scripts, so that autosave is listening before the first answer changes."""
    sections_of_this_form(page).get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section_heading(title))
    page.wait_for_load_state()


def test_participation_and_send_sections_appear_and_go(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    register(page, mail_server, new_email("sections"))
    start_referral(page)
    contents = page.get_by_role("list").filter(has_text="Request for Support")
    expect(contents.get_by_role("link", name="Participation Team")).to_have_count(0)
    open_section(page, "Request for Support")
    page.get_by_label("Participation Team").check()
    page.get_by_label("Special Educational Needs or Disabilities Services").check()
    next_section(page)
    page.get_by_role("link", name="Back to the form's contents").click()
    expect(contents.get_by_role("link", name="Participation Team")).to_be_visible()
    expect(contents.get_by_role("link", name="SEND Information")).to_be_visible()
    open_section(page, "Participation Team")
    page.get_by_label("A child's attendance at school").check()
    expect(page.get_by_label("Which school does the child attend?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to the form's contents").click()
    open_section(page, "Request for Support")
    page.get_by_label("Participation Team").uncheck()
    next_section(page)
    page.get_by_role("link", name="Back to the form's contents").click()
    expect(contents.get_by_role("link", name="Participation Team")).to_have_count(0)
    expect(contents.get_by_role("link", name="SEND Information")).to_be_visible()


def test_section_list_follows_request_for_support_without_a_reload(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    new_draft_at(page, mail_server, "section-list", "Request for Support")
    page.wait_for_load_state()
    sections = sections_of_this_form(page)
    status = page.get_by_role("status")
    participation = sections.get_by_role("link", name="Participation Team", exact=True)
    send = sections.get_by_role("link", name="SEND Information", exact=True)
    page.evaluate("window.sameDocument = true")
    expect(participation).to_have_count(0)
    expect(send).to_have_count(0)

    page.get_by_label(PARTICIPATION_CHOICE).check()
    expect(participation).to_be_visible()
    expect(status).to_contain_text("The Participation Team section has been added to this form.")
    page.get_by_label(SEND_CHOICE).check()
    expect(send).to_be_visible()
    expect(status).to_contain_text("The SEND Information section has been added to this form.")
    expect(sections.get_by_role("link", name="Request for Support")).to_have_attribute(
        "aria-current", "page"
    )
    assert_accessible(page)

    page.get_by_label(PARTICIPATION_CHOICE).uncheck()
    expect(participation).to_have_count(0)
    expect(status).to_contain_text("The Participation Team section has been taken out of")
    expect(send).to_be_visible()
    page.get_by_label(SEND_CHOICE).uncheck()
    expect(send).to_have_count(0)
    expect(status).to_contain_text("The SEND Information section has been taken out of")
    assert page.evaluate("window.sameDocument === true")

    # Answers in Participation Team are kept while it is hidden, and come back with it.
    page.get_by_label(PARTICIPATION_CHOICE).check()
    expect(participation).to_be_visible()
    go_to_section(page, "Participation Team")
    page.get_by_label("A child's attendance at school").check()
    school = page.get_by_label("Which school does the child attend?")
    school.fill("Harefield Academy")
    school.press("Tab")
    expect(page.get_by_role("status")).to_contain_text("Saved at")
    go_to_section(page, "Request for Support")
    page.get_by_label(PARTICIPATION_CHOICE).uncheck()
    expect(participation).to_have_count(0)
    page.get_by_label(PARTICIPATION_CHOICE).check()
    expect(participation).to_be_visible()
    go_to_section(page, "Participation Team")
    expect(page.get_by_label("A child's attendance at school")).to_be_checked()
    expect(page.get_by_label("Which school does the child attend?")).to_have_value(
        "Harefield Academy"
    )


def test_without_javascript_next_changes_the_sections_and_keeps_hidden_answers(
    nojs_page: Page, mail_server: MailCapture
) -> None:
    page = nojs_page
    register(page, mail_server, new_email("sections-nojs"))
    reference = start_referral(page)
    open_section(page, "Request for Support")
    page.get_by_label(PARTICIPATION_CHOICE).check()
    page.get_by_label(SEND_CHOICE).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent")
    sections = sections_of_this_form(page)
    expect(sections.get_by_role("link", name="Participation Team", exact=True)).to_be_visible()
    expect(sections.get_by_role("link", name="SEND Information", exact=True)).to_be_visible()

    page.goto(f"/referrals/{reference}")
    contents = page.get_by_role("list").filter(has_text="Request for Support")
    expect(contents.get_by_role("link", name="Participation Team")).to_be_visible()
    expect(contents.get_by_role("link", name="SEND Information")).to_be_visible()
    open_section(page, "Participation Team")
    page.get_by_label("A child's attendance at school").check()
    page.get_by_label("Which school does the child attend?").fill("Harefield Academy")
    page.get_by_role("button", name="Save and come back later").click()

    open_section(page, "Request for Support")
    page.get_by_label(PARTICIPATION_CHOICE).uncheck()
    page.get_by_role("button", name="Next").click()
    page.goto(f"/referrals/{reference}")
    expect(contents.get_by_role("link", name="Participation Team")).to_have_count(0)
    expect(contents.get_by_role("link", name="SEND Information")).to_be_visible()

    open_section(page, "Request for Support")
    page.get_by_label(PARTICIPATION_CHOICE).check()
    page.get_by_role("button", name="Next").click()
    go_to_section(page, "Participation Team")
    expect(page.get_by_label("A child's attendance at school")).to_be_checked()
    expect(page.get_by_label("Which school does the child attend?")).to_have_value(
        "Harefield Academy"
    )
    assert_accessible(page)
