"""Help guide 4, Create a New Children's Portal Account: Login or Register, the two steps,
the emailed code, then signed in; the password policy ticked as the user types."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import PASSWORD, code_from, new_email, register, sign_in, sign_out
from testkit.mail import MailCapture


def test_register_sign_out_and_sign_in_again(js_page: Page, mail_server: MailCapture) -> None:
    page, email = js_page, new_email()
    register(page, mail_server, email)
    menu = page.get_by_role("navigation", name="Your account")
    expect(menu).to_contain_text("Ada Lovelace")
    for name in ("My Account", "Recover a form", "Submitted Forms"):
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    # The name itself opens My Account too (help guide 8).
    name = menu.locator(".portal-header__name").get_by_role("link")
    expect(name).to_contain_text("Ada Lovelace")
    expect(name).to_have_attribute("href", "/account")
    expect(page.get_by_text("active account")).to_have_count(0)

    sign_out(page)
    assert_accessible(page)
    sign_in(page, email)


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
    # Typing before the page's scripts have started would be typing with no checklist yet (a
    # person reads the page first): wait for them, as a person's reading does.
    page.wait_for_load_state("load")
    policy = page.get_by_role("list", name="Password policy")
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
