"""Rotating SECRET_KEY: with the old key in PREVIOUS_SECRET_KEYS nobody is signed out and an
emailed code still works; without it, every old cookie stops working."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.models import OneTimeCode
from app.services.accounts import CodeCheck, check_code
from app.settings import Settings, SettingsError
from testkit.journeys import is_signed_in, latest_code, post, register, start_registration
from tests.conftest import Clock, make_settings

OLD_KEY = "the-old-key-that-is-being-retired-0123456789"
NEW_KEY = "the-new-key-that-signs-from-now-on-0123456789"


def client_with(settings: Settings, clock: Clock, cookies: dict[str, str]) -> TestClient:
    """A browser holding `cookies`, talking to the portal built with `settings`."""
    client = TestClient(create_app(settings, clock=clock), headers={"Accept-Encoding": "identity"})
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value, domain="testserver.local")
    return client


def cookies_of(client: TestClient) -> dict[str, str]:
    return {cookie.name: cookie.value or "" for cookie in client.cookies.jar}


@pytest.mark.usefixtures("fast_password_hashing")
def test_a_session_signed_with_the_old_key_survives_rotation(database_url: str) -> None:
    clock = Clock()
    old = make_settings(database_url, secret_key=Secret(OLD_KEY))
    with client_with(old, clock, {}) as before:
        register(before, old, "ada@school.example.org")
        assert is_signed_in(before)
        cookies = cookies_of(before)

    rotated = make_settings(
        database_url, secret_key=Secret(NEW_KEY), previous_secret_keys=(Secret(OLD_KEY),)
    )
    with client_with(rotated, clock, cookies) as after:
        assert is_signed_in(after)
        # The cookie comes back signed with the new key, which alone is enough from then on.
        renewed = cookies_of(after)
    assert renewed != cookies
    new_only = make_settings(database_url, secret_key=Secret(NEW_KEY))
    with client_with(new_only, clock, renewed) as later:
        assert is_signed_in(later)
    # The old cookie, once the old key is dropped, opens nothing.
    with client_with(new_only, clock, cookies) as stale:
        assert not is_signed_in(stale)


@pytest.mark.usefixtures("fast_password_hashing")
def test_a_code_emailed_before_rotation_still_works(database_url: str) -> None:
    clock = Clock()
    old = make_settings(database_url, secret_key=Secret(OLD_KEY))
    email = "grace@school.example.org"
    with client_with(old, clock, {}) as before:
        start_registration(before, email)
        code = latest_code(old, email)
        cookies = cookies_of(before)
    rotated = make_settings(
        database_url, secret_key=Secret(NEW_KEY), previous_secret_keys=(Secret(OLD_KEY),)
    )
    with client_with(rotated, clock, cookies) as after:
        answer = post(after, "/register/code", code=code, action="check")
        assert answer.headers["location"] == "/register/complete", answer.text


@pytest.mark.usefixtures("fast_password_hashing")
def test_without_the_old_key_a_code_emailed_before_is_refused(database_url: str) -> None:
    clock = Clock()
    old = make_settings(database_url, secret_key=Secret(OLD_KEY))
    email = "alan@school.example.org"
    with client_with(old, clock, {}) as before:
        start_registration(before, email)
        code = latest_code(old, email)
    # The registration in progress lived in a session the new key cannot read, so the emailed
    # code is checked as the code step checks it: refused with the new key alone, accepted
    # with the key that made it (the key decides, not the code).
    new_only = make_settings(database_url, secret_key=Secret(NEW_KEY))
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            sent = session.scalars(select(OneTimeCode).where(OneTimeCode.email_key == email)).one()
            assert check_code(session, new_only, sent, code, now=clock()) is CodeCheck.WRONG
            assert check_code(session, old, sent, code, now=clock()) is CodeCheck.ACCEPTED
    finally:
        engine.dispose()


def test_previous_keys_are_read_from_the_environment_and_checked_in_production() -> None:
    base = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": NEW_KEY,
        "BASE_URL": "https://portal.example.gov.uk",
        "DATABASE_URL": "postgresql+psycopg://portal@db/portal",
        "SECURITY_CONTACT": "mailto:security@example.gov.uk",
        "MAIL_FROM": "no-reply@example.gov.uk",
        "HUB_PHONE": "020 7946 0000",
        "MASH_PHONE": "020 7946 0001",
        "OUT_OF_HOURS_PHONE": "020 7946 0002",
        "VIRUS_SCAN": "off",
    }
    settings = Settings.from_environ({**base, "PREVIOUS_SECRET_KEYS": f" {OLD_KEY} ,"})
    assert [str(key) for key in settings.previous_secret_keys] == [OLD_KEY]
    assert settings.secret_keys == [OLD_KEY, NEW_KEY]
    with pytest.raises(SettingsError, match="PREVIOUS_SECRET_KEYS"):
        Settings.from_environ({**base, "PREVIOUS_SECRET_KEYS": "short"})
