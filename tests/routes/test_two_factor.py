"""Two-factor sign-in: turning it on, signing in with a code or a recovery code, hub staff who
must have it, wrong and replayed codes, and the operator's reset."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import User
from app.settings import Settings
from testkit.journeys import (
    audit_types,
    authenticator_code,
    is_signed_in,
    make_hub_user,
    post,
    register,
    sign_in,
)
from tests.conftest import Clock

EMAIL = "ada.lovelace@school.example.org"
HUB = "hattie.hub@hillingdon.example.gov.uk"
PASSWORD = "Correct-Horse-Battery-9"
RECOVERY_PATTERN = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


def stored_user(settings: Settings, email: str) -> User:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            user = session.scalars(select(User).where(User.email == email)).one()
            session.expunge(user)
            return user
    finally:
        engine.dispose()


def turn_on(client: TestClient, settings: Settings, clock: Clock, email: str = EMAIL) -> list[str]:
    """From My Account: set up the app; returns the recovery codes shown."""
    page = client.get("/account/two-factor/set-up")
    assert page.status_code == 200
    assert "<svg" in page.text and 'role="img"' in page.text  # the QR code, named
    secret = stored_user(settings, email).totp_pending_secret
    assert secret and " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page.text
    code = authenticator_code(settings, email, now=clock())
    # The password again, so that a session left open cannot turn it on.
    for password, message in (("", "Enter your password"), ("wrong", "password is not correct")):
        refused = post(client, "/account/two-factor/set-up", code=code, password=password)
        assert refused.status_code == 422 and message in refused.text
    answer = post(client, "/account/two-factor/set-up", code=code, password=PASSWORD)
    assert answer.status_code == 200 and "Two-factor sign-in is on" in answer.text
    codes = RECOVERY_PATTERN.findall(answer.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return codes


def password_step(client: TestClient, email: str = EMAIL) -> str:
    answer = post(client, "/login", email=email, password=PASSWORD)
    assert answer.status_code == 303
    return answer.headers["location"]


@pytest.fixture
def professional_with_an_app(client: TestClient, settings: Settings, clock: Clock) -> list[str]:
    register(client, settings, EMAIL)
    codes = turn_on(client, settings, clock)
    post(client, "/logout")
    return codes


def test_a_professional_turns_it_on_then_needs_a_code_to_sign_in(
    client: TestClient, settings: Settings, clock: Clock, professional_with_an_app: list[str]
) -> None:
    assert password_step(client) == "/login/two-factor"
    # The password alone has not signed anyone in.
    assert not is_signed_in(client)
    assert client.get("/account", follow_redirects=False).status_code == 303
    clock.advance(seconds=30)
    answer = post(
        client, "/login/two-factor", code=authenticator_code(settings, EMAIL, now=clock())
    )
    assert answer.status_code == 303 and is_signed_in(client)
    assert audit_types(settings)[-2:] == ["password-accepted", "signed-in"]
    account = client.get("/account").text
    assert "On: a code from your authenticator app" in account


@pytest.mark.parametrize(
    ("entered", "message"),
    [
        ("", "Enter the 6-digit code from your authenticator app"),
        ("12345", "The code must be 6 digits"),
        ("1234567", "The code must be 6 digits"),
        ("abcdef", "The code must be 6 digits"),
        ("١٢٣٤٥٦", "The code must be 6 digits"),  # Arabic-Indic digits are not ASCII digits
        ("1" * 5000, "The code must be 6 digits"),
        ("000000", "The code is not correct"),
    ],
)
def test_bad_codes_get_a_clear_message_and_are_kept(
    client: TestClient, professional_with_an_app: list[str], entered: str, message: str
) -> None:
    password_step(client)
    answer = post(client, "/login/two-factor", code=entered)
    assert answer.status_code == 422
    assert message in answer.text and "govuk-error-summary" in answer.text
    assert answer.text.count("<title>Error: ") == 1
    assert not is_signed_in(client)


def test_a_code_works_once(
    client: TestClient, settings: Settings, clock: Clock, professional_with_an_app: list[str]
) -> None:
    clock.advance(seconds=60)
    password_step(client)
    code = authenticator_code(settings, EMAIL, now=clock())
    assert post(client, "/login/two-factor", code=code).status_code == 303
    post(client, "/logout")
    password_step(client)
    # Seen over a shoulder and typed again a moment later: refused.
    replayed = post(client, "/login/two-factor", code=code)
    assert replayed.status_code == 422 and "The code is not correct" in replayed.text
    assert not is_signed_in(client)


def test_a_recovery_code_signs_in_once(
    client: TestClient, settings: Settings, professional_with_an_app: list[str]
) -> None:
    first = professional_with_an_app[0]
    password_step(client)
    page = client.get("/login/recovery-code")
    assert page.status_code == 200 and "Enter a recovery code" in page.text
    assert post(client, "/login/recovery-code", code=first.upper()).status_code == 303
    assert is_signed_in(client)
    assert "recovery-code-used" in audit_types(settings)
    assert "9 of 10" in client.get("/account/two-factor").text
    post(client, "/logout")
    password_step(client)
    again = post(client, "/login/recovery-code", code=first)
    assert again.status_code == 422 and "has been used" in again.text


def test_wrong_codes_count_towards_the_sign_in_pause(
    client: TestClient, settings: Settings, clock: Clock, professional_with_an_app: list[str]
) -> None:
    password_step(client)
    for _ in range(10):
        assert post(client, "/login/two-factor", code="000000").status_code == 422
    right = authenticator_code(settings, EMAIL, now=clock())
    paused = post(client, "/login/two-factor", code=right)
    assert "tried to sign in too many times" in paused.text and not is_signed_in(client)
    # The pending sign-in is over: the password must be given again.
    assert client.get("/login/two-factor", follow_redirects=False).headers["location"] == ("/login")


def test_the_code_step_lasts_ten_minutes(
    client: TestClient, settings: Settings, clock: Clock, professional_with_an_app: list[str]
) -> None:
    password_step(client)
    clock.advance(minutes=11)
    code = authenticator_code(settings, EMAIL, now=clock())
    answer = post(client, "/login/two-factor", code=code)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert not is_signed_in(client)


def test_hub_staff_must_set_up_an_app_before_they_see_anything(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    make_hub_user(settings, HUB, now=clock(), authenticator=False)
    assert password_step(client, HUB) == "/login/two-factor/set-up"
    assert client.get("/hub/referrals", follow_redirects=False).status_code == 303
    assert not is_signed_in(client)
    page = client.get("/login/two-factor/set-up")
    assert "Hub staff must sign in with a code" in page.text
    wrong = post(client, "/login/two-factor/set-up", code="123456")
    assert wrong.status_code == 422 and "The code is not correct" in wrong.text
    done = post(
        client, "/login/two-factor/set-up", code=authenticator_code(settings, HUB, now=clock())
    )
    assert "Two-factor sign-in is on" in done.text
    assert client.get("/hub/referrals").status_code == 200
    # Hub staff cannot turn it off.
    manage = client.get("/account/two-factor").text
    assert "Hub staff must sign in with a code" in manage and "turn-off" not in manage
    clock.advance(seconds=30)
    post(
        client, "/account/two-factor/turn-off", code=authenticator_code(settings, HUB, now=clock())
    )
    assert stored_user(settings, HUB).totp_secret is not None


def test_new_recovery_codes_replace_the_old_and_turning_off_needs_a_code(
    client: TestClient, settings: Settings, clock: Clock, professional_with_an_app: list[str]
) -> None:
    clock.advance(seconds=30)
    password_step(client)
    post(client, "/login/two-factor", code=authenticator_code(settings, EMAIL, now=clock()))
    missing = post(client, "/account/two-factor/recovery-codes", code="")
    assert missing.status_code == 422 and "Enter the 6-digit code" in missing.text
    clock.advance(seconds=30)
    fresh = post(
        client,
        "/account/two-factor/recovery-codes",
        code=authenticator_code(settings, EMAIL, now=clock()),
    )
    assert "Your new recovery codes" in fresh.text
    new_codes = RECOVERY_PATTERN.findall(fresh.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(professional_with_an_app)
    wrong = post(client, "/account/two-factor/turn-off", code="000000")
    assert wrong.status_code == 422 and stored_user(settings, EMAIL).totp_secret is not None
    clock.advance(seconds=30)
    off = post(
        client,
        "/account/two-factor/turn-off",
        code=authenticator_code(settings, EMAIL, now=clock()),
    )
    assert off.headers["location"] == "/account?two-factor=off"
    assert "Two-factor sign-in is off" in client.get(off.headers["location"]).text
    post(client, "/logout")
    assert password_step(client) == "/" and is_signed_in(client)  # the password alone again
    # No code step is left to reach.
    assert client.get("/login/recovery-code", follow_redirects=False).status_code == 303
    assert "two-factor-disabled" in audit_types(settings)


def test_the_operator_resets_a_lost_app_and_ends_the_sessions(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    make_hub_user(settings, HUB, now=clock())
    post(client, "/login", email=HUB, password=PASSWORD)
    post(client, "/login/two-factor", code=authenticator_code(settings, HUB, now=clock()))
    assert is_signed_in(client)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "reset-two-factor", "--email", HUB],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": settings.database_url},
    )
    assert result.returncode == 0, result.stderr
    assert "sets up a new app" in result.stdout
    assert not is_signed_in(client)
    assert password_step(client, HUB) == "/login/two-factor/set-up"
    assert "two-factor-reset" in audit_types(settings)
    unknown = subprocess.run(
        [sys.executable, "-m", "app.cli", "reset-two-factor", "--email", "nobody@x.example"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": settings.database_url},
    )
    assert unknown.returncode == 1 and "no account" in unknown.stderr
    assert stored_user(settings, HUB).totp_secret is None


def test_turning_it_on_or_off_ends_every_other_session(
    client: TestClient, app: Starlette, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    with TestClient(app) as other_device:
        sign_in(other_device, EMAIL)
        assert is_signed_in(other_device)
        turn_on(client, settings, clock)
        assert is_signed_in(client) and not is_signed_in(other_device)
        sign_in(other_device, EMAIL)  # password and code, as a person would
        assert is_signed_in(other_device)
        clock.advance(seconds=30)
        code = authenticator_code(settings, EMAIL, now=clock())
        assert post(client, "/account/two-factor/turn-off", code=code).status_code == 303
        assert is_signed_in(client) and not is_signed_in(other_device)
