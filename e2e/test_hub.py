"""Help guide 6: hub staff sign in, find sent referrals in the inbox (live search and filters),
read one, triage it (status, urgency, messages), remove a document attached in error; and the
referrer reads the hub's messages and replies.

Hub staff are made the way operators make them (`portal create-user --role hub`, password on
standard input), against the live server's database. The referrer's part that is not under test
here (filling every section and sending) is written with the portal's own services; everything
the tests are about happens in the browser.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfWriter
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.assessment import engine
from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.models import Referral, SectionAnswers, User
from app.services import hub as hub_service
from app.services.accounts import create_user_by_operator
from app.services.answers import answers_by_section, save_section, stored_sections
from app.services.documents import Upload, add_documents
from app.services.referrals import create_draft
from app.services.submission import submit
from app.settings import Settings
from bench.pdf import Fields
from e2e.conftest import E2E_SECRET_KEY, assert_accessible
from e2e.journeys import PASSWORD, sign_in, sign_out
from e2e.mail import CapturedMail, MailCapture

SEARCH = "Search by reference, child's name or NHS number"
INBOX_TABLE = "Sent referrals, newest first"
HUB_STAFF_NAME = "Hana Okafor"
REFERRER_NAME = "Priya Shah"
ACCEPTED = "Accepted for Early Help"
SEND_TYPE = "Refer for Special Education Needs and Disabilities Support (SEND)"


# The live server's database, and people and referrals in it -----------------------------------


def letters(count: int = 6) -> str:
    """Random lower-case letters: child names that no other journey's referral shares."""
    return "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:count])


def nhs_number() -> str:
    """A random valid NHS number (modulus 11 check digit), as "943 476 5919" is written."""
    while True:
        digits = [int(d) for d in f"{uuid.uuid4().int % 10**9:09d}"]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10 and digits[0] != 0:
            text = "".join(map(str, [*digits, check]))
            return f"{text[:3]} {text[3:6]} {text[6:]}"


