"""Help guide 5.10, Upload Documents: several files at once, each checked by its content;
download one, remove another; problems in the error summary (without a reload, with htmx)."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect
from pypdf import PdfReader

from e2e.accessibility import assert_accessible
from e2e.files import DISGUISED, PLAN, ROTA
from e2e.journeys import (
    document_in_list,
    error_summary,
    new_email,
    open_upload_documents,
    register,
    start_referral,
    upload,
)
from testkit.mail import MailCapture


def test_the_files_made_here_are_real() -> None:
    reader = PdfReader(io.BytesIO(PLAN["buffer"]))
    assert "Team around the family plan" in reader.pages[0].extract_text()
    png = ROTA["buffer"]
    assert zlib.decompress(png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8])


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
