"""Help guide 5.11, Submit Referral: told what is missing first (nothing sent), then Send to
Local Authority with a dialog (JavaScript) or a confirmation page (without), sent exactly once,
one confirmation email without the child's name, and no change after sending."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    SEND_QUESTION,
    complete_every_section,
    create_pdf,
    focus_is_inside,
    new_email,
    open_upload_documents,
    register,
    start_referral,
)
from testkit.mail import MailCapture

# Names no email or PDF would show by chance: the confirmation email must not contain them.
CHILD_FORENAME = "Wilhelmina"
CHILD_SURNAME = "Quartermaine"


def fill_the_form_after_being_told_what_is_missing(
    page: Page, mail: MailCapture, email: str
) -> tuple[str, str, int]:
    """Register, start a form, come to check answers with it empty (no Send button, what is
    missing listed), follow the first missing answer into its section, create a draft PDF
    there, then complete every section and come to check answers. Returns the reference, that
    section's address and how many emails the user had before the first try."""
    register(page, mail, email)
    before = len(mail.all_to(email))
    reference = start_referral(page, CHILD_FORENAME, CHILD_SURNAME)
    open_upload_documents(page)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    # Send is offered only when it can work: until then, what is missing, as links.
    expect(page.get_by_role("button", name="Send to Local Authority")).to_have_count(0)
    expect(page.get_by_role("heading", name="Before you can send this form")).to_be_visible()
    missing = page.locator("#missing-answers")
    expect(missing.get_by_role("link").first).to_contain_text("Referrer and child details: ")
    assert_accessible(page)
    missing.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Details")
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
        inside, where = focus_is_inside(dialog)
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
