"""`portal create-api-token`, `revoke-api-token` and `list-api-tokens`, run as an operator
would: a real process on the test's database, and the token tried on the real API."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import ApiToken, AuditEvent
from testkit.handover import bearer
from tests.test_cli import portal


def stored(database_url: str) -> tuple[list[ApiToken], list[AuditEvent]]:
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            tokens = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
            events = list(
                session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.subject_type == "api-token")
                    .order_by(AuditEvent.id)
                )
            )
            return tokens, events
    finally:
        engine.dispose()


def test_the_token_commands_explain_themselves() -> None:
    for command in ("create-api-token", "revoke-api-token", "list-api-tokens"):
        result = portal(command, "--help")
        assert result.returncode == 0 and f"usage: portal {command}" in result.stdout


def test_an_operator_makes_a_token_that_is_shown_once_and_kept_as_a_hash(
    database_url: str, client: TestClient
) -> None:
    env = {"DATABASE_URL": database_url}
    made = portal("create-api-token", "--name", "case-system", env=env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("cpt_") and len(token) > 40
    tokens, events = stored(database_url)
    assert [t.name for t in tokens] == ["case-system"]
    assert tokens[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert [e.event_type for e in events] == ["api.token-created"]
    assert client.get("/api/v1/referrals", headers=bearer(token)).status_code == 200

    listed = portal("list-api-tokens", env=env)
    assert listed.returncode == 0
    assert "case-system\tactive" in listed.stdout and "last used 20" in listed.stdout
    assert token not in listed.stdout

    again = portal("create-api-token", "--name", "case-system", env=env)
    assert again.returncode == 1 and "already a token named case-system" in again.stderr
    bad = portal("create-api-token", "--name", "Case System!", env=env)
    assert bad.returncode == 1 and "the name must be" in bad.stderr
    assert len(stored(database_url)[0]) == 1


def test_an_operator_revokes_a_token_and_it_opens_nothing_from_then_on(
    database_url: str, client: TestClient
) -> None:
    env = {"DATABASE_URL": database_url}
    token = portal("create-api-token", "--name", "case-system", env=env).stdout.split()[-1]
    assert client.get("/api/v1/referrals", headers=bearer(token)).status_code == 200
    revoked = portal("revoke-api-token", "--name", "case-system", env=env)
    assert revoked.returncode == 0 and "Revoked the token case-system" in revoked.stdout
    response = client.get("/api/v1/referrals", headers=bearer(token))
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]
    assert "already revoked" in portal("revoke-api-token", "--name", "case-system", env=env).stdout
    unknown = portal("revoke-api-token", "--name", "nobody", env=env)
    assert unknown.returncode == 1 and "no token named nobody" in unknown.stderr
    assert "case-system\trevoked" in portal("list-api-tokens", env=env).stdout
    events = [e.event_type for e in stored(database_url)[1]]
    assert events == ["api.token-created", "api.token-revoked"]


def test_list_api_tokens_says_when_there_are_none(database_url: str) -> None:
    result = portal("list-api-tokens", env={"DATABASE_URL": database_url})
    assert result.returncode == 0 and result.stdout.strip() == "There are no API tokens."
