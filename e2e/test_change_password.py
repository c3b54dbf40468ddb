"""Help guide 8, Change Password: from My Account, the current password and a new one twice,
then Finish; the owner is emailed, and every other session of the account ends."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    NEW_PASSWORD,
    PASSWORD,
    expect_error,
    new_email,
    register,
    sign_in,
    sign_out,
)
from testkit.mail import MailCapture


def open_change_password(page: Page) -> None:
    """The user's name in the header -> My Account -> Change Password (help guide 8: "click on
    your name at the top of the screen")."""
    menu = page.get_by_role("navigation", name="Your account")
    menu.locator(".portal-header__name").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My Account")
    assert_accessible(page)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Password")


def test_change_password_from_my_account(js_page: Page, mail_server: MailCapture) -> None:
    page, email = js_page, new_email("change")
    register(page, mail_server, email)

    # My Account -> Change Password, with one mistake first.
    page.get_by_role("link", name="My Account", exact=True).click()
    assert_accessible(page)
    page.get_by_role("button", name="Change Password").click()
    page.get_by_label("Current password").fill("Not-My-Password-1")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm the password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect(page).to_have_title(re.compile(r"^Error: Change Password"))
    expect(page.get_by_role("link", name="Your current password is not correct")).to_be_visible()
    assert_accessible(page)
    before = len(mail_server.all_to(email))
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Your password has been changed")).to_be_visible()
    assert_accessible(page)
    assert "password has been changed" in mail_server.latest_to(email, after=before).subject
    sign_out(page)
    sign_in(page, email, NEW_PASSWORD)


def test_change_password_without_javascript_ends_the_other_sessions(
    nojs_page: Page, page_factory: Callable[[bool], Page], mail_server: MailCapture
) -> None:
    page, email = nojs_page, new_email("change-nojs")
    register(page, mail_server, email)
    # The same account signed in on another computer.
    elsewhere = page_factory(False)
    sign_in(elsewhere, email)

    open_change_password(page)
    assert_accessible(page)
    # The current password again is not a new one.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect_error(
        page,
        "New password must be different to your current password and your previous passwords",
        javascript=False,
    )
    assert_accessible(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm the password").fill("Not-the-same-Passphrase-7")
    page.get_by_role("button", name="Finish").click()
    expect_error(page, "The passwords do not match", javascript=False)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm the password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password has been changed")

    # This session carries on; the other one has ended, and the old password no longer works.
    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("My Account")
    elsewhere.goto("/account")
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Sign in or register")
    elsewhere.get_by_label("Email address").fill(email)
    elsewhere.get_by_label("Password", exact=True).fill(PASSWORD)
    elsewhere.get_by_role("button", name="Sign in").click()
    expect_error(elsewhere, "The email address or password is not correct", javascript=False)
    sign_in(elsewhere, email, NEW_PASSWORD)
