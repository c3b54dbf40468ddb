"""Help guide section 5 (5.1, 5.3, 5.4, 5.5, 5.9): complete the Early Help Assessment."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import assert_accessible
from e2e.journeys import (
    SECTIONS,
    answer_referrer_and_child_details,
    answer_sections,
    fill_date,
    new_email,
    open_section,
    register,
    start_referral,
)
from e2e.mail import MailCapture


def next_section(page: Page) -> None:
    page.get_by_role("button", name="Next").click()


def test_complete_every_section_and_check_answers(any_page: Page, mail_server: MailCapture) -> None:
    page = any_page
    register(page, mail_server, new_email("eha"))
    reference = start_referral(page)
    assert_accessible(page)

    # 5.1 Referrer and child details, with one mistake first.
    open_section(page, "Referrer and child details")
    assert_accessible(page)
    expect(page.get_by_label("The child's forename")).to_have_value("Sam")
    answer_referrer_and_child_details(page, date_of_birth=("31", "4", "2019"))
    next_section(page)
    expect(page).to_have_title(re.compile("^Error: Referrer and child details"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Date of birth: the date must be a real date")
    assert_accessible(page)
    fill_date(page, "Date of birth", "30", "4", "2019")
    next_section(page)

    # 5.2 to 5.9: a family member, Request for Support, Consent, Additional Details, Services
    # and the eight assessment questions, each page checked with axe before Next.
    answer_sections(page, SECTIONS[1:], check=assert_accessible)

    # 5.10 Upload Documents is optional: back to the form's contents.
    page.get_by_role("link", name="Back to the form's contents").click()

    # Back on the task list: everything completed, check answers open.
    expect(page.get_by_text("You have completed 7 of 7 sections")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Check your answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    for text in ("30 April 2019", "943 476 5919", "Portage", "Jo Smith, mother", "B801200005001"):
        expect(page.get_by_text(text, exact=True).first).to_be_visible()
    expect(page.get_by_role("heading", name="Family member 1: Jo Smith")).to_be_visible()
    assert_accessible(page)
    # Change an answer and come back to check answers.
    page.get_by_role("link", name="Change Your job title").click()
    page.get_by_label("Your job title").fill("Deputy head teacher")
    next_section(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_text("Deputy head teacher")).to_be_visible()
    assert reference in page.content()


def test_answers_autosave_and_survive_a_reload(js_page: Page, mail_server: MailCapture) -> None:
    page = js_page
    register(page, mail_server, new_email("autosave"))
    start_referral(page)
    open_section(page, "Additional Details")
    page.get_by_label("The child's current education setting (optional)").fill("Harefield Academy")
    page.get_by_label("The child's current education setting (optional)").press("Tab")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"Saved at \d{1,2}:\d{2}(am|pm)"))
    page.reload()
    expect(page.get_by_label("The child's current education setting (optional)")).to_have_value(
        "Harefield Academy"
    )


def test_a_second_tab_with_stale_answers_is_told_not_overwritten(
    js_page: Page, browser: Browser, mail_server: MailCapture
) -> None:
    page = js_page
    register(page, mail_server, new_email("tabs"))
    start_referral(page)
    open_section(page, "Additional Details")
    second = page.context.new_page()
    second.goto(page.url)
    field = "The child's current education setting (optional)"
    page.get_by_label(field).fill("First tab school")
    page.get_by_label(field).press("Tab")
    expect(page.get_by_role("status")).to_contain_text("Saved at")
    second.get_by_label(field).fill("Second tab school")
    second.get_by_label(field).press("Tab")
    expect(second.get_by_role("status")).to_contain_text("changed in another tab or window")
    expect(second.get_by_label(field)).to_have_value("Second tab school")
    assert_accessible(second)
    page.reload()
    expect(page.get_by_label(field)).to_have_value("First tab school")


def test_error_summary_links_move_focus_to_the_field(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    register(page, mail_server, new_email("focus"))
    start_referral(page)
    open_section(page, "Consent")
    next_section(page)
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    assert_accessible(page)
    # GOV.UK's error summary takes focus (its wrapper, around the alert), even after an htmx swap.
    assert page.evaluate("document.activeElement.contains(document.querySelector('[role=alert]'))")
    summary.get_by_role("link", name="Select whether you have sought consent").click()
    expect(page.get_by_label("Yes", exact=True)).to_be_focused()


def test_a_failed_autosave_says_so_keeps_the_answer_and_saves_next_time(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    register(page, mail_server, new_email("offline"))
    start_referral(page)
    open_section(page, "Additional Details")
    field = page.get_by_label("The child's current education setting (optional)")
    page.route("**/autosave", lambda route: route.abort("internetdisconnected"))
    field.fill("Offline School")
    field.press("Tab")
    expect(page.get_by_role("status")).to_contain_text("Not saved yet")
    expect(field).to_have_value("Offline School")
    page.unroute("**/autosave")
    field.fill("Offline School, Hayes")
    field.press("Tab")
    expect(page.get_by_role("status")).to_contain_text("Saved at")
    page.reload()
    expect(field).to_have_value("Offline School, Hayes")


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


def test_a_section_page_works_at_320_pixels_wide(js_page: Page, mail_server: MailCapture) -> None:
    page = js_page
    page.set_viewport_size({"width": 320, "height": 640})
    register(page, mail_server, new_email("narrow"))
    start_referral(page)
    open_section(page, "Referrer and child details")
    assert_accessible(page)
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert wide == []
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
