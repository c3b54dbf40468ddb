"""The operator's `portal` command, run as an operator would: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Executable, func, inspect, select, update

from app.db import create_database_engine, create_session_factory
from app.models import OneTimeCode, OutboxMessage, Referral, User, utc_now
from app.services.referrals import create_draft


def portal(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = portal(*command, "--help")
    assert result.returncode == 0
    assert "usage: portal" in result.stdout


def test_migrate_creates_the_schema_and_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "var" / "portal.db"
    result = portal("migrate", env={"DATABASE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    engine = create_database_engine(f"sqlite:///{path}")
    try:
        assert "audit_event" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_bad_settings_stop_the_command_with_a_message_not_a_traceback() -> None:
    result = portal("migrate", env={"PORTAL_ENV": "production", "SECRET_KEY": ""})
    assert result.returncode == 2
    assert "SECRET_KEY must be set in production" in result.stderr
    assert "Traceback" not in result.stderr


# portal purge (help guide 10 and 11) ---------------------------------------------------------


def old_drafts(database_url: str) -> tuple[str, str]:
    """An expired draft (last saved in 2020) and one due its reminder (saved 25 days ago),
    made through the services; `portal purge` uses the real clock."""
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            owner = add_professional(
                session, "operator.test@school.example.org", forename="Ida", surname="Wells"
            )
            references = tuple(
                create_draft(
                    session,
                    owner,
                    option_code="early-help",
                    child_forename="Zebedee",
                    child_surname="Farquharson",
                    now=saved,
                ).reference
                for saved in (
                    datetime(2020, 1, 6, 9, 0, tzinfo=UTC),
                    utc_now() - timedelta(days=25),
                )
            )
            session.commit()
    finally:
        engine.dispose()
    return references[0], references[1]


def referrals_and_mail(database_url: str) -> tuple[list[str], int]:
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            references = sorted(session.scalars(select(Referral.reference)))
            mail = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
            return references, int(mail)
    finally:
        engine.dispose()


def test_purge_explains_itself() -> None:
    result = portal("purge", "--help")
    assert result.returncode == 0
    assert "usage: portal purge" in result.stdout and "--dry-run" in result.stdout


def test_purge_dry_run_prints_what_it_would_do_and_changes_nothing(database_url: str) -> None:
    expired, due = old_drafts(database_url)
    before = referrals_and_mail(database_url)

    result = portal("purge", "--dry-run", env={"DATABASE_URL": database_url})

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"would remind the owner of draft {due}",
        f"would delete draft {expired}",
    ]
    assert referrals_and_mail(database_url) == before
    assert "Zebedee" not in result.stdout + result.stderr


def test_purge_prints_what_it_did_then_that_nothing_is_left(database_url: str) -> None:
    expired, due = old_drafts(database_url)
    env = {"DATABASE_URL": database_url}

    result = portal("purge", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"remind the owner of draft {due}",
        f"delete draft {expired}",
    ]
    assert referrals_and_mail(database_url) == ([due], 1)  # the reminder is queued
    again = portal("purge", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["nothing to purge"]
    assert "Zebedee" not in result.stdout + result.stderr + again.stdout + again.stderr


def test_purge_with_bad_retention_settings_says_which_and_does_nothing(
    database_url: str,
) -> None:
    old_drafts(database_url)
    before = referrals_and_mail(database_url)
    result = portal("purge", env={"DATABASE_URL": database_url, "DRAFT_REMINDER_DAYS": "30"})
    assert result.returncode == 2
    assert "DRAFT_RETENTION_DAYS must be more than DRAFT_REMINDER_DAYS" in result.stderr
    assert "Traceback" not in result.stderr
    assert referrals_and_mail(database_url) == before


# portal create-user: hub staff are made by an operator, never through the web ---------------

# (select, User and create_session_factory come from the imports at the top.)
from starlette.applications import Starlette  # noqa: E402
from starlette.routing import Route  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from app.settings import Settings  # noqa: E402
from testkit.journeys import (  # noqa: E402
    OTHER_STRONG_PASSWORD,
    STRONG_PASSWORD,
    audit_types,
    is_signed_in,
    latest_code,
    mail_to,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import add_professional  # noqa: E402

HUB_STAFF = "hattie.hub@hillingdon.example.gov.uk"
PROFESSIONAL = "grace.hopper@school.example.org"


def create_user(
    database_url: str, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`portal create-user ...` with the password on standard input (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "create-user", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database_url, **(env or {})},
    )


def role_of(database_url: str, email: str) -> str | None:
    """The account's role, or None when there is no such account."""
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            user = session.scalars(select(User).where(User.email == email)).one_or_none()
            return None if user is None else user.role
    finally:
        engine.dispose()


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_create_user_explains_itself() -> None:
    result = portal("create-user", "--help")
    assert result.returncode == 0
    assert "usage: portal create-user" in result.stdout
    for option in ("--role", "--email", "--name", "standard input"):
        assert option in result.stdout
    assert "create-user" in portal("--help").stdout


