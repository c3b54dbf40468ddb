"""Help guide 5.10, Upload Documents: Upload Document opens the file chooser and attaches what
is chosen (choose, then Upload Document, without JavaScript); several files at once, each
checked by its content; saying what one is, if the referrer wishes; download one, remove
another; problems in the error summary (without a reload, with htmx)."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect
from pypdf import PdfReader

from e2e.accessibility import assert_accessible
from e2e.files import DISGUISED, PLAN, ROTA
from e2e.journeys import (
    describe_document,
    document_in_list,
    error_summary,
    expect_error,
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


def test_upload_two_documents_at_once_describe_one_download_it_and_remove_the_other(
    any_page: Page, mail_server: MailCapture, javascript: bool
) -> None:
    page = any_page
    register(page, mail_server, new_email("upload"))
    start_referral(page)
    open_upload_documents(page)
    expect(page.get_by_text("No documents uploaded yet.")).to_be_visible()
    expect(page.get_by_text("What is in the file?")).to_have_count(0)
    assert_accessible(page)

    upload(page, [PLAN, ROTA], javascript)
    expect(page.get_by_text("2 documents uploaded")).to_be_visible()
    expect(document_in_list(page, PLAN["name"])).to_contain_text(
        f"PDF, {len(PLAN['buffer'])} bytes. Uploaded"
    )
    expect(document_in_list(page, ROTA["name"])).to_contain_text(
        f"PNG, {len(ROTA['buffer'])} bytes. Uploaded"
    )
    assert_accessible(page)

    # What a document is: optional, said after it is uploaded; too long is refused, kept.
    describe_document(page, PLAN["name"], "Team around the family plan " + "x" * 200)
    expect_error(page, "The description must be 200 characters or fewer", javascript)
    expect(page.get_by_label(f"What is in {PLAN['name']}?")).to_have_value(
        "Team around the family plan " + "x" * 200
    )
    assert_accessible(page)
    page.get_by_label(f"What is in {PLAN['name']}?").fill("Team around the family plan")
    page.get_by_role("button", name="Save description").click()
    expect(page.get_by_text(f"Description of {PLAN['name']} saved")).to_be_visible()
    expect(document_in_list(page, PLAN["name"])).to_contain_text(
        f"Team around the family plan. PDF, {len(PLAN['buffer'])} bytes."
    )
    expect(page.get_by_role("link", name=f"Change description of {PLAN['name']}")).to_be_visible()
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

    upload(page, [DISGUISED], javascript=True)
    expect(error_summary(page)).to_contain_text(
        f"{DISGUISED['name']} is not really a PDF file: its content does not match its name"
    )
    expect(page.get_by_text("No documents uploaded yet.")).to_be_visible()
    assert_accessible(page)

    notes = [
        FilePayload(name=f"note-{n:02}.txt", mimeType="text/plain", buffer=f"Note {n}\n".encode())
        for n in range(1, 22)
    ]
    upload(page, notes, javascript=True)
    expect(error_summary(page)).to_contain_text("Select at most 20 files at a time")
    expect(page.get_by_text("No documents uploaded yet.")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("window.uploadPageNotReloaded === true")
