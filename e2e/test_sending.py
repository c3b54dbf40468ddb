"""Help guide 5.10, 5.11, 7 and 10: upload documents, send the form to the Local Authority,
create a PDF, recover a draft and see the forms sent."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import FilePayload, Locator, Page, expect
from pypdf import PdfReader

from e2e.conftest import assert_accessible
from e2e.journeys import (
    choose,
    complete_every_section,
    new_email,
    open_section,
    register,
    start_referral,
)
from e2e.mail import MailCapture

UK_TIME = ZoneInfo("Europe/London")
# Names no email or PDF would show by chance: the confirmation email must not contain them.
CHILD_FORENAME = "Wilhelmina"
CHILD_SURNAME = "Quartermaine"
SEND_QUESTION = "Send the form to the Local Authority?"


# Real files, made here ------------------------------------------------------------------------


def small_pdf(text: str) -> bytes:
    """A one-page PDF with a line of text: objects, cross-reference table and trailer."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def small_png(width: int = 8, height: int = 4) -> bytes:
    """An orange RGB image: signature, IHDR, IDAT and IEND chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PLAN = FilePayload(
    name="team-around-the-family-plan.pdf",
    mimeType="application/pdf",
    buffer=small_pdf("Team around the family plan"),
)
ROTA = FilePayload(name="breakfast-club-rota.png", mimeType="image/png", buffer=small_png())
# A Windows program given a PDF's name: refused by its content.
DISGUISED = FilePayload(
    name="attendance-letter.pdf",
    mimeType="application/pdf",
    buffer=b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48,
)


def test_the_files_made_here_are_real() -> None:
    reader = PdfReader(io.BytesIO(PLAN["buffer"]))
    assert "Team around the family plan" in reader.pages[0].extract_text()
    png = ROTA["buffer"]
    assert zlib.decompress(png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8])


# Steps ----------------------------------------------------------------------------------------


def open_upload_documents(page: Page) -> None:
    """From the form's contents."""
    page.get_by_role("link", name="Upload Documents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload Documents")


def upload(page: Page, files: list[FilePayload], kind: str, describe: str | None = None) -> None:
    page.get_by_label("Choose one or more files").set_input_files(files)
    choose(page, "What is in the file?", kind)
    if describe is not None:
        page.get_by_label("Describe the document").fill(describe)
    page.get_by_role("button", name="Upload Document").click()


def document_in_list(page: Page, name: str) -> Locator:
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=name, exact=True))


def error_summary(page: Page) -> Locator:
    return page.get_by_role("alert").filter(has_text="There is a problem")


def uk_today() -> str:
    return datetime.now(UK_TIME).date().isoformat()


def create_pdf(page: Page, reference: str) -> str:
    """Create PDF: a download named after the reference and today's date; its text."""
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
    assert data.startswith(b"%PDF")
    return "\n".join(pdf_page.extract_text() for pdf_page in PdfReader(io.BytesIO(data)).pages)


def focus_is_inside(page: Page, selector: str) -> tuple[bool, str]:
    """Whether the page has the keyboard focus on an element inside `selector` (not on the
    page's body, nor out of the page in the browser's own toolbar); and where it is."""
    where: list[object] = page.evaluate(
        """selector => {
            const active = document.activeElement
            const inPage = document.hasFocus()
            return [
                inPage && !!document.querySelector(selector)?.contains(active),
                (inPage ? '' : 'outside the page, ') + active.outerHTML.slice(0, 80),
            ]
        }""",
        selector,
    )
    return bool(where[0]), str(where[1])


# 5.10 Upload Documents ------------------------------------------------------------------------


