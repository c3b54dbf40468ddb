"""Steps a person takes, shared by the journeys: found by role and label, never by layout."""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from e2e.conftest import assert_accessible
from e2e.mail import MailCapture

PASSWORD = "Correct-Horse-Battery-9"
NEW_PASSWORD = "Another-Strong-Passphrase-7"
GAZETTEER = Path(__file__).resolve().parents[1] / "db" / "seed" / "gazetteer.csv"


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


def fill_date(scope: Page | Locator, legend: str, day: str, month: str, year: str) -> None:
    """A date's three boxes, on the page or inside one part of it (a family member)."""
    group = scope.get_by_role("group", name=legend)
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


def seeded_address() -> tuple[str, str]:
    """The first address of the seeded gazetteer: (its postcode, the label Find Address shows)."""
    with GAZETTEER.open() as file:
        row = next(csv.DictReader(file))
    return row["postcode"], f"{row['line1']}, {row['town']}, {row['postcode']}"


def table_item(page: Page, label: str, number: int) -> Locator:
    """One column of a table question, named by its heading: "Family member 2"."""
    return page.get_by_role("group", name=f"{label} {number}", exact=True)


def family_member(page: Page, number: int) -> Locator:
    return table_item(page, "Family member", number)


def choose(scope: Page | Locator, question: str, answer: str) -> None:
    """One radio of a question, by the question's legend and the radio's label."""
    scope.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def fill_family_member(
    member: Locator,
    forename: str,
    surname: str,
    relationship: str,
    *,
    describe: str | None = None,
    lives_with_child: str = "Yes",
    parental_responsibility: str = "Yes",
) -> None:
    """A family member's column: name, relationship (with its description for "Other"), whether
    they live with the child and whether they have parental responsibility."""
    member.get_by_label("Forename").fill(forename)
    member.get_by_label("Surname").fill(surname)
    choose(member, "Relationship to the child", relationship)
    if describe is not None:
        member.get_by_label("Describe their relationship to the child").fill(describe)
    choose(member, "Do they live with the child?", lives_with_child)
    choose(member, "Do they have parental responsibility for the child?", parental_responsibility)


def elements_wider_than_the_window(page: Page) -> list[str]:
    """Elements that stick out to the right of the window (which would make it scroll sideways)."""
    wide: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + '#' + e.id + '.' + e.className)"""
    )
    return wide


# Every section of the assessment, answered through the form as a professional would: what
# each section asks for, in the order Next takes them. The first section's date of birth can be
# given wrong on purpose (`date_of_birth`), to see the error and put it right.
EIGHT_QUESTIONS = [
    "What is happening for this family?",
    "What in the family's circumstances is currently impacting on them?",
    "The parents' or carers' current capacity to meet the needs of the child or children",
    "What help and support is required at this time?",
    "Please comment on any specific risks to be considered",
    "The wishes and feelings of the child, young person and their siblings",
    "The views of the parents or carers, including what should happen next",
    "How will we know when the family and universal services are able to meet the needs",
]


def answer_referrer_and_child_details(
    page: Page, date_of_birth: tuple[str, str, str] = ("30", "4", "2019")
) -> None:
    """5.1: the referrer, the child's date of birth, sex, ethnicity, NHS number and address."""
    page.get_by_label("Your telephone number").fill("01895 250111")
    page.get_by_label("Your job title").fill("Class teacher")
    page.get_by_label("Your organisation").fill("Colham Manor Primary")
    page.get_by_label(
        "I am completing this form for someone else in a professional capacity"
    ).check()
    page.get_by_label("Your relationship to the child").fill("Class teacher")
    page.get_by_label("Yes", exact=True).check()
    fill_date(page, "Date of birth", *date_of_birth)
    page.get_by_label("Female").check()
    page.get_by_label("The child's ethnicity").select_option("White and Asian")
    page.get_by_label("The child's NHS number (optional)").fill("943 476 5919")
    postcode, address = seeded_address()
    find_address(page, "1", postcode.lower(), address)


def answer_relationships(page: Page) -> None:
    """5.2: one family member."""
    fill_family_member(family_member(page, 1), "Jo", "Smith", "Mother")


def answer_request_for_support(page: Page) -> None:
    """5.3: optional; one service that adds no section."""
    page.get_by_label("Portage").check()


def answer_consent(page: Page) -> None:
    """5.4: written consent, from whom and when."""
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Written consent").check()
    page.get_by_label("Who gave consent?").fill("Jo Smith, mother")
    fill_date(page, "When was consent given?", "20", "11", "2026")


def answer_additional_details(page: Page) -> None:
    """5.5: UPN, no disabilities, special educational needs with their details."""
    page.get_by_label("The child's Unique Pupil Number (UPN) (optional)").fill("B801200005001")
    page.get_by_role("group", name="Does the child have any disabilities").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_role("group", name="Does the child have special educational needs").get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_label("Give details of the special educational needs").fill("SEN support in class")


def answer_services(page: Page) -> None:
    """5.8: none added now, none before."""
    choose(page, "Were any services involved with the family before now?", "None")


def answer_assessment(page: Page) -> None:
    """5.9: all eight questions, each on two lines."""
    for question in EIGHT_QUESTIONS:
        page.get_by_label(question).fill(f"Answer to: {question}\nA second line.")


SECTIONS: list[tuple[str, Callable[[Page], None]]] = [
    ("Referrer and child details", answer_referrer_and_child_details),
    ("Relationships and the Wider Family Details", answer_relationships),
    ("Request for Support", answer_request_for_support),
    ("Consent", answer_consent),
    ("Additional Details", answer_additional_details),
    ("Services", answer_services),
    ("The Child and their Family's Assessment", answer_assessment),
]


def no_check(page: Page) -> None:
    """Nothing more to check on a page."""


def answer_sections(
    page: Page,
    sections: Sequence[tuple[str, Callable[[Page], None]]],
    *,
    check: Callable[[Page], None] = no_check,
) -> None:
    """From the first of `sections`, already open: answer each, `check` it, then Next. Ends on
    Upload Documents, which follows the last section."""
    for title, answer in sections:
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        answer(page)
        check(page)
        page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload Documents")


def complete_every_section(page: Page, *, check: Callable[[Page], None] = no_check) -> None:
    """From the form's contents (or any section): every section answered in turn with Next,
    ending on Upload Documents."""
    open_section(page, SECTIONS[0][0])
    answer_sections(page, SECTIONS, check=check)