def small_pdf(title: str) -> bytes:
    """A real one-page PDF (pypdf), its title in its metadata so each one differs."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def posted_answers(forename: str, surname: str, nhs: str, today: datetime) -> dict[str, Any]:
    """Every section of an early help referral, as the referrer would post it."""
    consent_day = today - timedelta(days=3)
    member = "family_members-00000000-"
    return {
        "your-details": {
            "referrer_phone": "01895 250111",
            "referrer_job_title": "Health visitor",
            "referrer_organisation": "Uxbridge Health Centre",
            "professional_capacity": "confirmed",
            "relationship_to_child": "Health visitor",
            "child_forename": forename,
            "child_surname": surname,
            "child_born": "yes",
            "child_dob-day": "29",
            "child_dob-month": "2",
            "child_dob-year": "2020",
            "child_gender": "female",
            "child_ethnicity": "white-british",
            "child_nhs_number": nhs,
            "child_address-line1": "3 Ashgrove Road",
            "child_address-town": "Uxbridge",
            "child_address-postcode": "UB8 9EP",
        },
        "family": {
            "family_members-item": ["00000000"],
            member + "forename": "Jo",
            member + "surname": surname,
            member + "relationship": "mother",
            member + "lives_with_child": "yes",
            member + "parental_responsibility": "yes",
        },
        "request-for-support": {"services": ["portage"]},
        "consent": {
            "consent_sought": "yes",
            "consent_type": "written",
            "consent_given_by": f"Jo {surname}, mother",
            "consent_date-day": str(consent_day.day),
            "consent_date-month": str(consent_day.month),
            "consent_date-year": str(consent_day.year),
        },
        "additional-details": {"has_disability": "no", "has_sen": "not-known"},
        "services": {"previous_services_known": "none"},
        "family-assessment": {
            question.id: f"What we know about: {question.label}"
            for question in ASSESSMENT.section("family-assessment").questions  # type: ignore[union-attr]
        },
    }


@dataclass
class Portal:
    """The live portal's database, reached as its operators and its own services reach it."""

    environ: dict[str, str]
    settings: Settings
    database: Engine
    hub_email: str = ""

    def session(self) -> Session:
        return create_session_factory(self.database)()

    def create_hub_staff(self, email: str, name: str) -> None:
        """`portal create-user --role hub`, the password on standard input, as operators do."""
        command = [sys.executable, "-m", "app.cli", "create-user", "--role", "hub"]
        result = subprocess.run(
            [*command, "--email", email, "--name", name],
            input=PASSWORD + "\n",
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"created a hub account for {email}" in result.stdout

    def create_referrer(self) -> str:
        email = f"priya.shah.{uuid.uuid4().hex[:8]}@school.example.org"
        with self.session() as session:
            create_user_by_operator(
                session,
                email=email,
                name=REFERRER_NAME,
                role="professional",
                password=PASSWORD,
                now=datetime.now(UTC),
            )
            session.commit()
        return email

    def referral(
        self,
        referrer: str,
        forename: str,
        surname: str,
        *,
        option: str = "early-help",
        nhs: str | None = None,
        documents: tuple[tuple[str, bytes], ...] = (),
        send: bool = True,
        hub_status: str | None = None,
        urgency: str | None = None,
    ) -> str:
        """A referral with every section answered (and sent, unless `send` is False); its
        reference. `hub_status` and `urgency` are set as hub staff would set them."""
        now = datetime.now(UTC)
        with self.session() as session:
            user = session.scalars(select(User).where(User.email == referrer)).one()
            referral = create_draft(
                session,
                user,
                option_code=option,
                child_forename=forename,
                child_surname=surname,
                now=now,
            )
            session.flush()
            for section_id, fields in posted_answers(
                forename, surname, nhs or nhs_number(), now
            ).items():
                section = ASSESSMENT.section(section_id)
                assert section is not None, section_id
                existing = stored_version(session, referral.id, section_id)
                save_section(
                    session,
                    referral,
                    section,
                    engine.answers_from_form(section, Fields(fields)),
                    expected_version=existing,
                    status=engine.COMPLETED,
                    now=now,
                )
            if documents:
                uploads = [Upload(name, data) for name, data in documents]
                added, problems = add_documents(
                    session, self.settings, referral, user, uploads, "A plan or report", now=now
                )
                assert not problems and len(added) == len(uploads), problems
            assert not missing_answers(session, referral), missing_answers(session, referral)
            if send:
                assert submit(session, self.settings, referral, user, now=now)
            if hub_status or urgency:
                staff = session.scalars(select(User).where(User.email == self.hub_email)).one()
                if hub_status:
                    hub_service.set_status(
                        session, self.settings, referral, staff, hub_status, "", now=now
                    )
                if urgency:
                    hub_service.set_urgency(session, referral, staff, urgency, now=now)
            session.commit()
            return referral.reference


def stored_version(session: Session, referral_id: int, section_id: str) -> int:
    version = session.scalar(
        select(SectionAnswers.version).where(
            SectionAnswers.referral_id == referral_id, SectionAnswers.section_id == section_id
        )
    )
    return int(version or 0)


def missing_answers(session: Session, referral: Referral) -> list[str]:
    """What would stop the referral being sent: nothing, for a complete one."""
    answers = answers_by_section(stored_sections(session, referral))
    shown = engine.effective_answers(ASSESSMENT, answers)
    today = datetime.now(UTC).date()
    return [
        f"{section.id}: {problem.message}"
        for section in engine.visible_sections(ASSESSMENT, answers)
        for problem in engine.section_problems(section, shown, today=today, check_required=True)
    ]


@pytest.fixture(scope="module")
def portal(
    portal_url: str, mail_server: MailCapture, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portal]:
    """The environment the live server runs with (conftest's `portal_url`), and hub staff."""
    if os.environ.get("E2E_BASE_URL"):
        database_url = os.environ.get("E2E_DATABASE_URL")
        # Hub staff are made by operators only, so these journeys need the portal's database.
        assert database_url, "set E2E_DATABASE_URL (the portal's database) to run hub journeys"
        environ = {**os.environ, "DATABASE_URL": database_url}
    else:
        # conftest's `portal_url` keeps its database in the session's "e2e" folder.
        basetemp = Path(tmp_path_factory.getbasetemp())
        [database] = {path.resolve() for path in basetemp.glob("e2e*/portal.db")}
        environ = {
            **os.environ,
            "PORTAL_ENV": "test",
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": E2E_SECRET_KEY,
            "BASE_URL": portal_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mail_server.port),  # type: ignore[attr-defined]
        }
    settings = Settings.from_environ(environ)
    world = Portal(environ, settings, create_database_engine(settings.database_url))
    world.hub_email = f"hana.okafor.{uuid.uuid4().hex[:8]}@council.example.gov.uk"
    world.create_hub_staff(world.hub_email, HUB_STAFF_NAME)
    try:
        yield world
    finally:
        world.database.dispose()