def test_create_user_makes_hub_staff_who_can_sign_in(database_url: str, client: TestClient) -> None:
    result = create_user(
        database_url,
        *("--role", "hub", "--email", HUB_STAFF, "--name", "Hattie Hub"),
        stdin=f"{STRONG_PASSWORD}\n",
    )
    assert result.returncode == 0, result.stderr
    assert f"created a hub account for {HUB_STAFF}" in result.stdout
    assert role_of(database_url, HUB_STAFF) == "hub"
    # Hub staff set up an authenticator app the first time they sign in.
    assert "Two-factor sign-in is on" in sign_in(client, HUB_STAFF).text
    home = client.get("/")
    assert "Referrals inbox" in home.text and "Hattie Hub" in home.text
    assert client.get("/hub/referrals").status_code == 200


@pytest.mark.parametrize(
    ("email", "name", "password", "message"),
    [
        (HUB_STAFF, "Hattie Hub", "password", "the password is not acceptable"),
        (HUB_STAFF, "Hattie Hub", "", "the password is not acceptable"),
        (
            "info@hillingdon.example.gov.uk",
            "Hattie Hub",
            STRONG_PASSWORD,
            "not a shared mailbox",
        ),
        (HUB_STAFF, "Hattie", STRONG_PASSWORD, 'give --name "Forename Surname"'),
        ("hattie.hub", "Hattie Hub", STRONG_PASSWORD, "Enter an email address"),
    ],
    ids=["weak-password", "no-password", "generic-mailbox", "one-word-name", "not-an-email"],
)
def test_create_user_refuses_what_registering_would_refuse(
    database_url: str, email: str, name: str, password: str, message: str
) -> None:
    result = create_user(
        database_url, "--role", "hub", "--email", email, "--name", name, stdin=f"{password}\n"
    )
    assert_refused(result, message)
    assert role_of(database_url, email) is None


def test_create_user_refuses_an_existing_hub_account(database_url: str, client: TestClient) -> None:
    hub = ("--role", "hub", "--name", "Hattie Hub")
    first = create_user(database_url, *hub, "--email", HUB_STAFF, stdin=f"{STRONG_PASSWORD}\n")
    assert first.returncode == 0, first.stderr
    for email in (HUB_STAFF, HUB_STAFF.upper()):
        again = create_user(
            database_url, *hub, "--email", email, stdin=f"{OTHER_STRONG_PASSWORD}\n"
        )
        assert_refused(again, "already has a hub account")
    # Its password is the one it was made with.
    assert sign_in(client, HUB_STAFF, OTHER_STRONG_PASSWORD).status_code == 422
    assert "Two-factor sign-in is on" in sign_in(client, HUB_STAFF).text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--name", "Hattie Hub"), "the following arguments are required: --email"),
        (("--email", HUB_STAFF), "the following arguments are required: --name"),
        (("--role", "admin", "--email", HUB_STAFF, "--name", "Hattie Hub"), "invalid choice"),
    ],
    ids=["no-email", "no-name", "unknown-role"],
)
def test_create_user_refuses_missing_or_wrong_arguments(
    database_url: str, args: tuple[str, ...], message: str
) -> None:
    result = create_user(database_url, *args, stdin=f"{STRONG_PASSWORD}\n")
    assert result.returncode == 2
    assert_refused(result, message)
    assert "usage: portal create-user" in result.stderr


