"""Steps a person takes, shared by the journeys: found by role and label, never by layout."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
from playwright.sync_api import FilePayload, Locator, Page, expect
from pypdf import PdfReader

from app.assessment.schema import ASSESSMENT
from e2e.accessibility import assert_accessible
from testkit.mail import CapturedMail, MailCapture

PASSWORD = "Correct-Horse-Battery-9"
NEW_PASSWORD = "Another-Strong-Passphrase-7"
GAZETTEER = Path(__file__).resolve().parents[1] / "db" / "seed" / "gazetteer.csv"
UK_TIME = ZoneInfo("Europe/London")
SEND_QUESTION = "Send the form to the Local Authority?"
HUB_STAFF_NAME = "Hana Okafor"
REFERRER_NAME = "Priya Shah"
SEARCH = "Search by reference, child's name or NHS number"
INBOX_TABLE = "Sent referrals"
ACCEPTED = "Accepted for Early Help"


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
    """Email address and password; then, for an account with two-factor sign-in, the code from
    its authenticator app (hub staff without one set one up first)."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    signed_in = page.get_by_role("navigation", name="Your account")
    set_up = page.get_by_role("heading", level=1, name="Set up two-factor sign-in")
    code = page.get_by_role("heading", level=1, name=AUTHENTICATOR_QUESTION)
    expect(signed_in.or_(set_up).or_(code)).to_be_visible()
    if set_up.is_visible():
        set_up_authenticator(page, email)
    elif code.is_visible():
        page.get_by_label(AUTHENTICATOR_QUESTION).fill(authenticator_code(email))
        page.get_by_role("button", name="Sign in").click()
    expect(signed_in).to_be_visible()


# Each person's authenticator app, as their phone keeps it: the key they added to it, and the
# last time step whose code they used (the portal accepts each step's code once).
AUTHENTICATOR_QUESTION = "Enter the code from your authenticator app"
_authenticator_keys: dict[str, str] = {}
_last_steps: dict[str, int] = {}
TOTP_STEP_SECONDS = 30


