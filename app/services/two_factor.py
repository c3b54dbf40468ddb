"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238), and recovery codes.

Any user may turn it on; hub staff must (they see every family's referral). After the password,
the 6-digit code from the app, or one of ten recovery codes, finishes signing in. A code is
accepted for the time step before and after the current one (a phone's clock a little out), and
each step works once, so a code seen over someone's shoulder cannot be used again. Wrong codes
count as failed sign-ins, so the same throttle (in the database, across instances) applies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import RecoveryCode, User
from app.services.accounts import (
    email_key,
    settle_attempt,
    throttled,
    withdraw_attempt,
)
from app.services.audit import Event, Origin, record_event, record_operator_action

ISSUER = "Children's Portal"
STEP_SECONDS = 30
WINDOW_STEPS = 1  # one step either side: up to 30 seconds of clock drift
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The set-up link as an inline SVG QR code (no image request, nothing for the CSP to
    allow). It is drawn in the page's text colour on white, with a quiet zone."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff")
    # The page names the picture (role="img" on its container); the drawing itself is silent.
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


def grouped(secret: str) -> str:
    """The key to type by hand, in groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step `code` belongs to, within the window and later than `after`, or None."""
    totp = pyotp.TOTP(secret)
    current = _step(now)
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def code_digits(entered: str) -> str:
    """The digits typed, spaces and dashes ignored; "" when it is not six ASCII digits."""
    digits = entered.replace(" ", "").replace("-", "")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else ""


# scrypt with a salt of its own for each code: a stolen table gives nothing away quickly.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 24}


def _normalised(code: str) -> bytes:
    return code.lower().replace(" ", "").replace("-", "").encode()[:64]


def _recovery_hash(code: str, salt: bytes | None = None) -> str:
    """ "salt$hash" (URL-safe base64): 12 random bytes of salt, 24 of scrypt."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.scrypt(_normalised(code), salt=salt, **SCRYPT)
    return f"{base64.urlsafe_b64encode(salt).decode()}${base64.urlsafe_b64encode(digest).decode()}"


def _recovery_matches(code: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    try:
        expected = _recovery_hash(code, base64.urlsafe_b64decode(salt))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(expected, stored)


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))  # about 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def pending_secret(session: Session, user: User) -> str:
    """The secret being set up for `user`, made on first asking and kept until confirmed."""
    if user.totp_pending_secret is None:
        user.totp_pending_secret = new_secret()
        session.flush()
    return user.totp_pending_secret


def confirm_setup(
    session: Session, user: User, code: str, *, now: datetime, origin: Origin | None = None
) -> list[str] | None:
    """Turn two-factor sign-in on if `code` comes from the secret being set up; returns the new
    recovery codes (shown once), or None for a wrong code."""
    secret = user.totp_pending_secret
    digits = code_digits(code)
    if secret is None or not digits:
        return None
    step = _matching_step(secret, digits, now, None)
    if step is None:
        return None
    user.totp_secret, user.totp_pending_secret = secret, None
    user.totp_enabled_at, user.totp_last_step = now, step
    record_event(session, Event.TWO_FACTOR_ENABLED, actor_user_id=user.id, origin=origin)
    return replace_recovery_codes(session, user, now=now, origin=origin)


def replace_recovery_codes(
    session: Session, user: User, *, now: datetime, origin: Origin | None = None
) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code), created_at=now))
    record_event(session, Event.RECOVERY_CODES_MADE, actor_user_id=user.id, origin=origin)
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def reset_by_operator(session: Session, user: User, *, now: datetime) -> str:
    """`portal reset-two-factor`: turn it off and end the user's sessions. Returns what was
    done, for the operator."""
    if not user.has_two_factor and user.totp_pending_secret is None:
        return f"{user.email} has no two-factor sign-in set up: nothing to reset"
    turn_off(session, user, now=now, by_operator=True)
    user.session_version += 1
    after = "sets up a new app" if user.is_hub_staff else "signs in with their password alone"
    return f"two-factor sign-in reset for {user.email}: their sessions have ended; they {after}"


def turn_off(
    session: Session,
    user: User,
    *,
    now: datetime,
    origin: Origin | None = None,
    by_operator: bool = False,
) -> None:
    user.totp_secret = user.totp_pending_secret = None
    user.totp_enabled_at = user.totp_last_step = None
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if by_operator:
        record_operator_action(session, Event.TWO_FACTOR_RESET, user.id)
    else:
        record_event(session, Event.TWO_FACTOR_DISABLED, actor_user_id=user.id, origin=origin)


@dataclass(frozen=True)
class SecondFactor:
    ok: bool
    throttled: bool = False
    method: str = ""


def check(
    session: Session,
    user: User,
    entered: str,
    *,
    recovery: bool,
    client_address: str,
    now: datetime,
    attempt_id: int,
    origin: Origin | None = None,
) -> SecondFactor:
    """The second step of signing in: an authenticator code (or a recovery code), for an
    attempt reserved and committed with `accounts.reserve_attempt`; throttled with the
    password's attempts."""
    key = email_key(user.email)
    if throttled(session, key=key, client_address=client_address, now=now):
        withdraw_attempt(session, attempt_id)
        record_event(session, Event.SIGN_IN_THROTTLED, actor_user_id=user.id, origin=origin)
        return SecondFactor(False, throttled=True)
    method = "recovery-code" if recovery else "authenticator"
    ok = False
    if recovery:
        unused = session.execute(
            select(RecoveryCode.id, RecoveryCode.code_hash).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
        matching = [code_id for code_id, stored in unused if _recovery_matches(entered, stored)]
        if matching:
            # A conditional UPDATE: the same code used twice at once works once.
            used = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == matching[0], RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            ok = used.rowcount == 1  # type: ignore[attr-defined]
    elif user.totp_secret is not None and (digits := code_digits(entered)):
        step = _matching_step(user.totp_secret, digits, now, user.totp_last_step)
        if step is not None:
            # Compare and set: two requests with the same code cannot both get in.
            moved = session.execute(
                update(User)
                .where(
                    User.id == user.id,
                    (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
                )
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            ok = moved.rowcount == 1  # type: ignore[attr-defined]
    settle_attempt(session, attempt_id, succeeded=ok)
    if ok:
        record_event(
            session,
            Event.SIGNED_IN,
            actor_user_id=user.id,
            origin=origin,
            details={"second_factor": method},
        )
        if recovery:
            record_event(session, Event.RECOVERY_CODE_USED, actor_user_id=user.id, origin=origin)
        return SecondFactor(True, method=method)
    record_event(
        session,
        Event.SECOND_FACTOR_FAILED,
        actor_user_id=user.id,
        origin=origin,
        details={"method": method},
    )
    return SecondFactor(False)