def test_create_user_turns_a_professional_into_hub_staff_and_ends_their_sessions(
    database_url: str, client: TestClient, settings: Settings
) -> None:
    register(client, settings, PROFESSIONAL)
    assert is_signed_in(client)
    assert "Referrals inbox" not in client.get("/").text
    # Any password given is not used: the account keeps its own.
    result = create_user(
        database_url,
        *("--role", "hub", "--email", PROFESSIONAL, "--name", "Grace Hopper"),
        stdin=f"{OTHER_STRONG_PASSWORD}\n",
    )
    assert result.returncode == 0, result.stderr
    assert "is now a hub account" in result.stdout and "unchanged" in result.stdout
    assert role_of(database_url, PROFESSIONAL) == "hub"
    # The session opened as a professional has ended: the new rights need a fresh sign-in.
    assert not is_signed_in(client)
    assert sign_in(client, PROFESSIONAL, OTHER_STRONG_PASSWORD).status_code == 422
    # Now hub staff, they must set up an authenticator app to carry on.
    assert "Two-factor sign-in is on" in sign_in(client, PROFESSIONAL).text
    assert "Referrals inbox" in client.get("/").text
    assert client.get("/hub/referrals").status_code == 200


def test_create_user_on_a_database_not_yet_migrated_says_so_without_a_traceback(
    empty_database_url: str,
) -> None:
    result = create_user(
        empty_database_url,
        *("--role", "hub", "--email", HUB_STAFF, "--name", "Hattie Hub"),
        stdin=f"{STRONG_PASSWORD}\n",
    )
    assert_refused(result, "portal migrate")
    assert result.stderr.startswith("portal: ")


def test_create_user_with_the_database_unreachable_says_so_without_a_traceback() -> None:
    result = create_user(
        "postgresql+psycopg://portal@127.0.0.1:1/portal",
        *("--role", "hub", "--email", HUB_STAFF, "--name", "Hattie Hub"),
        stdin=f"{STRONG_PASSWORD}\n",
    )
    assert_refused(result, "portal: ")
    assert result.stderr.startswith("portal: ")


def posting_order(route: Route) -> tuple[bool, str]:
    """Posts that end the session or delete the draft go last."""
    return (route.path.endswith(("/logout", "/delete")), route.path)


def test_nobody_makes_themselves_hub_staff_through_the_web(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    # Registering, with role=hub added to every step.
    assert post(client, "/register", forename="Ada", surname="Lovelace", role="hub").is_redirect
    account = post(
        client,
        "/register/account",
        email=PROFESSIONAL,
        password=STRONG_PASSWORD,
        confirm_password=STRONG_PASSWORD,
        role="hub",
    )
    assert account.headers["location"] == "/register/code"
    code = latest_code(settings, PROFESSIONAL)
    done = post(client, "/register/code", code=code, action="check", role="hub")
    assert done.headers["location"] == "/register/complete"
    assert role_of(settings.database_url, PROFESSIONAL) == "professional"
    reference = start_referral(client)
    # Then role=hub posted to every page that takes a post.
    routes = [r for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or ())]
    for route in sorted(routes, key=posting_order):
        path = (
            route.path.replace("{reference}", reference)
            .replace("{section_id}", "your-details")
            .replace("{question_id}", "child_address")
            .replace("{key}", "A" * 32)
            .replace("{option}", "early-help")
        )
        response = post(client, path, role="hub", roles="hub", is_hub="true", user_role="hub")
        assert response.status_code < 500, path
        assert role_of(settings.database_url, PROFESSIONAL) == "professional", path
    assert sign_in(client, PROFESSIONAL).status_code == 303
    assert client.get("/hub/referrals").status_code == 404
    assert "Referrals inbox" not in client.get("/").text


# portal disable-user and enable-user: a leaver, or an account that may be misused ------------