def set_up_authenticator(page: Page, email: str) -> None:
    """On "Set up two-factor sign-in": type the key shown into the app, enter its code, and
    continue past the recovery codes."""
    assert_accessible(page)
    key = page.get_by_text(re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$"))
    _authenticator_keys[email] = key.inner_text().replace(" ", "")
    page.get_by_label("Enter the 6-digit code the app shows").fill(authenticator_code(email))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()


def authenticator_code(email: str) -> str:
    """The code the app shows now, for a time step not used yet: the portal also allows the
    next step (a phone's clock a little ahead), so a second sign-in within 30 seconds uses it."""
    key = _authenticator_keys.get(email)
    assert key, f"{email} has no authenticator set up in this run"
    now = int(time.time()) // TOTP_STEP_SECONDS
    unused = [step for step in (now, now + 1) if step > _last_steps.get(email, -1)]
    assert unused, f"{email} has used every code of this minute: sign in less often"
    _last_steps[email] = unused[0]
    return pyotp.TOTP(key).at(unused[0] * TOTP_STEP_SECONDS)


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
    # Next goes to the form's first section, as the guide says; the callers carry on from the
    # form's contents, one link away.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Details")
    page.get_by_role("link", name="Back to the form's contents").click()
    return reference.group(0)


def section_heading(title: str) -> str:
    """The heading of the section page named `title` in the form's contents: the help guide's
    own name for the page where it has one ("Your Details")."""
    section = next((s for s in ASSESSMENT.sections if s.title == title), None)
    return section.heading if section is not None and section.heading else title


def open_section(page: Page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section_heading(title))


def new_draft_at(page: Page, mail: MailCapture, who: str, section: str) -> None:
    """A new professional (`who` names their address), a new draft, and one of its sections."""
    register(page, mail, new_email(who))
    start_referral(page)
    open_section(page, section)


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


def add_item(page: Page, button: str, new_heading: str) -> Locator:
    """Add a column to a table; its heading takes focus (htmx autofocus, or the page's
    autofocus without JavaScript)."""
    page.get_by_role("button", name=button).click()
    heading = page.get_by_role("heading", name=new_heading, exact=True)
    expect(heading).to_be_focused()
    return page.get_by_role("group", name=new_heading, exact=True)


def add_family_member(page: Page, number: int) -> Locator:
    """ "Add a family member" for the first, "Add another family member" after it."""
    button = "Add a family member" if number == 1 else "Add another family member"
    return add_item(page, button, f"Family member {number}")


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
    "The parent's or carer's current capacity to meet the needs of the child and/or children",
    "What help and support is required at this time?",
    "Please comment on any specific risks to be considered",
    "The wishes and feelings of the child, young person and their siblings",
    "The views of the parent(s) or carer(s), including what should happen next",
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
    fill_date(page, "Date of birth", *date_of_birth)
    page.get_by_label("Female").check()
    page.get_by_label("The child's ethnicity").select_option("White and Asian")
    page.get_by_label("The child's NHS number (optional)").fill("943 476 5919")
    postcode, address = seeded_address()
    find_address(page, "1", postcode.lower(), address)


def answer_relationships(page: Page) -> None:
    """5.2: one family member."""
    fill_family_member(add_family_member(page, 1), "Jo", "Smith", "Mother")


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
        expect(page.get_by_role("heading", level=1)).to_have_text(section_heading(title))
        answer(page)
        check(page)
        page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload Documents")


def complete_every_section(page: Page, *, check: Callable[[Page], None] = no_check) -> None:
    """From the form's contents (or any section): every section answered in turn with Next,
    ending on Upload Documents."""
    open_section(page, SECTIONS[0][0])
    answer_sections(page, SECTIONS, check=check)


# Things on many pages ------------------------------------------------------------------------


def error_summary(page: Page) -> Locator:
    """GOV.UK's error summary, at the top of a page with problems."""
    return page.get_by_role("alert").filter(has_text="There is a problem")


def success_banner(page: Page) -> Locator:
    return page.get_by_role("alert", name="Success")


def expect_error(page: Page, message: str, javascript: bool) -> None:
    """The GOV.UK error summary, its link to the field, "Error: " in the title, a 422 page."""
    summary = error_summary(page)
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    if javascript:
        # GOV.UK's error summary takes focus (its wrapper, around the alert).
        expect(page.locator(":focus")).to_contain_text("There is a problem")


def summary_card(page: Page, title: str) -> Locator:
    """A card of answers under its heading ("Family member 3: Ann Smith", or a form's
    child and reference): the heading together with its list of answers and its actions."""
    heading = page.get_by_role("heading", name=title, exact=True)
    return heading.locator("xpath=ancestor::*[.//dl][1]")


def form_link(page: Page, title: str) -> Locator:
    """On Recover a form or Submitted Forms: the heading naming the child and the
    reference, which is the link that opens the form (the guide: "Click on the form to open it")."""
    heading = page.get_by_role("heading", name=title, exact=True)
    return heading.get_by_role("link", name=title, exact=True)


# Create PDF (help guide 7) -------------------------------------------------------------------


def uk_today() -> str:
    return datetime.now(UK_TIME).date().isoformat()


def create_pdf(page: Page, reference: str) -> str:
    """Create PDF: a download named after the reference and today's date, a real PDF; its
    text, as a PDF reader finds it."""
    dates = {uk_today()}
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Create PDF").click()
    download = download_info.value
    dates.add(uk_today())
    match = re.fullmatch(
        rf"{reference}-(\d{{4}}-\d{{2}}-\d{{2}})\.pdf", download.suggested_filename
    )
    assert match, download.suggested_filename
    assert match.group(1) in dates
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-"), data[:16]
    return "\n".join(pdf_page.extract_text() for pdf_page in PdfReader(io.BytesIO(data)).pages)


# Hub staff (help guide 6) --------------------------------------------------------------------


def hub_signs_in(page: Page, email: str, name: str = HUB_STAFF_NAME) -> None:
    """Through /login; the header then offers the Referrals inbox, which hub staff open."""
    sign_in(page, email)
    header = page.get_by_role("navigation", name="Your account")
    expect(header).to_contain_text(name)
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


def hub_timeline(page: Page) -> Locator:
    """The timeline on the hub's page of a referral (or the referrer's), oldest first."""
    return page.locator("#timeline")


def allocate_to_colleague(page: Page, name: str) -> None:
    """On the hub's page of a referral: choose a colleague and Allocate."""
    page.get_by_label("Allocate to a colleague").select_option(label=name)
    page.get_by_role("button", name="Allocate", exact=True).click()


def add_internal_note(page: Page, text: str) -> None:
    page.get_by_label("Add an internal note").fill(text)
    page.get_by_role("button", name="Add note").click()


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


# Upload Documents (help guide 5.10) ----------------------------------------------------------


def open_upload_documents(page: Page) -> None:
    """From the form's contents."""
    page.get_by_role("link", name="Upload Documents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload Documents")


def upload(page: Page, files: list[FilePayload], javascript: bool) -> None:
    """As the guide says: with JavaScript, Upload Document opens the file chooser and the files
    chosen are attached at once; without it, choose the files, then Upload Document."""
    button = page.get_by_role("button", name="Upload Document")
    if javascript:
        with page.expect_file_chooser() as chooser:
            button.click()
        assert chooser.value.is_multiple()
        chooser.value.set_files(files)
    else:
        page.get_by_label("Choose one or more files").set_input_files(files)
        button.click()


def describe_document(page: Page, name: str, description: str) -> None:
    """ "Add a description" (or "Change description") beside a document, then Save."""
    item = document_in_list(page, name)
    item.get_by_role(
        "link", name=re.compile(r"^(Add a description to|Change description of) ")
    ).click()
    page.get_by_label(f"What is in {name}?").fill(description)
    page.get_by_role("button", name="Save description").click()


def document_in_list(page: Page, name: str) -> Locator:
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=name, exact=True))