@pytest.fixture
def javascript(request: pytest.FixtureRequest) -> bool:
    """Whether this run of an `any_page` journey has JavaScript on."""
    return bool(request.node.callspec.params.get("any_page") == "js-on")


# Steps ---------------------------------------------------------------------------------------


def hub_signs_in(page: Page, portal: Portal) -> None:
    """Through /login; the header then offers the Referrals inbox, which hub staff open."""
    sign_in(page, portal.hub_email)
    header = page.get_by_role("navigation", name="Your account")
    expect(header).to_contain_text(HUB_STAFF_NAME)
    header.get_by_role("link", name="Referrals inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals inbox")


def inbox_table(page: Page) -> Locator:
    return page.get_by_role("table", name=INBOX_TABLE)


def inbox_row(page: Page, reference: str) -> Locator:
    link = page.get_by_role("link", name=reference, exact=True)
    return inbox_table(page).get_by_role("row").filter(has=link)


def expect_inbox_lists(page: Page, *references: str) -> None:
    """The results are exactly these referrals, in this order."""
    links = inbox_table(page).get_by_role("link", name=re.compile(r"^EH-\d{4}-\d{6}$"))
    expect(links).to_have_text(list(references))


def search_inbox(page: Page, text: str, javascript: bool) -> None:
    """Type in the search box: with JavaScript the results follow the typing; without, the
    Search button sends the same GET form."""
    box = page.get_by_label(SEARCH)
    box.fill("")
    if javascript:
        box.press_sequentially(text)
    else:
        box.fill(text)
        page.get_by_role("button", name="Search").click()


def filter_inbox(page: Page, label: str, option: str, javascript: bool) -> None:
    page.get_by_label(label, exact=True).select_option(label=option)
    if not javascript:
        page.get_by_role("button", name="Search").click()


def success_banner(page: Page) -> Locator:
    return page.get_by_role("alert", name="Success")


def error_summary(page: Page) -> Locator:
    return page.get_by_role("alert").filter(has_text="There is a problem")


def expect_error(page: Page, message: str, javascript: bool) -> None:
    """The GOV.UK error summary, its link to the field, "Error: " in the title, a 422 page."""
    summary = error_summary(page)
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    if javascript:
        # GOV.UK's error summary takes focus (its wrapper, around the alert).
        expect(page.locator(":focus")).to_contain_text("There is a problem")


def new_message_mails(
    mail: MailCapture, address: str, reference: str, count: int, *, within: float = 30
) -> list[CapturedMail]:
    """Wait up to `within` seconds for `address` to have had `count` "new message" emails about
    `reference` (other emails to them may come in between)."""
    subject = f"you have a new message about referral {reference}".lower()
    deadline = time.monotonic() + within
    while True:
        received = mail.all_to(address)
        found = [m for m in received if subject in m.subject.lower()]
        if len(found) >= count:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{count} new-message emails about {reference}: {len(found)}")
        mail.latest_to(address, after=len(received), timeout=left)


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

    hub_signs_in(page, portal)
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
    hub_signs_in(page, portal)
    count = page.get_by_role("status")
    expect(count).to_have_text(re.compile(r"^\d+ referrals?$"))
    page.evaluate("window.countBefore = document.querySelector('[role=status]')")
    search_inbox(page, surname, javascript=True)
    expect(count).to_have_text("1 referral found")
    assert page.evaluate("window.countBefore.isConnected"), (
        "the live search replaced the result count's live region instead of updating it"
    )