def account_command(command: str, database_url: str, email: str) -> str:
    result = portal(command, "--email", email, env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_disabled_account_is_signed_out_and_cannot_sign_in_until_enabled(
    database_url: str, client: TestClient, app: Starlette, settings: Settings
) -> None:
    register(client, settings, PROFESSIONAL)
    reference = start_referral(client)
    assert is_signed_in(client)

    said = account_command("disable-user", database_url, PROFESSIONAL.upper())
    assert "is disabled" in said and "sessions have ended" in said
    assert not is_signed_in(client)
    assert client.get(f"/referrals/{reference}", follow_redirects=False).status_code == 303
    # The right password is told why; a wrong one is told what anybody would be told.
    refused = sign_in(client, PROFESSIONAL)
    assert refused.status_code == 422 and "Your account has been disabled" in refused.text
    assert settings.hub_phone in refused.text
    wrong = sign_in(client, PROFESSIONAL, OTHER_STRONG_PASSWORD)
    assert "disabled" not in wrong.text
    assert "The email address or password is not correct" in wrong.text
    assert not is_signed_in(client)
    # No new password opens it either: the reset answers as for anybody, and sends nothing.
    with TestClient(app) as stranger:
        before = len(mail_to(settings, PROFESSIONAL))
        reset = post(stranger, "/forgotten-password", email=PROFESSIONAL)
        assert reset.headers["location"] == "/forgotten-password/code"
        assert len(mail_to(settings, PROFESSIONAL)) == before
    assert "already disabled" in account_command("disable-user", database_url, PROFESSIONAL)

    said = account_command("enable-user", database_url, PROFESSIONAL)
    assert "is enabled" in said
    assert sign_in(client, PROFESSIONAL).status_code == 303
    assert client.get(f"/referrals/{reference}").status_code == 200  # the draft was kept
    assert "not disabled" in account_command("enable-user", database_url, PROFESSIONAL)
    events = audit_types(settings)
    assert events.count("account-disabled") == 1 and events.count("account-enabled") == 1
    assert "sign-in-refused-disabled" in events


def test_disabling_hub_staff_ends_a_sign_in_halfway_through_its_code_step(
    database_url: str, client: TestClient, settings: Settings
) -> None:
    make_hub_user(settings, HUB_STAFF, now=utc_now())
    answer = post(client, "/login", email=HUB_STAFF, password=STRONG_PASSWORD)
    assert answer.headers["location"] == "/login/two-factor"
    account_command("disable-user", database_url, HUB_STAFF)
    # The password step was passed before; the code step now starts again from the beginning.
    assert client.get("/login/two-factor", follow_redirects=False).status_code == 303
    assert not is_signed_in(client)


def execute(database_url: str, statement: Executable) -> None:
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            session.execute(statement)
            session.commit()
    finally:
        engine.dispose()


def test_reset_codes_sent_before_disabling_open_nothing(
    database_url: str, client: TestClient, app: Starlette, settings: Settings
) -> None:
    register(client, settings, PROFESSIONAL)
    post(client, "/logout")
    # One reset has its code entered and waits for the new password; another code is emailed
    # but not yet entered. Then the account is disabled.
    with TestClient(app) as halfway, TestClient(app) as emailed:
        assert post(halfway, "/forgotten-password", email=PROFESSIONAL).status_code == 303
        answer = post(halfway, "/forgotten-password/code", code=latest_code(settings, PROFESSIONAL))
        assert answer.headers["location"] == "/forgotten-password/new"
        # As if an hour had passed since those codes: the limit on new codes allows another.
        earlier = app.state.clock() - timedelta(hours=2)
        execute(database_url, update(OneTimeCode).values(created_at=earlier))
        assert post(emailed, "/forgotten-password", email=PROFESSIONAL).status_code == 303
        unused = latest_code(settings, PROFESSIONAL)
        account_command("disable-user", database_url, PROFESSIONAL)
        new_password = post(
            halfway,
            "/forgotten-password/new",
            password=OTHER_STRONG_PASSWORD,
            confirm_password=OTHER_STRONG_PASSWORD,
        )
        assert new_password.headers["location"] == "/forgotten-password"
        refused = post(emailed, "/forgotten-password/code", code=unused)
        assert refused.status_code == 422 and "already been used" in refused.text
    account_command("enable-user", database_url, PROFESSIONAL)
    assert sign_in(client, PROFESSIONAL, OTHER_STRONG_PASSWORD).status_code == 422
    assert sign_in(client, PROFESSIONAL).status_code == 303  # the password it had


def test_a_disabled_account_opens_nothing_even_with_its_session_version_unchanged(
    database_url: str, client: TestClient, settings: Settings
) -> None:
    """Belt and braces: disabling raises the session version, and every check also looks at
    `disabled_at` itself (a session, and a sign-in halfway through its code step)."""
    register(client, settings, PROFESSIONAL)
    make_hub_user(settings, HUB_STAFF, now=utc_now())
    with TestClient(client.app) as hub:
        answer = post(hub, "/login", email=HUB_STAFF, password=STRONG_PASSWORD)
        assert answer.headers["location"] == "/login/two-factor"
        execute(database_url, update(User).values(disabled_at=utc_now()))
        assert not is_signed_in(client)
        assert hub.get("/login/two-factor", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("command", ["disable-user", "enable-user"])
def test_disable_and_enable_explain_themselves_and_refuse_an_unknown_address(
    command: str, database_url: str
) -> None:
    helped = portal(command, "--help")
    assert helped.returncode == 0 and "--email" in helped.stdout
    assert command in portal("--help").stdout
    assert_refused(
        portal(command, "--email", "nobody@x.example", env={"DATABASE_URL": database_url}),
        "there is no account for nobody@x.example",
    )
    assert_refused(portal(command), "the following arguments are required: --email")


# Managers of the hub (who see its reports) -----------------------------------------------


def is_manager(database_url: str, email: str) -> bool:
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            return session.scalars(select(User.is_hub_manager).where(User.email == email)).one()
    finally:
        engine.dispose()


def test_create_user_can_make_hub_staff_who_are_managers(
    database_url: str, settings: Settings
) -> None:
    result = create_user(
        database_url,
        *("--role", "hub", "--manager", "--email", HUB_STAFF, "--name", "Hattie Hub"),
        stdin=f"{STRONG_PASSWORD}\n",
    )
    assert result.returncode == 0, result.stderr
    assert f"created a hub account for {HUB_STAFF}, a manager" in result.stdout
    assert role_of(database_url, HUB_STAFF) == "hub" and is_manager(database_url, HUB_STAFF)
    assert audit_types(settings).count("account.manager-granted") == 1
    assert "--manager" in portal("create-user", "--help").stdout


def test_create_user_refuses_a_professional_who_is_a_manager(database_url: str) -> None:
    result = create_user(
        database_url,
        *("--role", "professional", "--manager", "--email", PROFESSIONAL),
        *("--name", "Grace Hopper"),
        stdin=f"{STRONG_PASSWORD}\n",
    )
    assert result.returncode == 2
    assert_refused(result, "only hub staff can be managers: use --manager with --role hub")
    assert role_of(database_url, PROFESSIONAL) is None


def test_an_operator_grants_and_revokes_a_manager_once_each_audited(
    database_url: str, settings: Settings
) -> None:
    make_hub_user(settings, HUB_STAFF, now=utc_now())
    database = {"DATABASE_URL": database_url}
    assert not is_manager(database_url, HUB_STAFF)

    granted = portal("grant-manager", HUB_STAFF, env=database)
    assert granted.returncode == 0, granted.stderr
    assert f"{HUB_STAFF} is now a manager" in granted.stdout
    assert is_manager(database_url, HUB_STAFF)
    again = portal("grant-manager", HUB_STAFF.upper(), env=database)
    assert again.returncode == 0 and "already a manager: nothing to do" in again.stdout

    revoked = portal("revoke-manager", HUB_STAFF, env=database)
    assert revoked.returncode == 0, revoked.stderr
    assert f"{HUB_STAFF} is no longer a manager" in revoked.stdout
    assert not is_manager(database_url, HUB_STAFF)
    again = portal("revoke-manager", HUB_STAFF, env=database)
    assert again.returncode == 0 and "is not a manager: nothing to do" in again.stdout

    events = audit_types(settings)
    assert events.count("account.manager-granted") == 1
    assert events.count("account.manager-revoked") == 1


@pytest.mark.parametrize("command", ["grant-manager", "revoke-manager"])
def test_only_hub_staff_can_be_made_managers_or_not(
    command: str, database_url: str, client: TestClient, settings: Settings
) -> None:
    helped = portal(command, "--help")
    assert helped.returncode == 0 and "EMAIL" in helped.stdout
    assert command in portal("--help").stdout
    register(client, settings, PROFESSIONAL)
    database = {"DATABASE_URL": database_url}
    assert_refused(portal(command, PROFESSIONAL, env=database), f"{PROFESSIONAL} is not hub staff")
    assert not is_manager(database_url, PROFESSIONAL)
    assert_refused(
        portal(command, "nobody@x.example", env=database),
        "there is no account for nobody@x.example",
    )
    assert_refused(portal(command), "the following arguments are required: EMAIL")
    assert not any(event.startswith("account.manager") for event in audit_types(settings))


def test_a_manager_made_a_professional_is_no_longer_a_manager(
    database_url: str, settings: Settings
) -> None:
    make_hub_user(settings, HUB_STAFF, now=utc_now())
    assert portal("grant-manager", HUB_STAFF, env={"DATABASE_URL": database_url}).returncode == 0
    result = create_user(
        database_url,
        *("--role", "professional", "--email", HUB_STAFF, "--name", "Hattie Hub"),
        stdin=f"{STRONG_PASSWORD}\n",
    )
    assert result.returncode == 0, result.stderr
    assert role_of(database_url, HUB_STAFF) == "professional"
    assert not is_manager(database_url, HUB_STAFF)
    assert audit_types(settings).count("account.manager-revoked") == 1