# The keyboard ---------------------------------------------------------------------------------


def focus_is_inside(container: Locator) -> tuple[bool, str]:
    """Whether the page has the keyboard focus on an element inside `container` (not on the
    page's body, nor out of the page in the browser's own toolbar); and where it is."""
    where: list[object] = container.evaluate(
        """container => {
            const active = document.activeElement
            const inPage = document.hasFocus()
            return [
                inPage && container.contains(active),
                (inPage ? '' : 'outside the page, ') + active.outerHTML.slice(0, 80),
            ]
        }"""
    )
    return bool(where[0]), str(where[1])


# Each element's style, focused and not: what a sighted keyboard user sees move. A radio or a
# checkbox is drawn by its label (GOV.UK hides the input and rings the label's circle or box).
_FOCUS_INDICATOR = """() => {
    const active = document.activeElement
    if (!active || active === document.body || !document.hasFocus()) return {inPage: false}
    window.__focusIds = window.__focusIds || new WeakMap()
    window.__focusCount = window.__focusCount || 0
    if (!window.__focusIds.has(active)) window.__focusIds.set(active, ++window.__focusCount)
    const drawnBy = active.matches('input[type=radio], input[type=checkbox]') && active.labels
        ? [active.labels[0], '::before'] : [active, null]
    const look = () => {
        const style = getComputedStyle(drawnBy[0], drawnBy[1])
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
            && !/^(transparent|rgba\\(.*,\\s*0\\))$/.test(style.outlineColor)
        return {
            outline: outline ? style.outlineStyle + style.outlineWidth + style.outlineColor : '',
            shadow: style.boxShadow,
            background: style.backgroundColor,
        }
    }
    const focused = look()
    active.blur()
    const unfocused = look()
    active.focus({preventScroll: true})
    const name = (active.labels && active.labels[0] ? active.labels[0].innerText
        : active.getAttribute('aria-label') || active.innerText || active.name || '').trim()
    return {
        inPage: true,
        id: window.__focusIds.get(active),
        what: active.tagName.toLowerCase() + ' "' + name.slice(0, 60) + '"',
        visible: (focused.outline !== '' && focused.outline !== unfocused.outline)
            || (focused.shadow !== 'none' && focused.shadow !== unfocused.shadow)
            || focused.background !== unfocused.background,
    }
}"""


def focus_indicator(page: Page) -> dict[str, object]:
    """Where the keyboard focus is (`inPage`, an `id` for the element, `what` it is) and whether
    it is `visible`: its outline, shadow or background changes when it has the focus."""
    found: dict[str, object] = page.evaluate(_FOCUS_INDICATOR)
    return found


def tab_to(page: Page, target: Locator, *, limit: int = 60) -> None:
    """Press Tab until `target` has the focus, checking at every stop that the focus can be
    seen; fail if it is not reached within `limit` presses."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        where = focus_indicator(page)
        if where["inPage"]:
            assert where["visible"], f"no visible focus on {where['what']} after {stops}"
            stops.append(str(where["what"]))
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab did not reach {target} in {limit} presses: {stops}")


def tab_through_the_page(page: Page, *, limit: int = 250) -> list[str]:
    """Tab from the top of a page just loaded past its last control: every stop has a visible
    focus, and
    the focus is never trapped (it leaves the page, or comes round to the first stop again,
    without going round a smaller circle first). Returns the stops."""
    stops: list[tuple[int, str]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        where = focus_indicator(page)
        if not where["inPage"]:
            if stops:
                return [what for _, what in stops]
            continue
        element = (int(str(where["id"])), str(where["what"]))
        if stops and element == stops[0]:
            return [what for _, what in stops]
        assert element not in stops, f"focus is trapped: back to {element[1]} after {stops}"
        assert where["visible"], f"no visible focus on {element[1]}"
        stops.append(element)
    raise AssertionError(f"focus never left the page in {limit} presses: {stops[-10:]}")
