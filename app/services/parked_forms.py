"""Section forms posted after the sender's session ended, kept until they sign in again.

Only the same person gets them back (the form is tied to the user whose session it was), once,
and only on the page they were sent from. Nothing is saved into the referral until they choose.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ParkedForm

PARKED_FORM_LIFETIME = timedelta(days=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def park_form(
    session: Session, *, user_id: int, path: str, fields: list[list[str]], now: datetime
) -> str:
    """Keep a posted form; returns the token for the browser's session."""
    token = secrets.token_urlsafe(32)
    session.add(
        ParkedForm(
            token_hash=_hash(token), user_id=user_id, path=path, fields=fields, created_at=now
        )
    )
    return token


def take_parked_form(
    session: Session, token: str, *, user_id: int, path: str, now: datetime
) -> list[list[str]] | None:
    """The fields kept for this user and page, removed as they are handed back; None if there
    are none (another user's, another page's, or too old)."""
    parked = session.scalars(
        select(ParkedForm).where(ParkedForm.token_hash == _hash(token))
    ).one_or_none()
    if parked is None or parked.user_id != user_id or parked.path != path:
        return None
    session.delete(parked)
    if now - parked.created_at > PARKED_FORM_LIFETIME:
        return None
    return [list(pair) for pair in parked.fields]
