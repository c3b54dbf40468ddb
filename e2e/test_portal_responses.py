"""Help guide 6, Portal Response Notifications: hub staff triage a sent referral (status with
a message, urgency, a message) and the referrer is emailed, without the child's details, that
there is a message; the referrer reads the messages under Submitted Forms and replies; hub staff
see the reply in their inbox.

Hub staff and the sent referral are made in the live portal's database (e2e/records.py), so
these journeys need the portal's database (against a running portal: E2E_DATABASE_URL) and its
mail (E2E_MAIL_PORT). The same exchange after a referral filled in and sent in the browser is
part of test_whole_referral.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.files import DISGUISED, PLAN
from e2e.journeys import (
    ACCEPTED,
    HUB_STAFF_NAME,
    REFERRER_NAME,
    error_summary,
    expect_error,
    expect_inbox_lists,
    form_link,
    hub_signs_in,
    inbox_row,
    new_message_mails,
    search_inbox,
    sign_in,
    sign_out,
    success_banner,
    summary_card,
)
from e2e.records import Portal, letters, small_pdf
from testkit.mail import MailCapture


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

    hub_signs_in(page, portal.hub_email)
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
    card = summary_card(page, f"{forename} {surname} – {reference}")
    expect(card).to_contain_text(ACCEPTED)
    expect(card).to_contain_text("2 new messages")
    assert_accessible(page)
    form_link(page, f"{forename} {surname} – {reference}").click()

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
    hub_signs_in(page, portal.hub_email)
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
    hub_signs_in(page, portal.hub_email)
    page.goto(f"/hub/referrals/{reference}")
    page.get_by_label("Send a message to the referrer").fill("Could you call us, please?")
    page.get_by_role("button", name="Send message").click()
    expect(success_banner(page)).to_contain_text("Message sent to the referrer")
    new_message_mails(mail_server, referrer, reference, 1, within=5)


def test_the_referrer_sends_the_document_the_hub_asked_for_with_their_reply(
    any_page: Page, portal: Portal, javascript: bool
) -> None:
    """Documents asked for later: attached to the reply on the sent form's page; a refused
    file keeps the words typed; hub staff download what was sent with the reply."""
    page = any_page
    forename, surname = "Nia", "Okafor" + letters()
    referrer = portal.create_referrer()
    asked = "Please send the signed consent form."
    reference = portal.referral(referrer, forename, surname, hub_messages=(asked,))
    hub_name = portal.settings.hub_name
    words = "Here is the signed consent form."

    sign_in(page, referrer)
    page.goto(f"/referrals/{reference}/view")
    expect(page.get_by_text(asked, exact=True)).to_be_visible()
    expect(page.get_by_text(f"A PDF of the form as sent to the {hub_name}")).to_be_visible()
    assert_accessible(page)

    # A file that is not what its name says: nothing is sent, the words are kept.
    page.get_by_label(f"Reply to the {hub_name}").fill(words)
    page.get_by_label("Attach documents (optional)").set_input_files([DISGUISED])
    page.get_by_role("button", name="Send reply").click()
    expect(error_summary(page)).to_contain_text(
        f"{DISGUISED['name']} is not really a PDF file: its content does not match its name"
    )
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_label(f"Reply to the {hub_name}")).to_have_value(words)
    expect(page.get_by_role("main")).not_to_contain_text(f"Message from {REFERRER_NAME}")
    assert_accessible(page)

    page.get_by_label("Attach documents (optional)").set_input_files([PLAN])
    page.get_by_role("button", name="Send reply").click()
    expect(success_banner(page)).to_contain_text(f"Your reply has been sent to the {hub_name}")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(words)
    expect(timeline).to_contain_text("Document sent with it:")
    with page.expect_download() as mine:
        timeline.get_by_role("link", name=PLAN["name"], exact=True).click()
    assert Path(mine.value.path()).read_bytes() == PLAN["buffer"]
    assert_accessible(page)
    sign_out(page)

    hub_signs_in(page, portal.hub_email)
    page.goto(f"/hub/referrals/{reference}")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(f"Message from {REFERRER_NAME}, referrer")
    expect(timeline).to_contain_text(words)
    with page.expect_download() as theirs:
        timeline.get_by_role("link", name=PLAN["name"], exact=True).click()
    assert Path(theirs.value.path()).read_bytes() == PLAN["buffer"]
    expect(page.get_by_role("main")).to_contain_text("sent later with a reply")
    expect(
        page.get_by_role("link", name=f"Remove {PLAN['name']} as attached in error")
    ).to_be_visible()
    assert_accessible(page)
