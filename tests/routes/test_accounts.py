"""Accounts, as the help guide describes them (sections 4, 8 and 9), through the real app."""

from __future__ import annotations

import itertools

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from testkit.journeys import (
    OTHER_STRONG_PASSWORD,
    STRONG_PASSWORD,
    audit_types,
    is_signed_in,
    latest_code,
    mail_to,
    post,
    register,
    sign_in,
    start_registration,
)
from tests.conftest import Clock, csrf_token_from, make_settings

EMAIL = "ada.lovelace@school.example.org"


# Register for a new account ----------------------------------------------------------------


def test_professional_can_register_with_an_emailed_code(
    client: TestClient, settings: Settings
) -> None:
    page = client.get("/login")
    assert "Register for a new account" in page.text
    assert (
        "Generic accounts shared by several people are not permitted"
        in client.get("/register").text
    )
    response = start_registration(client, EMAIL)
    assert response.status_code == 303 and response.headers["location"] == "/register/code"
    page = client.get("/register/code")
    assert "Enter the code" in page.text and EMAIL in page.text

    [message] = mail_to(settings, EMAIL)
    assert "Lovelace" not in message.subject
    code = latest_code(settings, EMAIL)
    response = post(client, "/register/code", code=f"{code[:3]} {code[3:]}", action="check")
    assert response.headers["location"] == "/register/complete"
    done = client.get("/register/complete")
    assert "Your account has been created" in done.text
    assert "Ada Lovelace" in done.text  # the user menu, top right
    assert "do not have an active account" not in done.text
    for link in ("My Account", "Recover a form", "Submitted Forms", "Sign out"):
        assert link in done.text
    assert audit_types(settings)[-2:] == ["registered", "email-verified"]


def test_names_are_required(client: TestClient) -> None:
    response = post(client, "/register", forename=" ", surname="L" * 101)
    assert response.status_code == 422
    assert "Error: Register for a new account" in response.text
    assert 'href="#forename"' in response.text and "Enter your forename" in response.text
    assert "Surname must be 100 characters or fewer" in response.text
    assert 'value="' + "L" * 101 + '"' in response.text  # nothing typed is lost


@pytest.mark.parametrize(
    ("email", "password", "confirm", "field", "message"),
    [
        ("", STRONG_PASSWORD, STRONG_PASSWORD, "email", "Enter your work email address"),
        ("not-an-email", STRONG_PASSWORD, STRONG_PASSWORD, "email", "correct format"),
        ("info@school.example.org", STRONG_PASSWORD, STRONG_PASSWORD, "email", "shared mailbox"),
        ("Office@school.example.org", STRONG_PASSWORD, STRONG_PASSWORD, "email", "shared"),
        ("referrals@nhs.example", STRONG_PASSWORD, STRONG_PASSWORD, "email", "shared mailbox"),
        ("noreply@police.example", STRONG_PASSWORD, STRONG_PASSWORD, "email", "shared mailbox"),
        ("reception.team@gp.example", STRONG_PASSWORD, STRONG_PASSWORD, "email", "shared"),
        ("info-team@school.example.org", STRONG_PASSWORD, STRONG_PASSWORD, "email", "shared"),
        (EMAIL, "", "", "password", "Enter a password"),
        (EMAIL, "Short-Pass1", "Short-Pass1", "password", "at least 12 characters"),
        (EMAIL, "no-upper-case-1", "no-upper-case-1", "password", "upper-case"),
        (EMAIL, "No-Digits-Here!", "No-Digits-Here!", "password", "numerical digit"),
        (EMAIL, "NoSpecials12345", "NoSpecials12345", "password", "special character"),
        (EMAIL, "Has Space-12345", "Has Space-12345", "password", "only letters"),
        (EMAIL, "Password123!", "Password123!", "password", "common password"),
        (EMAIL, "Aa1!" * 33, "Aa1!" * 33, "password", "128 characters or fewer"),
        (EMAIL, STRONG_PASSWORD, "", "confirm_password", "Confirm your password"),
        (EMAIL, STRONG_PASSWORD, STRONG_PASSWORD + "x", "confirm_password", "do not match"),
    ],
    ids=[
        "no-email",
        "bad-format",
        "info@",
        "office@-any-case",
        "referrals@",
        "noreply@",
        "reception.team@",
        "info-team@",
        "no-password",
        "too-short",
        "no-upper",
        "no-digit",
        "no-special",
        "space",
        "common",
        "over-long",
        "no-confirm",
        "mismatch",
    ],
)
def test_step_two_refuses_bad_input_with_a_clear_message_and_keeps_it(
    client: TestClient, email: str, password: str, confirm: str, field: str, message: str
) -> None:
    post(client, "/register", forename="Ada", surname="Lovelace")
    response = post(
        client, "/register/account", email=email, password=password, confirm_password=confirm
    )
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text
    assert message in response.text
    assert f'value="{email}"' in response.text or not email