def test_upload_two_documents_at_once_download_one_and_remove_the_other(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    register(page, mail_server, new_email("upload"))
    start_referral(page)
    open_upload_documents(page)
    expect(page.get_by_text("No documents uploaded yet.")).to_be_visible()
    assert_accessible(page)

    upload(page, [PLAN, ROTA], "Something else", describe="School plan and breakfast club rota")
    expect(page.get_by_text("2 documents uploaded")).to_be_visible()
    expect(document_in_list(page, PLAN["name"])).to_contain_text(
        f"School plan and breakfast club rota. PDF, {len(PLAN['buffer'])} bytes."
    )
    expect(document_in_list(page, ROTA["name"])).to_contain_text(
        f"School plan and breakfast club rota. PNG, {len(ROTA['buffer'])} bytes."
    )
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=PLAN["name"], exact=True).click()
    download = download_info.value
    assert download.suggested_filename == PLAN["name"]
    assert Path(download.path()).read_bytes() == PLAN["buffer"]

    remove = page.get_by_role("button", name=f"Remove {ROTA['name']}")
    # Seen as "Remove" beside the file; a screen reader hears which file.
    expect(remove.locator(".govuk-visually-hidden")).to_have_text(ROTA["name"])
    remove.click()
    expect(page.get_by_text(f"{ROTA['name']} removed")).to_be_visible()
    expect(page.get_by_role("link", name=ROTA["name"])).to_have_count(0)
    expect(document_in_list(page, PLAN["name"])).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Back to the form's contents").click()
    expect(page.get_by_text("1 document attached")).to_be_visible()


