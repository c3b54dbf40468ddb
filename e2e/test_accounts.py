"""Help guide sections 4, 8 and 9: create an account, change password, forgotten password."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

from e2e.conftest import assert_accessible
from e2e.journeys import NEW_PASSWORD, PASSWORD, code_from, new_email, register, sign_in, sign_out
from e2e.mail import MailCapture


def test_account_journey_from_registration_to_password_reset(
    js_page: Page, mail_server: MailCapture
) -> None:
    page, email = js_page, new_email()
    register(page, mail_server, email)
    menu = page.get_by_role("navigation", name="Your account")
    expect(menu).to_contain_text("Ada Lovelace")
    for name in ("My Account", "Recover a form", "Submitted Forms"):
        expect(menu.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_text("active account")).to_have_count(0)

    sign_out(page)
    assert_accessible(page)
    sign_in(page, email)

    # My Account -> Change Password, with one mistake first.
    page.get_by_role("link", name="My Account").click()
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

    # Forgotten Password -> code -> new password -> Finish.
    page.goto("/login")
    page.get_by_role("link", name="Forgotten Password").click()
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
    final_password = "Third-Strong-Passphrase-3"
    page.get_by_label("New password", exact=True).fill(final_password)
    page.get_by_label("Confirm the password").fill(final_password)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Your password has now been changed")).to_be_visible()
    assert_accessible(page)
    sign_in(page, email, final_password)


def test_registration_works_with_javascript_off(nojs_page: Page, mail_server: MailCapture) -> None:
    page, email = nojs_page, new_email("nojs")
    page.goto("/register")
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_title(re.compile(r"^Error: Register for a new account"))
    expect(page.get_by_role("link", name="Enter your forename")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Forename").fill("Ada")
    page.get_by_label("Surname").fill("Lovelace")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Work email address").fill("office@school.example.org")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("link", name=re.compile("not a shared mailbox"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("at least 12 characters"))).to_be_visible()
    assert_accessible(page)
    before = len(mail_server.all_to(email))
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Code").fill(code_from(mail_server, email, after=before))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Your account has been created")).to_be_visible()
    assert_accessible(page)


def test_password_checklist_ticks_as_the_user_types(js_page: Page) -> None:
    page = js_page
    page.goto("/register")
    page.get_by_label("Forename").fill("Ada")
    page.get_by_label("Surname").fill("Lovelace")
    page.get_by_role("button", name="Next").click()
    policy = page.locator("#password-policy")
    page.get_by_label("Password", exact=True).press_sequentially("abcdefghijkl")
    expect(
        policy.get_by_text("Not yet: It must contain at least one upper-case letter")
    ).to_be_visible()
    page.get_by_label("Password", exact=True).fill("Abcdefghij-12")
    page.get_by_label("Password", exact=True).dispatch_event("input")
    expect(
        policy.get_by_text("Done: It must contain at least one upper-case letter")
    ).to_be_visible()
    assert_accessible(page)
    # Show and hide the password (GOV.UK password input).
    page.get_by_role("button", name="Show password").first.click()
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("type", "text")


def test_timeout_warning_offers_to_stay_signed_in(js_page: Page, mail_server: MailCapture) -> None:
    page, email = js_page, new_email("timeout")
    register(page, mail_server, email)

    def short_session(route: Route) -> None:
        # The same page, told its session has 122 seconds left, so the warning opens at once.
        response = route.fetch()
        html = re.sub(
            r'data-session-seconds-left="\d+"', 'data-session-seconds-left="122"', response.text()
        )
        route.fulfill(response=response, body=html)

    page.route("**/account", short_session)
    page.goto("/account")
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", name="My Account")).to_be_visible()
