"""A professional who follows the help guide step by step meets what it describes: the
Professionals page's Make a referral button (guide 2), Next from "How does this tool work" to
Your Details (3 and 5.1), My Account from the header signed in (8) and signed out, on the way
to Forgotten Password (9), Send offered only when the form can be sent (5.11), someone
who registered but never entered the code sent back to it (the later edition, 4), and someone
who started a referral before registering navigated back to the form (4)."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app.settings import Settings
from testkit.journeys import (
    COMPLETE_ANSWERS,
    STRONG_PASSWORD,
    audit_types,
    complete_section,
    latest_code,
    mail_to,
    post,
    register,
    start_referral,
    start_registration,
)
from tests.conftest import Clock

EMAIL = "florence.nightingale@health.example.org"


def test_the_professionals_page_has_a_make_a_referral_button_to_the_referral_options(
    client: TestClient,
) -> None:
    page = client.get("/professionals").text
    button = re.search(r'<a href="/#make-a-referral"[^>]*class="govuk-button[^"]*"[^>]*>', page)
    assert button and "Make a referral" in page[button.end() : button.end() + 200]
    assert 'id="make-a-referral">Make a referral</h2>' in client.get("/").text


def test_next_from_how_does_this_tool_work_opens_your_details(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    guidance = client.get(f"/referrals/{reference}/how-it-works").text
    next_button = f'href="/referrals/{reference}/sections/your-details"'
    assert re.search(rf'<a {next_button}[^>]*class="govuk-button', guidance)
    # The contents page stays one link away.
    assert f'href="/referrals/{reference}">See every section of the form first</a>' in guidance
    page = client.get(f"/referrals/{reference}/sections/your-details").text
    # The guide's walkthrough calls it "Your Details"; its contents, "Referrer and Child Details".
    assert '<span class="govuk-caption-l">Referrer and child details</span>' in page
    assert '<h1 class="govuk-heading-l">Your Details</h1>' in page
    assert "<title>Referrer and child details (Your Details) – " in page


def test_the_name_at_the_top_opens_my_account(client: TestClient, settings: Settings) -> None:
    register(client, settings, EMAIL)
    header = client.get("/").text
    assert re.search(r'<a class="portal-header__link" href="/account">[^<]+<span', header)
    assert "My Account</span></a>" in header


def test_signed_out_my_account_leads_to_sign_in_with_forgotten_password_first(
    client: TestClient,
) -> None:
    home = client.get("/").text
    assert '<a class="portal-header__link" href="/account">My Account</a>' in home
    page = client.get("/account")  # follows the redirect to sign in
    assert page.url.path == "/login"
    banner = page.text.index("Sign in to go to My Account.")
    forgotten = page.text.index('href="/forgotten-password"', banner)
    assert forgotten < page.text.index("<h1")
    # Without coming from My Account (a new visitor), the sign-in page is as it was.
    client.cookies.clear()
    assert "Sign in to go to My Account." not in client.get("/login").text


def test_send_is_offered_only_when_the_form_can_be_sent(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    check = client.get(f"/referrals/{reference}/check-answers")
    assert check.status_code == 200
    assert "Send to Local Authority" not in check.text
    assert "Before you can send this form" in check.text
    missing = re.findall(r'<li><a class="govuk-link" href="([^"]+)">([^<]+)</a></li>', check.text)
    assert missing and missing[0][1].startswith("Referrer and child details: ")
    assert all(href.startswith(f"/referrals/{reference}/sections/") for href, _ in missing)
    # Once every section is complete, the button is there (and nothing is listed).
    for section, answers in COMPLETE_ANSWERS.items():
        assert complete_section(client, reference, section, answers).status_code == 303
    check = client.get(f"/referrals/{reference}/check-answers").text
    assert 'id="send-button"' in check and "Before you can send this form" not in check
    assert "govuk-error-summary" not in check


def test_signing_in_before_entering_the_registration_code_leads_back_to_the_code(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    """The later edition of the guide warns that someone who registered but never entered the
    code is told their details are not correct. Here, whoever knows the password they chose is
    sent back to enter the code, with a fresh one emailed; anyone else is told, as for any
    address, that the email address or password is not correct."""
    assert start_registration(client, EMAIL).headers["location"] == "/register/code"
    first_code = latest_code(settings, EMAIL)
    client.cookies.clear()  # another day, another browser
    clock.advance(hours=2)  # the first code has expired

    wrong = post(client, "/login", email=EMAIL, password="Not-The-Password-42")
    assert wrong.status_code == 422
    assert "The email address or password is not correct" in wrong.text
    assert len(mail_to(settings, EMAIL)) == 1

    answer = post(client, "/login", email=EMAIL, password=STRONG_PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/register/code?unfinished=sent"
    page = client.get(answer.headers["location"]).text
    assert "You have not finished registering" in page and "We have sent you a new code." in page
    new_code = latest_code(settings, EMAIL)
    assert len(mail_to(settings, EMAIL)) == 2 and new_code != first_code
    done = post(client, "/register/code", code=new_code, action="check")
    assert done.headers["location"] == "/register/complete"
    assert "registration.resumed" in audit_types(settings)


def test_registering_after_starting_a_referral_leads_back_to_the_form(
    client: TestClient, settings: Settings
) -> None:
    """Guide 3 then 4: the child's names, Confirm, Login or Register, Register for a new
    account, the code, the confirmation message, Continue: "you will be navigated back to the
    form", with no other question on the way."""
    confirm = post(client, "/start/early-help", child_forename="Mary", child_surname="Seacole")
    assert confirm.headers["location"] == "/login"
    assert start_registration(client, EMAIL).headers["location"] == "/register/code"
    code = post(client, "/register/code", code=latest_code(settings, EMAIL), action="check")
    assert code.headers["location"] == "/register/complete"
    done = client.get("/register/complete").text
    continue_to = re.search(
        r'<a href="([^"]+)"[^>]*class="govuk-button[^"]*"[^>]*>\s*Continue', done
    )
    assert continue_to, done
    form = client.get(continue_to.group(1))
    assert form.url.path == continue_to.group(1)  # no redirect, no other page between
    assert '<h1 class="govuk-heading-l">How does this tool work</h1>' in form.text
    assert "Early Help Assessment for Mary Seacole" in form.text
