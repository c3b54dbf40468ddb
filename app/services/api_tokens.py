"""API tokens for a case system: made and revoked by an operator, checked on every call, and
counted for the rate limit.

A token is 32 random bytes (about 43 characters after its "cpt_" prefix), shown once when it is
made; only its SHA-256 is kept. A slow salted hash would add nothing for a secret that random,
and the hash is what a call's token is looked up by. Calls are counted per token in one-minute
windows in the token's own row, updated in one statement, so every app instance shares the
count and two calls at once cannot both take the last one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from app.models import ApiToken
from app.services.audit import Event, record_event

PREFIX = "cpt_"
WINDOW = timedelta(minutes=1)
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


class TokenProblem(Exception):
    """Why an operator's request about a token cannot be done, in words for them."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def name_problem(name: str) -> str | None:
    if not NAME.fullmatch(name):
        return (
            "the name must be 1 to 100 lower-case letters, digits, dots, hyphens or "
            'underscores, starting with a letter or digit, like "case-system"'
        )
    return None


def create_token(session: Session, name: str, *, now: datetime) -> str:
    """Make a token named `name` (audited); returns the token, which is never seen again."""
    problem = name_problem(name)
    if problem:
        raise TokenProblem(problem)
    existing = token_named(session, name)
    if existing is not None:
        state = "revoked" if existing.is_revoked else "in use"
        raise TokenProblem(
            f"there is already a token named {name} ({state}): each token has a name of its "
            "own, so the audit log never confuses two"
        )
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=token_hash(token), created_at=now))
    session.flush()
    _audit(session, Event.API_TOKEN_CREATED, name)
    return token


def revoke_token(session: Session, name: str, *, now: datetime) -> str:
    """Revoke the token named `name` at once (audited); what to tell the operator."""
    found = token_named(session, name)
    if found is None:
        raise TokenProblem(f"there is no token named {name}")
    if found.is_revoked:
        return f"The token {name} was already revoked."
    found.revoked_at = now
    _audit(session, Event.API_TOKEN_REVOKED, name)
    return f"Revoked the token {name}: it opens nothing from now on."


def token_named(session: Session, name: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.name == name)).one_or_none()


def all_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))


def token_for(session: Session, token: str) -> ApiToken | None:
    """The token a call presents, revoked or not; None for one that was never made."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    return session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token))
    ).one_or_none()


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    # When the current window ends: what Retry-After says to a caller over the limit.
    retry_after_seconds: int


def take_call(session: Session, token: ApiToken, *, limit: int, now: datetime) -> Allowance:
    """Count one call against the token's current one-minute window (a new window starts once
    the last is over); allowed while the window holds at most `limit` calls. The caller
    commits."""
    current = ApiToken.window_started_at > now - WINDOW
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(
            window_calls=case((current, ApiToken.window_calls + 1), else_=1),
            window_started_at=case((current, ApiToken.window_started_at), else_=now),
            last_used_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    calls, started = session.execute(
        select(ApiToken.window_calls, ApiToken.window_started_at).where(ApiToken.id == token.id)
    ).one()
    remaining = (started + WINDOW - now).total_seconds() if started else 0
    return Allowance(calls <= limit, max(1, int(remaining + 0.999)))


def _audit(session: Session, event: Event, name: str) -> None:
    record_event(
        session, event, subject_type="api-token", subject_id=name, details={"by": "operator"}
    )