# 2 and 3. Triage, messages both ways ----------------------------------------------------------


def test_hub_triages_a_referral_and_the_referrer_replies(
    any_page: Page, portal: Portal, mail_server: MailCapture, javascript: bool
) -> None:
    page = any_page
    forename, surname = "Cleo", "Ashdown" + letters()
    referrer = portal.create_referrer()
    reference = portal.referral(
        referrer, forename, surname, documents=(("care-plan.pdf", small_pdf("Care plan")),)
    )
    hub_name = portal.settings.hub_name
    status_message = "We have accepted the referral and will contact the family this week."
    hub_message = "Please upload the signed consent form when you have it."
    reply = "The signed consent form is in the post to you."

    hub_signs_in(page, portal)
    search_inbox(page, reference, javascript)
    expect_inbox_lists(page, reference)
    inbox_row(page, reference).get_by_role("link", name=reference).click()

    # The referral: its answers, documents and an empty timeline.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{reference}: {forename} {surname}")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Uxbridge Health Centre")
    expect(main).to_contain_text(f"Jo {surname}")
    expect(main).to_contain_text("What we know about: What is happening for this family?")
    expect(page.get_by_role("link", name="care-plan.pdf", exact=True)).to_be_visible()
    expect(main).to_contain_text("Nothing yet.")
    expect(main).to_contain_text(f"{HUB_STAFF_NAME}, ")  # who has viewed it
    assert_accessible(page)

    # Bad input: an empty message, urgency not chosen.
    page.get_by_role("button", name="Send message").click()
    expect_error(page, "Enter a message", javascript)
    message_box = page.get_by_label("Send a message to the referrer")
    expect(message_box).to_have_accessible_description(re.compile("Enter a message"))
    if javascript:
        error_summary(page).get_by_role("link", name="Enter a message").click()
        expect(message_box).to_be_focused()
    assert_accessible(page)
    page.get_by_role("button", name="Set urgency").click()
    expect_error(page, "Select the urgency", javascript)
    assert_accessible(page)

    # Status, with a message to the referrer.
    page.get_by_label(ACCEPTED, exact=True).check()
    page.get_by_label("Message to the referrer (optional)").fill(status_message)
    page.get_by_role("button", name="Change status").click()
    expect(success_banner(page)).to_contain_text(f"Status changed to {ACCEPTED}")
    expect(main).to_contain_text(f"Status changed to {ACCEPTED} by {HUB_STAFF_NAME}, {hub_name}")
    expect(page.get_by_text(status_message, exact=True)).to_be_visible()
    expect(page.get_by_label(ACCEPTED, exact=True)).to_be_checked()
    assert_accessible(page)

    page.get_by_label("Amber", exact=True).check()
    page.get_by_role("button", name="Set urgency").click()
    expect(success_banner(page)).to_contain_text("Urgency set to Amber")
    expect(main).to_contain_text(f"Urgency set to Amber by {HUB_STAFF_NAME}, {hub_name}")

    page.get_by_label("Send a message to the referrer").fill(hub_message)
    page.get_by_role("button", name="Send message").click()
    expect(success_banner(page)).to_contain_text("Message sent to the referrer")
    expect(main).to_contain_text(f"Message from {HUB_STAFF_NAME}, {hub_name}")
    expect(page.get_by_text(hub_message, exact=True)).to_be_visible()
    expect(page.get_by_label("Send a message to the referrer")).to_have_value("")
    assert_accessible(page)

    page.get_by_role("link", name="Back to the referrals inbox").click()
    search_inbox(page, reference, javascript)
    expect(inbox_row(page, reference)).to_contain_text(ACCEPTED)
    expect(inbox_row(page, reference)).to_contain_text("Amber")

    sign_out(page)

    # The referrer: Submitted Forms shows the status and that there are new messages.
    sign_in(page, referrer)
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Submitted Forms"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("View Submitted Forms")
    card = page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name=f"{forename} {surname} – {reference}")
    )
    expect(card).to_contain_text(ACCEPTED)
    expect(card).to_contain_text("2 new messages")
    assert_accessible(page)
    card.get_by_role("link", name=re.compile("^View")).click()

    # The thread: the hub's messages, named as the hub; urgency is the hub's own record.
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Status changed to {ACCEPTED} by {hub_name}")
    expect(main).to_contain_text(f"Message from {hub_name}")
    expect(page.get_by_text(status_message, exact=True)).to_be_visible()
    expect(page.get_by_text(hub_message, exact=True)).to_be_visible()
    expect(main).not_to_contain_text("Urgency set to")
    expect(main).not_to_contain_text(HUB_STAFF_NAME)
    assert_accessible(page)

    page.get_by_role("button", name="Send reply").click()
    expect_error(page, "Enter your reply", javascript)
    assert_accessible(page)
    page.get_by_label(f"Reply to the {hub_name}").fill(reply)
    page.get_by_role("button", name="Send reply").click()
    expect(success_banner(page)).to_contain_text(f"Your reply has been sent to the {hub_name}")
    expect(main).to_contain_text(f"Message from {REFERRER_NAME}, referrer")
    expect(page.get_by_text(reply, exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Back to Submitted Forms").click()
    expect(card).to_contain_text(ACCEPTED)
    expect(card).not_to_contain_text("new message")
    sign_out(page)

    # The hub's inbox shows the reply until it is read.
    hub_signs_in(page, portal)
    search_inbox(page, reference, javascript)
    expect(inbox_row(page, reference)).to_contain_text("1 new reply")
    assert_accessible(page)
    inbox_row(page, reference).get_by_role("link", name=reference).click()
    expect(page.get_by_role("main")).to_contain_text(f"Message from {REFERRER_NAME}, referrer")
    expect(page.get_by_text(reply, exact=True)).to_be_visible()
    page.get_by_role("link", name="Back to the referrals inbox").click()
    search_inbox(page, reference, javascript)
    expect_inbox_lists(page, reference)
    expect(inbox_row(page, reference)).not_to_contain_text("new repl")

    # The referrer was emailed twice (the status came with a message) that there is a message:
    # without the child's name or the message's words.
    for mail in new_message_mails(mail_server, referrer, reference, 2):
        assert reference in mail.subject
        body = mail.text()
        assert reference in body and "/login" in body
        for secret in (forename, surname, status_message, hub_message):
            assert secret not in body and secret not in mail.subject, secret


def test_the_referrer_is_emailed_as_soon_as_the_hub_sends_a_message(
    js_page: Page, portal: Portal, mail_server: MailCapture
) -> None:
    """A request that queues an email wakes the mail worker (as registering does), so the
    email goes out at once rather than at the worker's next 15-second poll."""
    page = js_page
    referrer = portal.create_referrer()
    reference = portal.referral(referrer, "Gus", "Rendell" + letters())
    hub_signs_in(page, portal)
    page.goto(f"/hub/referrals/{reference}")
    page.get_by_label("Send a message to the referrer").fill("Could you call us, please?")
    page.get_by_role("button", name="Send message").click()
    expect(success_banner(page)).to_contain_text("Message sent to the referrer")
    new_message_mails(mail_server, referrer, reference, 1, within=5)


# 4. A document attached in error ---------------------------------------------------------------


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

    hub_signs_in(page, portal)
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


# 5. Keyboard only ------------------------------------------------------------------------------


def focused(locator: Locator) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def test_hub_changes_a_status_with_the_keyboard_only(js_page: Page, portal: Portal) -> None:
    page = js_page
    referrer = portal.create_referrer()
    reference = portal.referral(referrer, "Eli", "Trevose" + letters())
    message = "Accepted: a family worker will call."

    hub_signs_in(page, portal)
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
