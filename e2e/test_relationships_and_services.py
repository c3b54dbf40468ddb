"""Help guide 5.2, Relationships and the Wider Family Details, and 5.8, Services: family
members and services, one column each, added and removed with and without JavaScript, errors
linked to the one field they are about, follow-up questions in every column, at 320 pixels."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, Route, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    add_family_member,
    add_item,
    choose,
    elements_wider_than_the_window,
    family_member,
    fill_date,
    fill_family_member,
    find_address,
    new_email,
    open_section,
    register,
    section_heading,
    seeded_address,
    start_referral,
    summary_card,
    table_item,
)
from testkit.mail import MailCapture

FAMILY = "Relationships and the Wider Family Details"
PREVIOUS_SERVICES = "Were any services involved with the family before now?"


def sections_of_this_form(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Sections of this form")


def go_to_section(page: Page, title: str) -> None:
    """Through the "Sections of this form" list beside every section; then wait for the page's
    scripts, so that autosave is listening before the first answer changes."""
    sections_of_this_form(page).get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section_heading(title))
    page.wait_for_load_state()


def test_build_a_family_and_services_then_check_answers(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    register(page, mail_server, new_email("family"))
    reference = start_referral(page)
    # The child's address first: a member who lives elsewhere is never offered it.
    open_section(page, "Referrer and child details")
    postcode, address = seeded_address()
    find_address(page, "1", postcode, address)

    go_to_section(page, FAMILY)
    assert_accessible(page)
    jo = add_family_member(page, 1)
    fill_family_member(jo, "Jo", "Smith", "Mother")
    fill_date(jo, "Date of birth", "12", "5", "1988")
    jo.get_by_label("Telephone number (optional)").fill("07700 900982")

    tim = add_item(page, "Add another family member", "Family member 2")
    fill_family_member(tim, "Tim", "Smith", "Brother", parental_responsibility="No")
    assert_accessible(page)

    max_ = add_item(page, "Add another family member", "Family member 3")
    fill_family_member(max_, "Max", "Smith", "Brother", parental_responsibility="No")

    ann = add_item(page, "Add another family member", "Family member 4")
    fill_family_member(
        ann,
        "Ann",
        "Smith",
        "Other",
        describe="Godmother",
        lives_with_child="No",
        parental_responsibility="No",
    )
    # She does not live with the child: her own address is asked, and the child's not offered.
    expect(ann.get_by_role("button", name="Same address as the child")).to_have_count(0)
    ann.get_by_role("button", name="Enter Address").click()
    ann = family_member(page, 4)
    ann.get_by_label("Address line 1").fill("9 Church Road")
    ann.get_by_label("Town or city").fill("Hayes")
    ann.get_by_label("Postcode").fill("UB3 4DS")

    pat = add_item(page, "Add another family member", "Family member 5")
    fill_family_member(
        pat,
        "Pat",
        "Jones",
        "Grandparent",
        lives_with_child="No",
        parental_responsibility="Not known",
    )
    pat.get_by_role("button", name="Enter Address").click()
    pat = family_member(page, 5)
    pat.get_by_label("Address line 1").fill("4 Station Road")
    pat.get_by_label("Town or city").fill("Uxbridge")
    pat.get_by_label("Postcode").fill("UB8 1UW")
    assert_accessible(page)

    # Remove Tim: asked first; "No, keep them" keeps him.
    page.get_by_role("button", name="Remove family member 2").click()
    question = page.get_by_text("Are you sure you want to remove family member 2 (Tim Smith)?")
    expect(question).to_be_focused()
    assert_accessible(page)
    page.get_by_role("button", name="No, keep them").click()
    expect(page.get_by_role("heading", name="Family member 2", exact=True)).to_be_focused()
    expect(question).to_have_count(0)
    expect(family_member(page, 2).get_by_label("Forename")).to_have_value("Tim")
    # Then "Yes, remove": the others move up and a notice takes focus.
    page.get_by_role("button", name="Remove family member 2").click()
    expect(question).to_be_focused()
    page.get_by_role("button", name="Yes, remove").click()
    expect(page.get_by_text("Family member 2 (Tim Smith) has been removed.")).to_be_focused()
    expect(family_member(page, 5)).to_have_count(0)
    expect(family_member(page, 2).get_by_label("Forename")).to_have_value("Max")
    expect(family_member(page, 3).get_by_label("Address line 1")).to_have_value("9 Church Road")
    expect(family_member(page, 4).get_by_label("Address line 1")).to_have_value("4 Station Road")
    assert_accessible(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request for Support")

    # 5.8 Services: two now, none before.
    go_to_section(page, "Services")
    assert_accessible(page)
    nurse = add_item(page, "Add a current service", "Current service 1")
    nurse.get_by_label("Service or agency").fill("School nurse")
    nurse.get_by_label("Worker's name (optional)").fill("Priya Shah")
    nurse.get_by_label("Telephone number (optional)").fill("01895 250111")
    camhs = add_item(page, "Add another current service", "Current service 2")
    camhs.get_by_label("Service or agency").fill("CAMHS")
    fill_date(camhs, "Involved since", "1", "9", "2025")
    choose(page, PREVIOUS_SERVICES, "None")
    assert_accessible(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The Child and their Family's Assessment"
    )

    # Both sections are completed, and every member and service is in check your answers.
    page.goto(f"/referrals/{reference}")
    for title in (FAMILY, "Services"):
        expect(page.get_by_role("link", name=title)).to_have_accessible_description("Completed")
    page.goto(f"/referrals/{reference}/check-answers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(summary_card(page, "Family member 1: Jo Smith")).to_contain_text("12 May 1988")
    expect(summary_card(page, "Family member 1: Jo Smith")).to_contain_text("07700 900982")
    expect(summary_card(page, "Family member 2: Max Smith")).to_contain_text("Brother")
    ann_card = summary_card(page, "Family member 3: Ann Smith")
    expect(ann_card).to_contain_text("Godmother")
    expect(ann_card).to_contain_text("9 Church Road")
    pat_card = summary_card(page, "Family member 4: Pat Jones")
    expect(pat_card).to_contain_text("4 Station Road")
    expect(pat_card).to_contain_text("Grandparent")
    expect(page.get_by_role("heading", name=re.compile(r"^Family member \d"))).to_have_count(4)
    expect(page.get_by_text("Tim Smith")).to_have_count(0)
    expect(summary_card(page, "Current service 1: School nurse")).to_contain_text("Priya Shah")
    expect(summary_card(page, "Current service 2: CAMHS")).to_contain_text("1 September 2025")
    expect(page.get_by_role("heading", name=re.compile(r"^Current service \d"))).to_have_count(2)
    expect(page.get_by_role("heading", name=re.compile(r"^Previous service \d"))).to_have_count(0)
    assert_accessible(page)


def test_an_error_in_one_family_member_links_to_their_field(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    register(page, mail_server, new_email("member-errors"))
    start_referral(page)
    open_section(page, FAMILY)
    fill_family_member(add_family_member(page, 1), "Jo", "Smith", "Mother")
    eve = add_item(page, "Add another family member", "Family member 2")
    fill_family_member(eve, "", "Smith", "Sister")
    eve.get_by_label("Telephone number (optional)").fill("12345")
    page.get_by_role("button", name="Next").click()

    expect(page).to_have_title(re.compile(f"^Error: {FAMILY}"))
    summary = page.get_by_role("alert")
    forename = family_member(page, 2).get_by_label("Forename")
    phone = family_member(page, 2).get_by_label("Telephone number (optional)")
    for link_text, field in (
        ("Family member 2: Enter their forename", forename),
        ("Family member 2: Enter a telephone number in the correct format", phone),
    ):
        link = summary.get_by_role("link", name=link_text)
        expect(link).to_have_attribute("href", f"#{field.get_attribute('id')}")
        link.click()
        expect(field).to_be_focused()
    expect(forename).to_have_accessible_description(re.compile("Enter their forename"))
    expect(family_member(page, 1).get_by_label("Forename")).to_have_value("Jo")
    expect(phone).to_have_value("12345")
    assert_accessible(page)

    family_member(page, 2).get_by_label("Forename").fill("Eve")
    phone.fill("07700 900123")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request for Support")

    # A service without its name, and no answer about earlier services.
    go_to_section(page, "Services")
    nurse = add_item(page, "Add a current service", "Current service 1")
    nurse.get_by_label("Worker's name (optional)").fill("Priya Shah")
    nurse.get_by_label("Email address (optional)").fill("not an email")
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_title(re.compile("^Error: Services"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Select whether any services were involved")
    service = table_item(page, "Current service", 1).get_by_label("Service or agency")
    summary.get_by_role(
        "link", name="Current service 1: Enter the name of the service or agency"
    ).click()
    expect(service).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Current service 1: .*email")).click()
    expect(table_item(page, "Current service", 1).get_by_label("Email address")).to_be_focused()
    assert_accessible(page)


def test_family_and_services_work_at_320_pixels_wide(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    register(page, mail_server, new_email("narrow-tables"))
    start_referral(page)
    page.set_viewport_size({"width": 320, "height": 800})
    open_section(page, FAMILY)
    choose(add_family_member(page, 1), "Do they live with the child?", "No")
    add_item(page, "Add another family member", "Family member 2")
    assert_accessible(page)
    assert elements_wider_than_the_window(page) == []
    page.get_by_role("button", name="Remove family member 2").click()
    expect(page.get_by_text("Are you sure you want to remove family member 2?")).to_be_focused()
    assert_accessible(page)
    assert elements_wider_than_the_window(page) == []
    page.get_by_role("button", name="Yes, remove").click()
    expect(page.get_by_text("Family member 2 has been removed.")).to_be_focused()

    go_to_section(page, "Services")
    add_item(page, "Add a current service", "Current service 1")
    choose(page, PREVIOUS_SERVICES, "Yes")
    expect(table_item(page, "Previous service", 1)).to_be_visible()
    assert_accessible(page)
    assert elements_wider_than_the_window(page) == []


def assert_follow_up_questions_show_and_hide(member: Locator) -> None:
    describe = member.get_by_label("Describe their relationship to the child")
    find_address = member.get_by_role("button", name="Find Address")
    expect(describe).to_be_hidden()
    expect(find_address).to_be_hidden()
    choose(member, "Relationship to the child", "Other")
    expect(describe).to_be_visible()
    choose(member, "Relationship to the child", "Aunt")
    expect(describe).to_be_hidden()
    choose(member, "Do they live with the child?", "No")
    expect(find_address).to_be_visible()
    choose(member, "Do they live with the child?", "Yes")
    expect(find_address).to_be_hidden()


def test_follow_up_questions_show_and_hide_with_the_answer_in_every_column(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    register(page, mail_server, new_email("reveals"))
    start_referral(page)
    open_section(page, FAMILY)
    page.wait_for_load_state()
    assert_follow_up_questions_show_and_hide(add_family_member(page, 1))
    # A column htmx adds, and columns htmx draws again after a removal.
    assert_follow_up_questions_show_and_hide(
        add_item(page, "Add another family member", "Family member 2")
    )
    add_item(page, "Add another family member", "Family member 3")
    page.get_by_role("button", name="Remove family member 3").click()
    page.get_by_role("button", name="Yes, remove").click()
    expect(page.get_by_text("Family member 3 has been removed.")).to_be_focused()
    choose(family_member(page, 1), "Relationship to the child", "Mother")
    assert_follow_up_questions_show_and_hide(family_member(page, 2))

    go_to_section(page, "Services")
    previous = table_item(page, "Previous service", 1)
    expect(previous).to_be_hidden()
    choose(page, PREVIOUS_SERVICES, "Yes")
    expect(previous).to_be_visible()
    choose(page, PREVIOUS_SERVICES, "None")
    expect(previous).to_be_hidden()


def test_adding_a_member_while_an_autosave_is_on_its_way_is_not_taken_for_another_tab(
    js_page: Page, mail_server: MailCapture
) -> None:
    """On a slow connection the last answer's autosave can still be on its way back when Add
    is selected: the portal has saved it, the page has not yet heard."""
    page = js_page
    register(page, mail_server, new_email("slow-autosave"))
    start_referral(page)
    open_section(page, FAMILY)
    page.wait_for_load_state()

    def saved_but_not_yet_answered(route: Route) -> None:
        route.fetch()
        page.evaluate("document.body.dataset.autosaveSaved = 'yes'")

    add_family_member(page, 1)
    page.route("**/autosave", saved_but_not_yet_answered)
    forename = family_member(page, 1).get_by_label("Forename")
    forename.fill("Jo")
    forename.press("Tab")
    expect(page.locator("body")).to_have_attribute("data-autosave-saved", "yes")
    add_item(page, "Add another family member", "Family member 2")
    expect(page.get_by_text("changed in another tab or window")).to_have_count(0)
    page.unroute("**/autosave")
    page.reload()
    expect(family_member(page, 2)).to_be_visible()
    expect(family_member(page, 1).get_by_label("Forename")).to_have_value("Jo")
