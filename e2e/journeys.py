"""Steps a person takes, shared by the journeys: found by role and label, never by layout."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible
from e2e.mail import MailCapture

PASSWORD = "Correct-Horse-Battery-9"
NEW_PASSWORD = "Another-Strong-Passphrase-7"


def new_email(name: str = "ada") -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@school.example.org"


def code_from(mail: MailCapture, address: str, *, after: int) -> str:
    message = mail.latest_to(address, after=after)
    match = re.search(r"Your code is (\d{6})", message.text())
    assert match, message.subject
    return match.group(1)


def register(page: Page, mail: MailCapture, email: str, password: str = PASSWORD) -> None:
    """Login or Register -> Register for a new account -> both steps -> the emailed code."""
    page.goto("/")
    page.get_by_role("link", name="Login or Register").click()
    assert_accessible(page)
    page.get_by_role("button", name="Register for a new account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register for a new account")
    assert_accessible(page)
    page.get_by_label("Forename").fill("Ada")
    page.get_by_label("Surname").fill("Lovelace")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    assert_accessible(page)
    before = len(mail.all_to(email))
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm the password").fill(password)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code")
    assert_accessible(page)
    page.get_by_label("Code").fill(code_from(mail, email, after=before))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has been created")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Your account")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have been signed out")


def start_referral(page: Page, forename: str = "Sam", surname: str = "Smith") -> str:
    """From home, as a signed-in user: start an early help referral; returns its reference."""
    page.goto("/")
    page.get_by_role("link", name="Refer a Family for Early Help or Social Care Support").click()
    page.get_by_label("Forename").fill(forename)
    page.get_by_label("Surname").fill(surname)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How does this tool work")
    reference = re.search(r"EH-\d{4}-\d{6}", page.url)
    assert reference
    page.get_by_role("button", name="Next").click()
    return reference.group(0)


def open_section(page: Page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def fill_date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def find_address(page: Page, house: str, postcode: str, expected: str) -> None:
    """Find Address, then choose the address: the same steps with JavaScript (htmx swaps the
    block) and without (the page comes back)."""
    page.get_by_label("House number or name").fill(house)
    page.get_by_label("Postcode", exact=True).fill(postcode)
    page.get_by_role("button", name="Find Address").click()
    page.get_by_label(expected, exact=True).check()
    page.get_by_role("button", name="Use this address").click()
    expect(page.get_by_label("Address line 1")).to_have_value(expected.split(",")[0])