def test_registering_an_existing_address_answers_the_same_and_tells_the_owner(
    client: TestClient, app: Starlette, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    clock.advance(seconds=61)  # past the wait between registration codes for one address
    with TestClient(app) as stranger:
        response = start_registration(stranger, EMAIL.upper(), OTHER_STRONG_PASSWORD, "Eve", "X")
        assert response.headers["location"] == "/register/code"
        assert "Enter the code" in stranger.get("/register/code").text
        wrong = post(stranger, "/register/code", code="000000", action="check")
        assert wrong.status_code == 422
    messages = mail_to(settings, EMAIL)
    assert "someone tried to register" in messages[-1].subject
    assert "Your code is" not in messages[-1].text_body
    assert not mail_to(settings, EMAIL.upper())


def test_wrong_expired_and_exhausted_codes(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    start_registration(client, EMAIL)
    code = latest_code(settings, EMAIL)
    wrong = "111111" if code != "111111" else "222222"
    response = post(client, "/register/code", code=wrong, action="check")
    assert response.status_code == 422 and "You have 4 tries left" in response.text
    assert post(client, "/register/code", code="12ab", action="check").status_code == 422
    assert "The code must be 6 digits" in post(client, "/register/code", code="12ab").text
    assert "Enter the code from the email" in post(client, "/register/code", code="").text
    for _ in range(4):
        response = post(client, "/register/code", code=wrong, action="check")
    assert "wrong code too many times" in response.text
    # Even the right code no longer works: a new code is needed.
    assert "too many times" in post(client, "/register/code", code=code, action="check").text

    clock.advance(seconds=61)
    assert post(client, "/register/code", action="resend").status_code == 303
    fresh = latest_code(settings, EMAIL)
    clock.advance(minutes=16)
    response = post(client, "/register/code", code=fresh, action="check")
    assert "The code has expired" in response.text


def test_a_new_code_replaces_the_old_one_and_is_throttled(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    start_registration(client, EMAIL)
    first = latest_code(settings, EMAIL)
    response = post(client, "/register/code", action="resend")
    assert response.status_code == 429 and "before asking for another code" in response.text
    clock.advance(seconds=61)
    assert post(client, "/register/code", action="resend").status_code == 303
    assert "We have sent a new code" in client.get("/register/code?sent=1").text
    second = latest_code(settings, EMAIL)
    if first != second:
        assert post(client, "/register/code", code=first).status_code == 422
    assert post(client, "/register/code", code=second).headers["location"] == ("/register/complete")


@pytest.mark.parametrize("known", [True, False], ids=["has-an-account", "no-account"])
def test_asking_again_and_again_for_codes_by_the_forms_is_throttled_by_address(
    client: TestClient, settings: Settings, clock: Clock, known: bool
) -> None:
    """Posting the registration or forgotten-password form over and over cannot make the portal
    email an address without end: the same wait as "Send a new code" (a minute between codes
    for one purpose, five an hour for all), whether or not the address has an account."""
    codes = 0
    if known:
        register(client, settings, EMAIL)
        post(client, "/logout")
        codes += 1
        clock.advance(seconds=61)
    sent_before = len(mail_to(settings, EMAIL))

    assert post(client, "/forgotten-password", email=EMAIL.upper()).status_code == 303
    refused = post(client, "/forgotten-password", email=EMAIL.upper())
    assert refused.status_code == 429
    assert "Wait 60 seconds before asking for another code" in refused.text
    assert f'value="{EMAIL.upper()}"' in refused.text  # what was typed is kept
    assert start_registration(client, EMAIL).status_code == 303  # another purpose
    again = start_registration(client, EMAIL)
    assert again.status_code == 429 and "before asking for another code" in again.text
    assert 'href="#email"' in again.text  # the error summary leads to the address
    codes += 2
    for _ in range(6):
        clock.advance(seconds=61)
        if post(client, "/forgotten-password", email=EMAIL).status_code == 303:
            codes += 1
    assert codes == 5
    refused = post(client, "/forgotten-password", email=EMAIL)
    assert refused.status_code == 429 and "too many codes" in refused.text
    assert "too many codes" in start_registration(client, EMAIL).text
    # Reset codes go only to an account's owner; registering an address with an account tells
    # its owner instead of sending a code. Never more than five an hour, whatever is posted.
    assert len(mail_to(settings, EMAIL)[sent_before:]) == (4 if known else 1)
    clock.advance(hours=1)
    assert post(client, "/forgotten-password", email=EMAIL).status_code == 303


def test_a_used_code_cannot_be_used_again(client: TestClient, settings: Settings) -> None:
    start_registration(client, EMAIL)
    code = latest_code(settings, EMAIL)
    cookies = dict(client.cookies)
    assert post(client, "/register/code", code=code).status_code == 303
    client.cookies.clear()
    client.cookies.update(cookies)  # an old copy of the session cookie, replayed
    response = post(client, "/register/code", code=code)
    assert response.status_code == 422 and "already been used" in response.text


# Sign in and out ---------------------------------------------------------------------------


def test_sign_in_and_sign_out(client: TestClient, app: Starlette, settings: Settings) -> None:
    register(client, settings, EMAIL)
    post(client, "/logout")
    assert not is_signed_in(client)
    assert "Login or Register" in client.get("/").text
    response = sign_in(client, "  ADA.Lovelace@school.example.org ")
    # Back to where the user was going when they were asked to sign in (My Account).
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert is_signed_in(client)
    assert "signed-in" in audit_types(settings)


def test_one_message_for_a_wrong_password_or_an_unknown_address(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    post(client, "/logout")
    wrong_password = sign_in(client, EMAIL, "Wrong-Password-123")
    unknown = sign_in(client, "nobody@school.example.org", "Wrong-Password-123")
    for response in (wrong_password, unknown):
        assert response.status_code == 422
        assert "The email address or password is not correct" in response.text
        assert "active account" not in response.text
    assert 'value="nobody@school.example.org"' in unknown.text
    empty = post(client, "/login", email="", password="")
    assert "Enter your email address" in empty.text and "Enter your password" in empty.text


def test_repeated_failures_pause_sign_in_and_tell_the_owner(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    post(client, "/logout")
    for _ in range(10):
        assert sign_in(client, EMAIL, "Wrong-Password-123").status_code == 422
    response = sign_in(client, EMAIL)  # even the right password waits
    assert response.status_code == 422 and "tried to sign in too many times" in response.text
    assert "paused" in mail_to(settings, EMAIL)[-1].subject
    assert "sign-in-throttled" in audit_types(settings)
    clock.advance(minutes=16)
    assert sign_in(client, EMAIL).status_code == 303


def reset_password(client: TestClient, settings: Settings) -> None:
    """Forgotten Password, the emailed code, and OTHER_STRONG_PASSWORD as the new one."""
    post(client, "/forgotten-password", email=EMAIL)
    post(client, "/forgotten-password/code", code=latest_code(settings, EMAIL), action="check")
    done = post(
        client,
        "/forgotten-password/new",
        password=OTHER_STRONG_PASSWORD,
        confirm_password=OTHER_STRONG_PASSWORD,
    )
    assert done.headers["location"] == "/forgotten-password/done"


def test_a_stranger_elsewhere_cannot_pause_the_owners_sign_in(
    app: Starlette, settings: Settings
) -> None:
    """Failures from one client pause that client for that account; the owner, signing in
    from their own computer, is not stopped by them."""
    with TestClient(app, client=("198.51.100.7", 50000)) as owner:
        register(owner, settings, EMAIL)
        post(owner, "/logout")
        with TestClient(app, client=("203.0.113.66", 50000)) as stranger:
            for _ in range(12):
                assert sign_in(stranger, EMAIL, "Wrong-Password-123").status_code == 422
            refused = sign_in(stranger, EMAIL)
            assert "tried to sign in too many times" in refused.text
        assert sign_in(owner, EMAIL).status_code == 303


def test_guessing_spread_over_many_clients_pauses_the_account_until_a_reset(
    app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failures for one account from anywhere pause it at a higher limit; a completed password
    reset always lets the owner in."""
    monkeypatch.setattr("app.services.accounts.SIGN_IN_FAILURES_PER_ACCOUNT", 20)
    with TestClient(app, client=("198.51.100.7", 50000)) as owner:
        register(owner, settings, EMAIL)
        post(owner, "/logout")
        for address in range(3):
            with TestClient(app, client=(f"203.0.113.{address}", 50000)) as stranger:
                for _ in range(7):
                    assert sign_in(stranger, EMAIL, "Wrong-Password-123").status_code == 422
        paused = sign_in(owner, EMAIL)
        assert paused.status_code == 422 and "tried to sign in too many times" in paused.text
        # "... or reset your password": the reset lifts the pause at once.
        reset_password(owner, settings)
        assert sign_in(owner, EMAIL, OTHER_STRONG_PASSWORD).status_code == 303


def test_a_completed_reset_lets_the_owner_in_after_their_own_failures(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    post(client, "/logout")
    for _ in range(10):
        sign_in(client, EMAIL, "Wrong-Password-123")
    assert "tried to sign in too many times" in sign_in(client, EMAIL).text
    reset_password(client, settings)
    assert sign_in(client, EMAIL, OTHER_STRONG_PASSWORD).status_code == 303


def test_signing_out_ends_the_session_on_every_device(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    with TestClient(app) as other_device:
        sign_in(other_device, EMAIL)
        assert is_signed_in(other_device)
        old_cookie = dict(client.cookies)
        post(client, "/logout")
        assert "You have been signed out" in client.get("/signed-out").text
        assert not is_signed_in(other_device)
        client.cookies.update(old_cookie)  # replaying the old cookie does not help
        assert not is_signed_in(client)


def test_pages_for_signed_in_users_send_others_to_sign_in_and_back(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    post(client, "/logout")
    for path in ("/account", "/account/change-password", "/recover", "/submitted"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert sign_in(client, EMAIL).headers["location"] == "/submitted"


def test_idle_and_absolute_timeouts_end_the_session_and_return_the_user(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    clock.advance(minutes=29)
    assert is_signed_in(client)  # activity keeps the session going
    clock.advance(minutes=31)
    response = client.get("/recover", follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert "had not done anything for 30 minutes" in client.get("/login").text
    assert sign_in(client, EMAIL).headers["location"] == "/recover"
    for _ in range(25):  # active all day: half an hour at a time
        clock.advance(minutes=29)
        if not is_signed_in(client):
            break
    assert not is_signed_in(client)
    assert "more than 12 hours ago" in client.get("/login").text


def test_signed_in_pages_carry_the_timeout_warning(client: TestClient, settings: Settings) -> None:
    register(client, settings, EMAIL)
    page = client.get("/account").text
    assert 'data-session-seconds-left="1800"' in page
    assert 'id="timeout-warning"' in page and "Stay signed in" in page
    response = post(client, "/session/keep-alive")
    assert response.status_code == 303
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)}
    assert client.post("/session/keep-alive", headers=headers).status_code == 204


# My Account and Change Password ------------------------------------------------------------


def test_change_password_ends_other_sessions_and_confirms_by_email(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    assert "Change Password" in client.get("/account").text
    with TestClient(app) as other_device:
        sign_in(other_device, EMAIL)
        response = post(
            client,
            "/account/change-password",
            current_password=STRONG_PASSWORD,
            password=OTHER_STRONG_PASSWORD,
            confirm_password=OTHER_STRONG_PASSWORD,
        )
        assert response.headers["location"] == "/account/password-changed"
        assert is_signed_in(client)
        assert not is_signed_in(other_device)
    assert "password has been changed" in mail_to(settings, EMAIL)[-1].subject
    post(client, "/logout")
    assert sign_in(client, EMAIL, STRONG_PASSWORD).status_code == 422
    assert sign_in(client, EMAIL, OTHER_STRONG_PASSWORD).status_code == 303
    assert "password-changed" in audit_types(settings)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("", OTHER_STRONG_PASSWORD, OTHER_STRONG_PASSWORD, "current_password", "Enter your"),
        (
            "Wrong-Password-123",
            OTHER_STRONG_PASSWORD,
            OTHER_STRONG_PASSWORD,
            "current_password",
            "current password is not correct",
        ),
        (STRONG_PASSWORD, STRONG_PASSWORD, STRONG_PASSWORD, "password", "different to your"),
        (STRONG_PASSWORD, "weak", "weak", "password", "at least 12 characters"),
        (STRONG_PASSWORD, OTHER_STRONG_PASSWORD, "nope", "confirm_password", "do not match"),
    ],
    ids=["no-current", "wrong-current", "same-as-current", "weak", "mismatch"],
)
def test_change_password_refuses_bad_input(
    client: TestClient,
    settings: Settings,
    current: str,
    new: str,
    confirm: str,
    field: str,
    message: str,
) -> None:
    register(client, settings, EMAIL)
    response = post(
        client,
        "/account/change-password",
        current_password=current,
        password=new,
        confirm_password=confirm,
    )
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and message in response.text


def test_a_previous_password_cannot_be_used_again(client: TestClient, settings: Settings) -> None:
    register(client, settings, EMAIL)
    passwords = [STRONG_PASSWORD, "Second-Strong-Pass-2", "Third-Strong-Pass-3"]
    for current, new in itertools.pairwise(passwords):
        response = post(
            client,
            "/account/change-password",
            current_password=current,
            password=new,
            confirm_password=new,
        )
        assert response.status_code == 303
    response = post(
        client,
        "/account/change-password",
        current_password=passwords[-1],
        password=STRONG_PASSWORD,
        confirm_password=STRONG_PASSWORD,
    )
    assert response.status_code == 422 and "previous passwords" in response.text


# Forgotten Password ------------------------------------------------------------------------


def test_forgotten_password_journey(client: TestClient, app: Starlette, settings: Settings) -> None:
    register(client, settings, EMAIL)
    post(client, "/logout")
    assert "Forgotten Password" in client.get("/login").text
    response = post(client, "/forgotten-password", email=EMAIL)
    assert response.headers["location"] == "/forgotten-password/code"
    assert (
        "A code has been sent to your email address" in client.get("/forgotten-password/code").text
    )
    code = latest_code(settings, EMAIL)
    response = post(client, "/forgotten-password/code", code=code, action="check")
    assert response.headers["location"] == "/forgotten-password/new"
    weak = post(client, "/forgotten-password/new", password="weak", confirm_password="weak")
    assert weak.status_code == 422
    response = post(
        client,
        "/forgotten-password/new",
        password=OTHER_STRONG_PASSWORD,
        confirm_password=OTHER_STRONG_PASSWORD,
    )
    assert response.headers["location"] == "/forgotten-password/done"
    assert "Your password has now been changed" in client.get("/forgotten-password/done").text
    assert sign_in(client, EMAIL, OTHER_STRONG_PASSWORD).status_code == 303
    assert "password-reset" in audit_types(settings)
    # The reset cannot be repeated with the same permission.
    assert client.get("/forgotten-password/new", follow_redirects=False).status_code == 303


def test_forgotten_password_for_an_unknown_address_answers_the_same(
    client: TestClient, settings: Settings
) -> None:
    response = post(client, "/forgotten-password", email="nobody@school.example.org")
    assert response.headers["location"] == "/forgotten-password/code"
    assert "A code has been sent" in client.get("/forgotten-password/code").text
    assert mail_to(settings, "nobody@school.example.org") == []
    wrong = post(client, "/forgotten-password/code", code="123456", action="check")
    assert wrong.status_code == 422 and "not correct" in wrong.text
    assert post(client, "/forgotten-password", email="").status_code == 422
    assert "correct format" in post(client, "/forgotten-password", email="nope").text


# The password checklist --------------------------------------------------------------------


def test_password_checklist_ticks_as_the_user_types(client: TestClient) -> None:
    page = client.get("/register")
    response = client.post(
        "/password-policy",
        data={"password": "abcdefghijkl"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page.text)},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="password-policy"')
    assert response.text.count("portal-policy__rule--met") == 4  # length, letter, allowed, common
    assert "Not yet: </span>It must contain at least one upper-case letter" in response.text
    assert response.headers["vary"] == "HX-Request"


def test_development_mailbox_exists_only_in_development(
    client: TestClient, database_url: str
) -> None:
    assert client.get("/dev/mailbox").status_code == 404
    with TestClient(create_app(make_settings(database_url, environment="development"))) as dev:
        assert "Development mailbox" in dev.get("/dev/mailbox").text


def test_non_ascii_and_long_passwords_work_end_to_end(
    client: TestClient, settings: Settings
) -> None:
    password = "Größenwahn-Straße-2024!-" + "ж" * 60  # 84 characters, well over 72 bytes
    register(client, settings, EMAIL, password)
    post(client, "/logout")
    assert sign_in(client, EMAIL, password[:-1]).status_code == 422  # no silent truncation
    assert sign_in(client, EMAIL, password).status_code == 303


def test_two_registrations_of_one_address_make_one_account(
    client: TestClient, app: Starlette, settings: Settings, clock: Clock
) -> None:
    start_registration(client, EMAIL)
    first_code = latest_code(settings, EMAIL)
    clock.advance(seconds=61)  # past the wait between registration codes for one address
    with TestClient(app) as second_tab:
        start_registration(second_tab, EMAIL, OTHER_STRONG_PASSWORD)
        second_code = latest_code(settings, EMAIL)
        assert post(client, "/register/code", code=first_code).status_code == 303
        response = post(second_tab, "/register/code", code=second_code)
        assert response.status_code == 422
        assert "already has an account" in response.text
    post(client, "/logout")
    assert sign_in(client, EMAIL, STRONG_PASSWORD).status_code == 303
