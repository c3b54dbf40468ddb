"""Help guide 9, Forgotten Password: from the login page, the email address, the emailed code,
a new password twice, then Finish; signed in with the new password. The answer never says
whether an address has an account."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import PASSWORD, code_from, expect_error, new_email, register, sign_in, sign_out
from testkit.mail import MailCapture

FINAL_PASSWORD = "Third-Strong-Passphrase-3"


def test_reset_a_forgotten_password_with_the_emailed_code(
    js_page: Page, mail_server: MailCapture
) -> None:
    page, email = js_page, new_email("forgot")
    register(page, mail_server, email)
    sign_out(page)

    # Forgotten Password -> code -> new password -> Finish.
    page.goto("/login")
    page.get_by_role("link", name="Forgotten Password", exact=True).click()
    assert_accessible(page)
    before = len(mail_server.all_to(email))
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("A code has been sent to your email address")).to_be_visible()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("link", name=re.compile("The code is not correct"))).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill(code_from(mail_server, email, after=before))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill(FINAL_PASSWORD)
    page.get_by_label("Confirm the password").fill(FINAL_PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Your password has now been changed")).to_be_visible()
    assert_accessible(page)
    sign_in(page, email, FINAL_PASSWORD)


def test_reset_a_forgotten_password_without_javascript(
    nojs_page: Page, mail_server: MailCapture
) -> None:
    page, email = nojs_page, new_email("forgot-nojs")
    register(page, mail_server, email)
    sign_out(page)

    # From the portal home: My Account asks to sign in, where Forgotten Password comes first.
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="My Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in or register")
    expect(page.get_by_text("Sign in to go to My Account.")).to_be_visible()
    page.get_by_role("link", name="reset it with Forgotten Password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten Password")
    page.get_by_role("button", name="Next").click()
    expect_error(page, "Enter your email address", javascript=False)
    assert_accessible(page)

    # An address with no account gets the same answer as one with an account.
    nobody = new_email("nobody")
    page.get_by_label("Email address").fill(nobody)
    page.get_by_role("button", name="Next").click()
    expect(
        page.get_by_text(
            f"A code has been sent to your email address, {nobody}, if it has an account."
        )
    ).to_be_visible()
    assert_accessible(page)

    page.goto("/forgotten-password")
    before = len(mail_server.all_to(email))
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Next").click()
    expect(
        page.get_by_text(
            f"A code has been sent to your email address, {email}, if it has an account."
        )
    ).to_be_visible()
    page.get_by_label("Code").fill(code_from(mail_server, email, after=before))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")

    # The password it had is not a new one.
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect(page).to_have_title(re.compile(r"^Error: Choose a new password"))
    expect(
        page.get_by_role("link", name=re.compile("must be different to your current password"))
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill(FINAL_PASSWORD)
    page.get_by_label("Confirm the password").fill(FINAL_PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password has now been changed")
    sign_in(page, email, FINAL_PASSWORD)