def test_upload_problems_are_shown_in_the_error_summary_without_a_reload(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    register(page, mail_server, new_email("badfile"))
    start_referral(page)
    open_upload_documents(page)
    # Set on this page: a reload or a new page would lose it.
    page.evaluate("window.uploadPageNotReloaded = true")

    upload(page, [DISGUISED], "Attendance letters")
    expect(error_summary(page)).to_contain_text(
        f"{DISGUISED['name']} is not really a PDF file: its content does not match its name"
    )
    expect(page.get_by_text("No documents uploaded yet.")).to_be_visible()
    assert_accessible(page)

    upload(page, [ROTA], "Something else")
    expect(error_summary(page).get_by_role("link", name="Describe the document")).to_be_visible()
    expect(page.get_by_text("No documents uploaded yet.")).to_be_visible()

    notes = [
        FilePayload(name=f"note-{n:02}.txt", mimeType="text/plain", buffer=f"Note {n}\n".encode())
        for n in range(1, 22)
    ]
    upload(page, notes, "Attendance letters")
    expect(error_summary(page)).to_contain_text("Select at most 20 files at a time")
    expect(page.get_by_text("No documents uploaded yet.")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("window.uploadPageNotReloaded === true")


# 5.11 Send to Local Authority, and 7 Create PDF -----------------------------------------------


def fill_the_form_after_being_told_what_is_missing(
    page: Page, mail: MailCapture, email: str
) -> tuple[str, str, int]:
    """Register, start a form, try to send it empty (nothing is sent), follow the first missing
    answer into its section, create a draft PDF there, then complete every section and come to
    check answers. Returns the reference, that section's address and how many emails the user
    had before the first try."""
    register(page, mail, email)
    before = len(mail.all_to(email))
    reference = start_referral(page, CHILD_FORENAME, CHILD_SURNAME)
    open_upload_documents(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("button", name="Send to Local Authority").click()
    expect(page).to_have_title(re.compile("^Error: Check your answers"))
    missing = page.get_by_role("alert").filter(has_text="You cannot send this form yet")
    expect(missing).to_contain_text("Nothing has been sent.")
    expect(missing.get_by_role("link").first).to_contain_text("Referrer and child details: ")
    assert_accessible(page)
    missing.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrer and child details")
    section_url = page.url.split("#")[0]

    text = create_pdf(page, reference)
    assert "DRAFT" in text
    assert reference in text

    complete_every_section(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    return reference, section_url, before


def check_the_form_was_sent_once(
    page: Page, mail: MailCapture, email: str, reference: str, section_url: str, before: int
) -> None:
    """The confirmation page, one email without the child's name, a final PDF, no more changes,
    and the form under Submitted Forms."""
    expect(page.get_by_role("heading", level=1)).to_have_text("The process is now complete")
    expect(page.get_by_text(reference, exact=True)).to_be_visible()
    assert_accessible(page)

    message = mail.latest_to(email, after=before)
    assert reference in message.subject
    body = message.text()
    assert reference in body
    for name in (CHILD_FORENAME, CHILD_SURNAME):
        assert name not in body
        assert name not in message.subject

    text = create_pdf(page, reference)
    assert reference in text
    assert "DRAFT" not in text

    page.goto(section_url)
    expect(page).to_have_url(re.compile(rf"/referrals/{reference}/sent$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("The process is now complete")
    expect(page.get_by_role("button", name="Next")).to_have_count(0)

    page.get_by_role("link", name="Submitted Forms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("View Submitted Forms")
    expect(
        page.get_by_role("heading", level=2, name=f"{CHILD_FORENAME} {CHILD_SURNAME} – {reference}")
    ).to_be_visible()
    assert_accessible(page)

    # Sent exactly once: after all that, still the one confirmation.
    assert len(mail.all_to(email)) == before + 1


def test_send_to_local_authority_with_a_dialog(js_page: Page, mail_server: MailCapture) -> None:
    page = js_page
    email = new_email("send-js")
    reference, section_url, before = fill_the_form_after_being_told_what_is_missing(
        page, mail_server, email
    )
    send_button = page.get_by_role("button", name="Send to Local Authority")
    dialog = page.get_by_role("dialog", name=SEND_QUESTION)

    send_button.click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name=SEND_QUESTION)).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(send_button).to_be_focused()
    assert_accessible(page)

    send_button.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(send_button).to_be_focused()
    assert len(mail_server.all_to(email)) == before

    send_button.click()
    dialog.get_by_role("button", name="Submit").click()
    check_the_form_was_sent_once(page, mail_server, email, reference, section_url, before)


def test_focus_stays_in_the_send_dialog_until_it_is_closed(
    js_page: Page, mail_server: MailCapture
) -> None:
    page = js_page
    register(page, mail_server, new_email("trap"))
    start_referral(page)
    complete_every_section(page)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Send to Local Authority").click()
    dialog = page.get_by_role("dialog", name=SEND_QUESTION)
    expect(dialog.get_by_role("heading", name=SEND_QUESTION)).to_be_focused()
    # Round the dialog's two buttons more than once, forwards and then backwards: focus moves
    # from the last button to the first (and back), never out of the dialog.
    for number, key in enumerate(["Tab"] * 5 + ["Shift+Tab"] * 5, start=1):
        page.keyboard.press(key)
        inside, where = focus_is_inside(page, "#send-dialog")
        assert inside, f"key {number} ({key}) took focus out of the dialog: {where}"
    expect(dialog).to_be_visible()


def test_send_to_local_authority_with_a_confirmation_page(
    nojs_page: Page, mail_server: MailCapture
) -> None:
    page = nojs_page
    email = new_email("send-nojs")
    reference, section_url, before = fill_the_form_after_being_told_what_is_missing(
        page, mail_server, email
    )

    page.get_by_role("button", name="Send to Local Authority").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SEND_QUESTION)
    assert_accessible(page)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")

    page.get_by_role("button", name="Send to Local Authority").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SEND_QUESTION)
    page.get_by_role("button", name="Submit").click()
    check_the_form_was_sent_once(page, mail_server, email, reference, section_url, before)


# 10 Recover a form ----------------------------------------------------------------------------


def test_recover_a_form_continue_it_then_delete_it(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    register(page, mail_server, new_email("recover"))
    reference = start_referral(page, "Rory", "Recovery")
    open_section(page, "Additional Details")
    page.get_by_label("The child's current education setting (optional)").fill("Harefield Academy")
    page.get_by_role("button", name="Next").click()

    page.get_by_role("link", name="Recover a form").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recover an Early Help Form")
    card = page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", level=2, name=f"Rory Recovery – {reference}")
    )
    expect(card).to_contain_text("Will be deleted on")
    expect(card).to_contain_text(re.compile(r"Will be deleted on\s*\d{1,2} \w+ \d{4}"))
    assert_accessible(page)

    card.get_by_role("link", name=re.compile("^Continue")).click()
    expect(page).to_have_url(re.compile(rf"/referrals/{reference}(/|$)"))
    expect(page.get_by_text(reference).first).to_be_visible()
    expect(page.get_by_label("The child's current education setting (optional)")).to_have_value(
        "Harefield Academy"
    )

    page.get_by_role("link", name="Recover a form").click()
    card.get_by_role("link", name=re.compile("^Delete")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this draft?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, delete the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recover an Early Help Form")
    expect(page.get_by_text(f"Draft {reference} has been deleted.")).to_be_visible()
    expect(card).to_have_count(0)
    expect(page.get_by_text("You have no forms in progress.")).to_be_visible()
    assert_accessible(page)

    response = page.goto(f"/referrals/{reference}")
    assert response is not None and response.status == 404
