"""Steps of the account journeys through the real app, for integration tests."""

from __future__ import annotations

import html
import re
from datetime import datetime

import httpx
import pyotp
from sqlalchemy import select
from starlette.testclient import TestClient

from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, OutboxMessage
from app.settings import Settings
from testkit.answers import YOUR_DETAILS

CSRF_PATTERN = re.compile(r'"X-CSRF-Token": "([A-Za-z0-9_=-]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token a page carries (in `hx-headers` on <main>, as htmx sends it)."""
    match = CSRF_PATTERN.search(html)
    assert match, "page carries no CSRF token"
    return match.group(1)


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


def audit_types(settings: Settings) -> list[str]:
    """The audit log's event types, oldest first."""
    return [event.event_type for event in audit_events(settings)]


def audit_events(settings: Settings, event_type: str | None = None) -> list[AuditEvent]:
    """The audit log's events (of `event_type`, if given), oldest first."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if event_type is not None:
        query = query.where(AuditEvent.event_type == event_type)
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return list(session.scalars(query))
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
    """Sign in as a person would: the password, then, for an account with two-factor sign-in,
    the code their authenticator app shows (and for hub staff without one, setting one up).
    Returns the answer to the last step."""
    answer = post(client, "/login", email=email, password=password)
    location = answer.headers.get("location", "")
    if location not in ("/login/two-factor", "/login/two-factor/set-up"):
        return answer
    app = client.app
    settings: Settings = app.state.settings  # type: ignore[attr-defined]
    now: datetime = app.state.clock()  # type: ignore[attr-defined]
    if location.endswith("set-up"):
        client.get(location)  # the page makes the secret to set up
    return post(client, location, code=authenticator_code(settings, email, now=now))


def authenticator_code(settings: Settings, email: str, *, now: datetime) -> str:
    """What the user's authenticator app shows at `now`: for the secret they use or are setting
    up, and for a time step not used yet (a test signs in many times within one step)."""
    from app.services.accounts import user_by_email
    from app.services.two_factor import STEP_SECONDS, WINDOW_STEPS

    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            user = user_by_email(session, email)
            assert user is not None, email
            secret = user.totp_secret or user.totp_pending_secret
            last = user.totp_last_step
    finally:
        engine.dispose()
    assert secret is not None, f"{email} has no authenticator to ask"
    current = int(now.timestamp()) // STEP_SECONDS
    unused = [
        step
        for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1)
        if last is None or step > last
    ]
    assert unused, "every code of this moment is used: move the test's clock on"
    return pyotp.TOTP(secret).at(unused[0] * STEP_SECONDS)


def is_signed_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


# A whole Early Help Assessment --------------------------------------------------------------

# Answers to every mandatory question of an "early-help" referral, section by section (help
# guide 5.1 to 5.9). The family's table gets its member's key from the page.
COMPLETE_ANSWERS: dict[str, dict[str, str]] = {
    # The child's name is kept from the page (it came from the start page); no NHS number.
    "your-details": {
        name: value
        for name, value in YOUR_DETAILS.items()
        if name not in {"child_forename", "child_surname", "child_nhs_number"}
    },
    "family": {
        "forename": "Ann",
        "surname": "Quennell",
        "relationship": "mother",
        "lives_with_child": "yes",
        "parental_responsibility": "yes",
    },
    "request-for-support": {"services": "stronger-families"},
    "consent": {
        "consent_sought": "yes",
        "consent_type": "verbal",
        "consent_given_by": "Ann Quennell, mother",
        "consent_date-day": "2",
        "consent_date-month": "11",
        "consent_date-year": "2026",
    },
    "additional-details": {"has_disability": "no", "has_sen": "no"},
    "services": {"previous_services_known": "none"},
    "family-assessment": {
        question.id: f"The family's own words about {question.id.replace('_', ' ')}."
        for section in ASSESSMENT.sections
        if section.id == "family-assessment"
        for question in section.questions
    },
}
VERSION_FIELD = re.compile(r'name="version"[^>]*value="(-?\d+)"')
KEPT_FROM_PAGE = ("child_forename", "child_surname")
MEMBER_KEY = re.compile(r'name="family_members-item" value="([0-9a-f]+)"')


def start_referral(client: TestClient, forename: str = "Sam", surname: str = "Smith") -> str:
    """Start an early help referral from the home page tile; returns its reference."""
    response = post(client, "/start/early-help", child_forename=forename, child_surname=surname)
    match = re.fullmatch(r"/referrals/([^/]+)/how-it-works", response.headers["location"])
    assert match, response.headers.get("location")
    return match.group(1)


def complete_section(
    client: TestClient, reference: str, section: str, answers: dict[str, str]
) -> httpx.Response:
    """Answer one section from its page, as the browser posts it, and select Next."""
    url = f"/referrals/{reference}/sections/{section}"
    page = client.get(url).text
    version = VERSION_FIELD.search(page)
    assert version, f"no version field on {url}"
    fields = dict(answers)
    for name in KEPT_FROM_PAGE:
        # What the page already holds (the child's name from the start page) goes back as is.
        kept = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        if kept and name not in fields:
            fields[name] = html.unescape(kept.group(1))
    if section == "family":
        key = MEMBER_KEY.search(page)
        if key is None:
            # No one added yet: "Add a family member" first, as a browser without JavaScript.
            added = client.post(
                url,
                data={
                    "csrf_token": csrf_token_from(page),
                    "version": version.group(1),
                    "action": "add-item:family_members",
                },
            )
            assert added.status_code == 200, (added.status_code, added.text[:2000])
            page = added.text
            version = VERSION_FIELD.search(page)
            key = MEMBER_KEY.search(page)
            assert version and key, "Add a family member drew no column"
        fields = {"family_members-item": key.group(1)} | {
            f"family_members-{key.group(1)}-{name}": value for name, value in answers.items()
        }
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "version": version.group(1),
            **fields,
            "action": "next",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, (section, response.status_code, response.text[:2000])
    return response


def complete_referral(client: TestClient, reference: str) -> None:
    """Answer every section of an early help referral, so that it can be sent."""
    for section, answers in COMPLETE_ANSWERS.items():
        complete_section(client, reference, section, answers)


def make_hub_user(
    settings: Settings,
    email: str,
    *,
    now: datetime,
    authenticator: bool = True,
    name: str = "Hattie Hub",
    manager: bool = False,
) -> None:
    """Hub staff, made the only way there is: by an operator (`portal create-user`'s service).
    With `authenticator`, they have already set up their app (as every hub user has after
    their first sign-in); without, their first sign-in asks them to. A `manager` sees the
    hub's reports (`portal grant-manager`)."""
    from app.services.accounts import (
        create_user_by_operator,
        grant_manager_by_operator,
        user_by_email,
    )
    from app.services.two_factor import new_secret

    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            create_user_by_operator(
                session,
                email=email,
                name=name,
                role="hub",
                password=STRONG_PASSWORD,
                now=now,
            )
            user = user_by_email(session, email)
            if authenticator and user is not None:
                user.totp_secret, user.totp_enabled_at = new_secret(), now
            if manager and user is not None:
                grant_manager_by_operator(session, user, now=now)
            session.commit()
    finally:
        engine.dispose()
