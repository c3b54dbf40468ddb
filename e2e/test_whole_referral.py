"""The whole referral, end to end, once with JavaScript and once without: a professional
registers and verifies their email with the code sent to it, starts a referral, fills every
section (a family of three, two services, the Participation Team's attendance questions and
SEND Information), uploads a document and sends the form; hub staff reply in the hub; the
professional reads the reply under Submitted Forms and creates a PDF of the form.

Every distinct page on the way is checked with axe, and their titles must tell them apart: no
two different pages share a title, and a page showing errors says so first ("Error: ").

Hub staff are made as an operator makes them (testkit/journeys.py `make_hub_user`) in the live
portal's database, so against a running portal this journey needs E2E_DATABASE_URL, and
E2E_MAIL_PORT for the emailed code (see e2e/conftest.py).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import UTC, datetime

from playwright.sync_api import Locator, Page, expect

from app.settings import Settings
from e2e.accessibility import assert_accessible, visited_pages
from e2e.files import PLAN
from e2e.journeys import (
    ACCEPTED,
    PASSWORD,
    SEND_QUESTION,
    add_family_member,
    answer_additional_details,
    answer_assessment,
    answer_consent,
    answer_referrer_and_child_details,
    answer_sections,
    choose,
    create_pdf,
    family_member,
    fill_date,
    fill_family_member,
    form_link,
    hub_signs_in,
    inbox_row,
    new_email,
    new_message_mails,
    register,
    search_inbox,
    sign_in,
    sign_out,
    success_banner,
    summary_card,
    table_item,
    upload,
)
from testkit.journeys import STRONG_PASSWORD, make_hub_user
from testkit.mail import MailCapture

# A name no other journey uses, to find in the PDF.
CHILD_FORENAME = "Juniper"
CHILD_SURNAME = "Ashcombe-Lyle"
HUB_STAFF = "Hattie Hub"
HUB_REPLY = "Thank you. A family worker will call Rowan this week to arrange a first visit."


# The sections, answered as the family's teacher would ---------------------------------------


def add_column(page: Page, button: str, item: Locator) -> Locator:
    """Add a column to a table (family members, services): with htmx it appears in place,
    without JavaScript the page comes back with it."""
    page.get_by_role("button", name=button).click()
    expect(item).to_be_visible()
    return item


def answer_family_of_three(page: Page) -> None:
    """5.2: mother, father and sister; the sister has no parental responsibility."""
    fill_family_member(add_family_member(page, 1), "Rowan", CHILD_SURNAME, "Mother")
    fill_date(family_member(page, 1), "Date of birth", "3", "2", "1990")
    father = add_column(page, "Add another family member", family_member(page, 2))
    fill_family_member(father, "Ellis", CHILD_SURNAME, "Father")
    sister = add_column(page, "Add another family member", family_member(page, 3))
    fill_family_member(sister, "Bea", CHILD_SURNAME, "Sister", parental_responsibility="No")


def answer_request_for_support(page: Page) -> None:
    """5.3: the Participation Team and SEND services, which add sections 5.6 and 5.7."""
    page.get_by_label("Participation Team").check()
    page.get_by_label("Special Educational Needs or Disabilities Services").check()


def answer_participation_team(page: Page) -> None:
    """5.6: the attendance questions, with the letters already sent."""
    page.get_by_label("A child's attendance at school").check()
    page.get_by_label("Which school does the child attend?").fill("Colham Manor Primary")
    page.get_by_label("Current attendance (percentage)").fill("82.5")
    page.get_by_label("Over what period?").fill("Autumn term 2026")
    choose(page, "Have attendance letters been sent to the family?", "Yes")
    page.get_by_label("Which letters were sent, and when?").fill("First letter, 2 October 2026")
    page.get_by_label("What actions has the school already taken?").fill(
        "Meetings with the family and a morning check-in."
    )


def answer_send_information(page: Page) -> None:
    """5.7: an area of need, the support now and what has been tried."""
    page.get_by_label("Communication and interaction").check()
    choose(page, "What special educational needs support does the child have now?", "SEN support")
    page.get_by_label("What has been tried so far to meet the child's needs").fill(
        "Small-group speech and language sessions twice a week."
    )


def answer_two_services(page: Page) -> None:
    """5.8: the school nurse and CAMHS now; none before."""
    nurse = add_column(page, "Add a current service", table_item(page, "Current service", 1))
    nurse.get_by_label("Service or agency").fill("School nurse")
    nurse.get_by_label("Worker's name (optional)").fill("Priya Shah")
    camhs = add_column(page, "Add another current service", table_item(page, "Current service", 2))
    camhs.get_by_label("Service or agency").fill("CAMHS")
    choose(page, "Were any services involved with the family before now?", "None")


SECTIONS_AFTER_THE_FIRST = [
    ("Relationships and the Wider Family Details", answer_family_of_three),
    ("Request for Support", answer_request_for_support),
    ("Consent", answer_consent),
    ("Additional Details", answer_additional_details),
    ("Participation Team", answer_participation_team),
    ("SEND Information", answer_send_information),
    ("Services", answer_two_services),
    ("The Child and their Family's Assessment", answer_assessment),
]


# What the titles of the pages visited must show ------------------------------------------------


def assert_titles_tell_the_pages_apart(page: Page) -> None:
    """Each title belongs to one page (address); a page with errors, and only such a page,
    has a title starting "Error: "; every title names the service."""
    visits = visited_pages(page)
    pages_by_title: dict[str, set[str]] = defaultdict(set)
    for visit in visits:
        state = f" with the dialog {visit.dialog!r}" if visit.dialog else ""
        pages_by_title[visit.title + state].add(visit.path)
        assert visit.title.startswith("Error: ") == visit.error_shown, visit
        assert visit.title.endswith(" – Children's Portal – London Borough of Hillingdon"), visit
    shared = {title: paths for title, paths in pages_by_title.items() if len(paths) > 1}
    assert not shared, f"different pages with the same title: {shared}"
    assert any(visit.error_shown for visit in visits), "the journey showed no error page"
    assert len(pages_by_title) >= 25, sorted(pages_by_title)


# The journey -----------------------------------------------------------------------------------


def test_whole_referral_from_registration_to_the_hubs_reply(
    any_page: Page,
    javascript: bool,
    mail_server: MailCapture,
    portal_environment: dict[str, str],
) -> None:
    page = any_page
    email = new_email("whole")
    hub_email = f"hattie.hub.{uuid.uuid4().hex[:8]}@council.example.gov.uk"
    # Without an authenticator app yet: their first sign-in sets one up, in the browser.
    make_hub_user(
        Settings.from_environ(portal_environment),
        hub_email,
        now=datetime.now(UTC),
        authenticator=False,
    )
    assert STRONG_PASSWORD == PASSWORD

    # 3 and 4: the portal home, Login or Register, the two steps and the emailed code.
    page.goto("/")
    assert_accessible(page)
    register(page, mail_server, email)

    # 3: start a referral from its tile.
    page.get_by_role("link", name="Refer a Family for Early Help or Social Care Support").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("What is the child's name?")
    assert_accessible(page)
    page.get_by_label("Forename").fill(CHILD_FORENAME)
    page.get_by_label("Surname").fill(CHILD_SURNAME)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How does this tool work")
    assert_accessible(page)
    found = re.search(r"EH-\d{4}-\d{6}", page.url)
    assert found
    reference = found.group(0)
    page.get_by_role("button", name="Next").click()

    # 5.1 Your Details, straight after the guidance, with a date of birth that does not exist
    # first: the errors, then put right.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Details")
    assert_accessible(page)
    answer_referrer_and_child_details(page, date_of_birth=("31", "4", "2019"))
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_title(re.compile("^Error: Referrer and child details"))
    assert_accessible(page)
    fill_date(page, "Date of birth", "30", "4", "2019")
    page.get_by_role("button", name="Next").click()

    # 5.2 to 5.9, each page checked with axe once answered.
    answer_sections(page, SECTIONS_AFTER_THE_FIRST, check=assert_accessible)

    # 5.10: a document.
    assert_accessible(page)
    upload(page, [PLAN], javascript)
    expect(success_banner(page)).to_contain_text(f"{PLAN['name']} uploaded")
    assert_accessible(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    for answer in ("Colham Manor Primary", "82.5", "Communication and interaction", "CAMHS"):
        expect(page.get_by_text(answer, exact=True).first).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Family member \d"))).to_have_count(3)
    expect(page.get_by_role("heading", name=re.compile(r"^Current service \d"))).to_have_count(2)
    assert_accessible(page)

    # 5.11: Send to Local Authority, in a dialog or on a page of its own.
    before = len(mail_server.all_to(email))
    page.get_by_role("button", name="Send to Local Authority").click()
    if javascript:
        dialog = page.get_by_role("dialog", name=SEND_QUESTION)
        expect(dialog).to_be_visible()
        assert_accessible(page)
        dialog.get_by_role("button", name="Submit").click()
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text(SEND_QUESTION)
        assert_accessible(page)
        page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The process is now complete")
    expect(page.get_by_text(reference, exact=True)).to_be_visible()
    assert_accessible(page)
    assert reference in mail_server.latest_to(email, after=before).subject
    sign_out(page)
    assert_accessible(page)

    # 6, the hub's side: find the referral, accept it with a message to the referrer.
    hub_signs_in(page, hub_email, HUB_STAFF)
    assert_accessible(page)
    search_inbox(page, reference, javascript)
    inbox_row(page, reference).get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{reference}: {CHILD_FORENAME} {CHILD_SURNAME}"
    )
    expect(page.get_by_role("link", name=PLAN["name"], exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(ACCEPTED, exact=True).check()
    page.get_by_label("Message to the referrer (optional)").fill(HUB_REPLY)
    page.get_by_role("button", name="Change status").click()
    expect(success_banner(page)).to_contain_text(f"Status changed to {ACCEPTED}")
    assert_accessible(page)
    sign_out(page)

    # 6, the referrer's side: told by email, reads the reply under Submitted Forms.
    [told] = new_message_mails(mail_server, email, reference, 1)
    assert CHILD_FORENAME not in told.text() and HUB_REPLY not in told.text()
    sign_in(page, email)
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Submitted Forms"
    ).click()
    title = f"{CHILD_FORENAME} {CHILD_SURNAME} – {reference}"
    card = summary_card(page, title)
    expect(card).to_contain_text(ACCEPTED)
    expect(card).to_contain_text("1 new message")
    assert_accessible(page)
    form_link(page, title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    expect(page.get_by_text(HUB_REPLY, exact=True)).to_be_visible()
    assert_accessible(page)

    # 7: Create PDF: a real PDF, with the child's name in it.
    text = create_pdf(page, reference)
    assert CHILD_FORENAME in text and CHILD_SURNAME in text
    assert "Colham Manor Primary" in text
    assert "DRAFT" not in text

    assert_titles_tell_the_pages_apart(page)
