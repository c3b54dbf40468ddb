"""Help guide 5, Complete and Submit an Early Help Assessment (5.1 to 5.9): every section
answered with Next, a mistake shown and put right, check your answers and Change; answers saved
as they are typed (autosave), a second tab told rather than overwritten, a failed save said.

The sections chosen in Request for Support (5.3, 5.6, 5.7) are in test_request_for_support.py,
the family members and services tables (5.2, 5.8) in test_relationships_and_services.py, and
every question page at 400% zoom in test_accessibility.py."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, Request, Route, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    SECTIONS,
    answer_additional_details,
    answer_referrer_and_child_details,
    answer_sections,
    fill_date,
    new_draft_at,
    new_email,
    open_section,
    register,
    start_referral,
)
from testkit.mail import MailCapture

SETTING = "The child's current education setting (optional)"
UPN = "The child's Unique Pupil Number (UPN) (optional)"


def count_autosaves_asked(page: Page) -> None:
    """Count, in `window.autosavesAsked`, the autosaves htmx is asked to make (sent, queued or
    dropped alike)."""
    page.evaluate(
        """() => {
          window.autosavesAsked = 0
          document.body.addEventListener('htmx:confirm', (event) => {
            if (event.detail.path.endsWith('/autosave')) window.autosavesAsked += 1
          })
        }"""
    )


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
    new_draft_at(page, mail_server, "autosave", "Additional Details")
    page.get_by_label(SETTING).fill("Harefield Academy")
    page.get_by_label(SETTING).press("Tab")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"Saved at \d{1,2}:\d{2}(am|pm)"))
    page.reload()
    expect(page.get_by_label(SETTING)).to_have_value("Harefield Academy")


def test_a_change_made_while_a_save_is_on_its_way_is_saved_after_it(
    js_page: Page, mail_server: MailCapture
) -> None:
    """On a slow line the first autosave can still be travelling when the next change is made:
    the second waits for the first and then goes, with every answer; it is never dropped."""
    page = js_page
    new_draft_at(page, mail_server, "queued", "Additional Details")
    count_autosaves_asked(page)
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)  # the first save is held on its way

    page.route("**/autosave", hold_the_first)
    upn = page.get_by_label(UPN)
    setting = page.get_by_label(SETTING)
    upn.fill("B801200005001")
    upn.press("Tab")
    page.wait_for_function("() => window.autosavesAsked === 1")
    setting.fill("Harefield Academy")
    setting.press("Tab")
    page.wait_for_function("() => window.autosavesAsked === 2")
    assert len(held) == 1, "the second save went while the first was still on its way"
    with page.expect_response(
        lambda response: (
            response.url.endswith("/autosave")
            and "education_setting=Harefield" in (response.request.post_data or "")
        )
    ) as second:
        held[0].continue_()
    assert second.value.ok
    expect(page.get_by_role("status")).to_have_text(re.compile(r"Saved at"))
    page.reload()
    expect(upn).to_have_value("B801200005001")
    expect(setting).to_have_value("Harefield Academy")


def test_an_autosave_waiting_behind_next_is_not_sent_after_it(
    js_page: Page, mail_server: MailCapture
) -> None:
    """Next sends every answer, normalised: an autosave still waiting behind it (a change made
    just before) must not follow it and store the answers again as typed."""
    page = js_page
    new_draft_at(page, mail_server, "behind-next", "Additional Details")
    section_url = page.url
    answer_additional_details(page)
    count_autosaves_asked(page)
    held: list[Route] = []

    def hold_next(route: Route) -> None:
        if route.request.method == "POST" and not held:
            held.append(route)  # Next, held on its way
        else:
            route.continue_()

    page.route(section_url, hold_next)
    posts: list[str] = []

    def note_post(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url)

    page.on("request", note_post)
    upn = page.get_by_label(UPN)
    upn.fill("b801200005001")  # Next stores it in capitals
    upn.press("Tab")  # the change: its autosave goes after a short delay
    page.get_by_role("button", name="Next").click()
    page.wait_for_function("() => window.autosavesAsked === 1")  # asked for while Next is held
    assert len(held) == 1
    posts.clear()
    held[0].continue_()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Additional Details")
    assert not [url for url in posts if url.endswith("/autosave")], posts
    page.unroute(section_url)
    page.goto(section_url)
    expect(upn).to_have_value("B801200005001")


def test_answers_not_yet_saved_are_saved_before_a_link_leaves_the_page(
    js_page: Page, mail_server: MailCapture
) -> None:
    """Typed, not left, and straight to a link: the link waits for the save, then goes."""
    page = js_page
    new_draft_at(page, mail_server, "leaving", "Additional Details")
    setting = page.get_by_label(SETTING)
    setting.fill("Harefield Academy")  # the field is never left, so no change event yet
    with page.expect_response(lambda response: response.url.endswith("/autosave")) as saved:
        page.get_by_role("link", name="All sections and their status").click()
    assert saved.value.ok
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Additional Details")
    open_section(page, "Additional Details")
    expect(setting).to_have_value("Harefield Academy")

    # The same when the save cannot get through: the page says so and keeps the answer; the
    # link a second time leaves without saving.
    setting.fill("Harefield Academy, Uxbridge")
    page.route("**/autosave", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("link", name="All sections and their status").click()
    expect(page.get_by_role("status")).to_contain_text("could not be saved before leaving")
    expect(page.get_by_role("heading", level=1)).to_have_text("Additional Details")
    expect(setting).to_have_value("Harefield Academy, Uxbridge")
    assert_accessible(page)
    page.get_by_role("link", name="All sections and their status").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Additional Details")


def test_answers_not_yet_saved_are_sent_as_the_page_goes(
    js_page: Page, mail_server: MailCapture
) -> None:
    """Typed, not left, and another address typed in: the answers go with the page (keepalive).
    That save lands just after the next page has been asked for, so look a few times."""
    page = js_page
    new_draft_at(page, mail_server, "pagehide", "Additional Details")
    section_url = page.url
    page.get_by_label(SETTING).fill("Ruislip High")
    page.goto(section_url.split("/referrals/")[0] + "/submitted")
    for _ in range(20):
        page.goto(section_url)
        value = page.get_by_label(SETTING).input_value()
        if value == "Ruislip High":
            break
        page.wait_for_timeout(250)
    assert value == "Ruislip High"


def test_a_second_tab_with_stale_answers_is_told_not_overwritten(
    js_page: Page, browser: Browser, mail_server: MailCapture
) -> None:
    page = js_page
    new_draft_at(page, mail_server, "tabs", "Additional Details")
    second = page.context.new_page()
    second.goto(page.url)
    field = SETTING
    page.get_by_label(field).fill("First tab school")
    page.get_by_label(field).press("Tab")
    expect(page.get_by_role("status")).to_contain_text("Saved at")
    second.get_by_label(field).fill("Second tab school")
    second.get_by_label(field).press("Tab")
    expect(second.get_by_role("status")).to_contain_text("changed in another tab or window")
    expect(second.get_by_label(field)).to_have_value("Second tab school")
    assert_accessible(second)
    # Next says so too, and offers the latest answers; going to see them saves nothing first,
    # even after another change.
    second.get_by_role("button", name="Next").click()
    banner = second.get_by_role("region", name="Important")
    expect(banner).to_contain_text("changed in another tab or window")
    second.get_by_label(field).fill("Second tab school, changed again")
    banner.get_by_role("link", name="See the latest answers").click()
    expect(second.get_by_label(field)).to_have_value("First tab school")
    page.reload()
    expect(page.get_by_label(field)).to_have_value("First tab school")


def test_error_summary_links_move_focus_to_the_field(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    new_draft_at(page, mail_server, "focus", "Consent")
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
    new_draft_at(page, mail_server, "offline", "Additional Details")
    field = page.get_by_label(SETTING)
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
