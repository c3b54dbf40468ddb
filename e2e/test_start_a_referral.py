"""Help guide 3, Start the Referral Process: the portal home, its tiles, the LEAP tile and the
professionals page; starting before signing in, registering or signing in, and landing back on
the form, from where a start that is not the user's can be deleted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import PASSWORD, code_from, new_email, register, sign_in, sign_out
from testkit.mail import MailCapture


def started_before_sign_in(page: Page) -> Locator:
    """The banner on the form's first page after a start made before signing in."""
    return page.get_by_role("region", name="Important").filter(has_text="before you signed in")


def test_home_page_shows_the_service_and_passes_axe(any_page: Page) -> None:
    response = any_page.goto("/")
    assert response is not None and response.status == 200
    expect(any_page).to_have_title(re.compile(r"^Home – Children's Portal – "))
    expect(any_page.get_by_role("heading", level=1, name="Children's Portal")).to_be_visible()
    expect(any_page.get_by_role("banner")).to_contain_text("London Borough of Hillingdon")
    expect(any_page.get_by_role("link", name="Accessibility statement")).to_be_visible()
    assert_accessible(any_page)


TILES = [
    ("Refer a Family for Early Help or Social Care Support", "What is the child's name?"),
    ("Report Poor Attendance / Child Missing from Education", "What is the child's name?"),
    (
        "Refer for Special Education Needs and Disabilities Support (SEND)",
        "What is the child's name?",
    ),
    ("Early Health Notifications", "Early Health Notifications"),
]


@pytest.mark.parametrize(
    ("tile", "heading"), TILES, ids=["early-help", "attendance", "send", "ehn"]
)
def test_each_tile_from_home_leads_to_its_page(any_page: Page, tile: str, heading: str) -> None:
    any_page.goto("/")
    any_page.get_by_role("link", name=tile).click()
    expect(any_page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_accessible(any_page)


def test_leap_tile_goes_to_the_leap_site_and_professionals_page(any_page: Page) -> None:
    any_page.goto("/")
    leap = any_page.get_by_role("link", name="School Holiday penalty fines (via LEAP)")
    expect(leap).to_have_attribute("href", "https://leap.hillingdon.gov.uk/")
    any_page.get_by_role("link", name=re.compile("Information for professionals")).click()
    expect(any_page.get_by_role("heading", level=1)).to_have_text("Information for professionals")
    assert_accessible(any_page)


def test_start_before_signing_in_then_register_and_land_back_on_the_form(
    any_page: Page, mail_server: MailCapture
) -> None:
    page, email = any_page, new_email("start")
    page.goto("/")
    page.get_by_role("link", name="Report Poor Attendance / Child Missing from Education").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("link", name="Enter the child's forename")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Forename").fill("Zoë")
    page.get_by_label("Surname").fill("O'Brien-Smith")
    page.get_by_label("A child missing from education").check()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("We have kept the child's name")).to_be_visible()
    assert "Zoë" not in page.url and "Brien" not in page.url
    assert_accessible(page)
    page.get_by_role("button", name="Register for a new account").click()
    page.get_by_label("Forename").fill("Grace")
    page.get_by_label("Surname").fill("Hopper")
    page.get_by_role("button", name="Next").click()
    before = len(mail_server.all_to(email))
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Code").fill(code_from(mail_server, email, after=before))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has been created")
    page.get_by_role("button", name="Continue").click()

    # The guide: "you will be navigated back to the form", saying once whose start it was.
    expect(page.get_by_role("heading", level=1)).to_have_text("How does this tool work")
    expect(page.get_by_text("Early Help Assessment for Zoë O'Brien-Smith")).to_be_visible()
    expect(started_before_sign_in(page)).to_contain_text(
        "You started this referral for Zoë O'Brien-Smith before you signed in."
    )
    expect(page.get_by_text(re.compile(r"EH-\d{4}-\d{6}"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Next").click()
    # The guide: Next leads to Your Details (no banner again); the form's contents are one
    # link away.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Details")
    expect(page.get_by_text("Referrer and child details", exact=True).first).to_be_visible()
    expect(page.get_by_text("before you signed in")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Back to the form's contents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Early Help Assessment for Zoë O'Brien-Smith"
    )
    assert_accessible(page)


def test_someone_elses_start_on_a_shared_computer_is_deleted_from_the_form(
    any_page: Page, mail_server: MailCapture
) -> None:
    page, email = any_page, new_email("shared")
    register(page, mail_server, email)
    sign_out(page)
    # Someone else starts a referral on this computer and walks away.
    page.goto("/")
    page.get_by_role("link", name="Refer a Family for Early Help or Social Care Support").click()
    page.get_by_label("Forename").fill("Not")
    page.get_by_label("Surname").fill("Mine")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("We have kept the child's name")).to_be_visible()

    sign_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("How does this tool work")
    banner = started_before_sign_in(page)
    expect(banner).to_contain_text("You started this referral for Not Mine before you signed in.")
    assert_accessible(page)
    reference = re.search(r"EH-\d{4}-\d{6}", page.url)
    assert reference
    banner.get_by_role("link", name="delete this form").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this draft?")
    expect(page.get_by_role("link", name="Back to the form")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, delete the draft").click()
    expect(page.get_by_text(f"Draft {reference.group(0)} has been deleted.")).to_be_visible()
    expect(page.get_by_text("You have no forms in progress.")).to_be_visible()
