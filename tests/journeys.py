"""Steps of the account journeys through the real app, for integration tests."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import OutboxMessage
from app.settings import Settings
from tests.conftest import csrf_token_from

STRONG_PASSWORD = "Correct-Horse-Battery-9"
OTHER_STRONG_PASSWORD = "Another-Strong-Passphrase-7"


def post(client: TestClient, path: str, **data: str) -> httpx.Response:
    """A form post as the browser sends it: the page's CSRF token first."""
    token = csrf_token_from(client.get("/").text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def mail_to(settings: Settings, address: str) -> list[OutboxMessage]:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.to_address == address)
                    .order_by(OutboxMessage.id)
                )
            )
    finally:
        engine.dispose()


def latest_code(settings: Settings, address: str) -> str:
    messages = mail_to(settings, address)
    assert messages, f"no mail to {address}"
    match = re.search(r"Your code is (\d{6})", messages[-1].text_body)
    assert match, messages[-1].subject
    return match.group(1)


def start_registration(
    client: TestClient,
    email: str,
    password: str = STRONG_PASSWORD,
    forename: str = "Ada",
    surname: str = "Lovelace",
) -> httpx.Response:
    assert post(client, "/register", forename=forename, surname=surname).status_code == 303
    return post(
        client, "/register/account", email=email, password=password, confirm_password=password
    )


def register(
    client: TestClient, settings: Settings, email: str, password: str = STRONG_PASSWORD
) -> None:
    """Register and verify an account; the client ends signed in."""
    response = start_registration(client, email, password)
    assert response.headers["location"] == "/register/code"
    response = post(client, "/register/code", code=latest_code(settings, email), action="check")
    assert response.headers["location"] == "/register/complete", response.text


def sign_in(client: TestClient, email: str, password: str = STRONG_PASSWORD) -> httpx.Response:
    return post(client, "/login", email=email, password=password)


def is_signed_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200
