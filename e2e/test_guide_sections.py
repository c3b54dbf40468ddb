"""The sections as the help guide describes them, in a browser: "Saved" says which answers
need checking (linked to the field), and the field's error is there when the page is opened
again; "Save and come back later" says the same on the form's contents; sections filled in
from the start page are "Started for you"; consent is not needed for attendance (5.4); the
first family member is added with "Add a family member" (5.2)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    add_family_member,
    error_summary,
    new_draft_at,
    new_email,
    open_section,
    register,
)
from testkit.mail import MailCapture

NHS_NUMBER = "The child's NHS number (optional)"
UPN = "The child's Unique Pupil Number (UPN) (optional)"


def task(page: Page, title: str) -> Locator:
    return page.locator(".govuk-task-list__item").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )


def test_saved_names_the_answer_that_needs_checking_and_links_to_it(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    new_draft_at(page, mail_server, "saved-honestly", "Referrer and child details")
    page.wait_for_load_state()
    field = page.get_by_label(NHS_NUMBER)
    field.fill("943 476 5918")  # the check digit is wrong
    field.press("Tab")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Saved at")
    expect(status).to_contain_text("This answer needs checking:")
    link = status.get_by_role("link")
    expect(link).to_have_count(1)
    assert_accessible(page)
    link.click()
    expect(field).to_be_focused()
    # Opened again, the page shows the error of the answer saved as typed.
    page.reload()
    expect(error_summary(page).get_by_role("link")).to_have_count(1)
    expect(page.get_by_label(NHS_NUMBER)).to_have_value("943 476 5918")
    assert_accessible(page)
    # Put right, "Saved" and nothing more.
    field = page.get_by_label(NHS_NUMBER)
    field.fill("943 476 5919")
    field.press("Tab")
    expect(status).to_contain_text("Saved at")
    expect(status).not_to_contain_text("needs checking")


def test_save_and_come_back_later_says_which_section_has_an_answer_to_check(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    new_draft_at(page, mail_server, "check-later", "Additional Details")
    page.get_by_label(UPN).fill("not a UPN")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Some answers need checking")).to_be_visible()
    item = task(page, "Additional Details")
    expect(item).to_contain_text("1 answer needs checking")
    assert_accessible(page)
    open_section(page, "Additional Details")
    expect(error_summary(page)).to_be_visible()
    expect(page.get_by_label(UPN)).to_have_value("not a UPN")
    assert_accessible(page)


def test_an_attendance_referral_is_started_for_you_and_needs_no_consent(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    register(page, mail_server, new_email("attendance-consent"))
    page.goto("/")
    page.get_by_role("link", name="Report Poor Attendance / Child Missing from Education").click()
    page.get_by_label("Forename").fill("Kim")
    page.get_by_label("Surname").fill("Lee")
    page.get_by_label("A child's attendance at school").check()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How does this tool work")
    page.get_by_role("link", name=re.compile("See every section of the form")).click()
    for title in ("Referrer and child details", "Request for Support", "Participation Team"):
        expect(task(page, title)).to_contain_text("Started for you")
    assert_accessible(page)
    open_section(page, "Consent")
    expect(page.get_by_text("Consent is not needed for this referral")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Additional Details")
    page.get_by_role("link", name="Back to the form's contents").click()
    expect(task(page, "Consent")).to_contain_text("Completed")


def test_the_first_family_member_is_added_with_add_a_family_member(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    new_draft_at(page, mail_server, "first-member", "Relationships and the Wider Family Details")
    expect(page.get_by_text("No family members added yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Add another family member")).to_have_count(0)
    add_family_member(page, 1)
    expect(page.get_by_role("button", name="Add another family member")).to_be_visible()
    assert_accessible(page)
