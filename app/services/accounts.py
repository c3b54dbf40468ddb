"""Personal accounts: registration with an emailed code, sign-in with throttling, password change
and reset. Functions take a database `Session` and `now`; the caller commits. Several of them
run bcrypt: call them off the event loop.

Nothing here reveals whether an email address has an account: registering an address that has
one, or asking to reset the password of one that has none, answers exactly as usual, and the
owner of an existing account is told by email instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.models import OneTimeCode, PasswordHistory, SignInAttempt, User
from app.services import account_mail
from app.services.audit import Event, Origin, record_event, record_operator_action
from app.services.passwords import (
    HISTORY_SIZE,
    hash_password,
    password_problems,
    spend_verification_time,
    verify_password,
)
from app.settings import Settings

CODE_LIFETIME = timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_INTERVAL = timedelta(seconds=60)
CODES_PER_HOUR = 5
SIGN_IN_WINDOW = timedelta(minutes=15)
# Failed sign-ins (passwords and second-factor codes) in 15 minutes before a pause: from one
# client for one account; for one account from anywhere (guessing spread over many addresses,
# high enough that a stranger elsewhere cannot easily stop the owner, who can always lift it
# with a password reset); and from one client over every account (a school or surgery may share
# one address for many staff).
SIGN_IN_FAILURES_PER_ACCOUNT_AND_CLIENT = 10
SIGN_IN_FAILURES_PER_ACCOUNT = 50
SIGN_IN_FAILURES_PER_CLIENT = 30
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254

# Shared mailboxes: the guide does not allow generic accounts (security, direct contact, GDPR).
GENERIC_MAILBOXES = frozenset(
    {
        "admin",
        "administration",
        "admissions",
        "contact",
        "contactus",
        "enquiries",
        "enquiry",
        "general",
        "hello",
        "help",
        "info",
        "information",
        "mail",
        "mailbox",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "office",
        "post",
        "postmaster",
        "reception",
        "referral",
        "referrals",
        "safeguarding",
        "schooloffice",
        "secretary",
        "staff",
        "support",
        "team",
        "webmaster",
    }
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CodeCheck(Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    TOO_MANY_TRIES = "too-many-tries"


def email_key(email: str) -> str:
    """What makes an address unique: trimmed and lower-cased (and never longer than an
    address can be)."""
    return email.strip().lower()[:EMAIL_MAX_LENGTH]


def is_generic_mailbox(email: str) -> bool:
    local = email_key(email).split("@", 1)[0]
    first_word = re.split(r"[.+_-]", local, maxsplit=1)[0]
    return local in GENERIC_MAILBOXES or first_word in GENERIC_MAILBOXES


def email_problem(email: str) -> str | None:
    """The message for an unusable work email address, or None."""
    email = email.strip()
    if not email:
        return "Enter your work email address"
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.match(email):
        return "Enter an email address in the correct format, like name@example.com"
    if is_generic_mailbox(email):
        return (
            "Enter your own work email address, not a shared mailbox such as info@ or office@. "
            "Shared accounts are not allowed"
        )
    return None


def name_problem(value: str, label: str) -> str | None:
    value = value.strip()
    if not value:
        return f"Enter your {label}"
    if len(value) > NAME_MAX_LENGTH:
        return f"{label.capitalize()} must be {NAME_MAX_LENGTH} characters or fewer"
    return None


def _code_hash(settings: Settings, purpose: str, key: str, value: str, secret: str = "") -> str:
    # Keyed, so a leaked table does not give up its 6-digit codes to a quick brute force.
    message = f"{purpose}:{key}:{value}".encode()
    secret = secret or str(settings.secret_key)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _new_code(
    session: Session,
    settings: Settings,
    *,
    purpose: str,
    key: str,
    now: datetime,
    user_id: int | None = None,
    payload: dict[str, str] | None = None,
) -> tuple[OneTimeCode, str]:
    value = f"{secrets.randbelow(1_000_000):06d}"
    code = OneTimeCode(
        purpose=purpose,
        email_key=key,
        user_id=user_id,
        code_hash=_code_hash(settings, purpose, key, value),
        payload=payload or {},
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        failed_attempts=0,
    )
    session.add(code)
    session.flush()
    return code, value


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email_key == email_key(email))).one_or_none()


def start_registration(
    session: Session,
    settings: Settings,
    *,
    forename: str,
    surname: str,
    email: str,
    password: str,
    now: datetime,
) -> OneTimeCode:
    """Email a code to confirm the address; the account is created when the code is entered.

    If the address already has an account, its owner is told by email and the code is never
    sent; the caller cannot tell the difference.
    """
    key = email_key(email)
    existing = user_by_email(session, email)
    payload = {
        "forename": forename.strip(),
        "surname": surname.strip(),
        "email": email.strip(),
        "password_hash": hash_password(password),
    }
    code, value = _new_code(
        session, settings, purpose="register", key=key, now=now, payload=payload
    )
    if existing is None:
        account_mail.registration_code(session, settings, to=email.strip(), code=value)
    else:
        account_mail.already_registered(session, settings, user=existing)
    return code


def check_code(
    session: Session, settings: Settings, code: OneTimeCode, entered: str, *, now: datetime
) -> CodeCheck:
    """Check an entered code (spaces and dashes ignored). A wrong try counts against the code."""
    if code.used_at is not None:
        return CodeCheck.USED
    if code.failed_attempts >= CODE_MAX_ATTEMPTS:
        return CodeCheck.TOO_MANY_TRIES
    if code.expires_at <= now:
        return CodeCheck.EXPIRED
    digits = re.sub(r"[\s-]", "", entered)
    # A code sent before the key was rotated still works with the key that made it.
    matches = [
        hmac.compare_digest(
            code.code_hash, _code_hash(settings, code.purpose, code.email_key, digits, secret)
        )
        for secret in settings.secret_keys
    ]
    if not any(matches):
        code.failed_attempts += 1
        if code.failed_attempts >= CODE_MAX_ATTEMPTS:
            return CodeCheck.TOO_MANY_TRIES
        return CodeCheck.WRONG
    code.used_at = now
    return CodeCheck.ACCEPTED


def code_is_stale(code: OneTimeCode, *, now: datetime) -> bool:
    """An accepted code allows its next step (a new password) for one code lifetime only."""
    accepted = code.used_at
    return accepted is None or now - accepted > CODE_LIFETIME or bool(code.payload.get("spent"))


def tries_left(code: OneTimeCode) -> int:
    return max(0, CODE_MAX_ATTEMPTS - code.failed_attempts)


def code_wait(session: Session, email: str, purpose: str, *, now: datetime) -> timedelta | None:
    """How long before another code for `purpose` ("register", "reset") may be sent to this
    address, whether asked for by its form or by "Send a new code"; None if it may be now. A
    minute between codes for one purpose, and five an hour for all of them. Codes are made
    whether or not the address has an account, so the wait gives nothing away about that."""
    key = email_key(email)
    hour_ago = now - timedelta(hours=1)
    newest = session.scalar(
        select(func.max(OneTimeCode.created_at)).where(
            OneTimeCode.email_key == key, OneTimeCode.purpose == purpose
        )
    )
    if newest is not None and now - newest < CODE_RESEND_INTERVAL:
        return CODE_RESEND_INTERVAL - (now - newest)
    recent = session.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(OneTimeCode.email_key == key, OneTimeCode.created_at > hour_ago)
    )
    if (recent or 0) >= CODES_PER_HOUR:
        return timedelta(hours=1)
    return None


def resend_wait(session: Session, code: OneTimeCode, *, now: datetime) -> timedelta | None:
    """How long before `code` may be replaced by a new one, or None if it may be now."""
    return code_wait(session, code.email_key, code.purpose, now=now)


def resend_code(
    session: Session, settings: Settings, code: OneTimeCode, *, now: datetime
) -> OneTimeCode:
    """Replace `code` with a new one for the same purpose (the caller checked `resend_wait`)."""
    code.used_at = code.used_at or now
    new_code, value = _new_code(
        session,
        settings,
        purpose=code.purpose,
        key=code.email_key,
        now=now,
        user_id=code.user_id,
        payload=dict(code.payload),
    )
    if code.purpose == "register":
        if user_by_email(session, code.payload["email"]) is None:
            account_mail.registration_code(session, settings, to=code.payload["email"], code=value)
    elif code.user_id is not None:
        user = session.get(User, code.user_id)
        if user is not None and not user.is_disabled:
            account_mail.reset_code(session, settings, user=user, code=value)
    return new_code


def complete_registration(
    session: Session, code: OneTimeCode, *, now: datetime, origin: Origin | None
) -> User | None:
    """Create the account from an accepted registration code (None if the address was taken
    meanwhile)."""
    payload = code.payload
    if user_by_email(session, payload["email"]) is not None:
        return None
    user = User(
        email=payload["email"],
        email_key=email_key(payload["email"]),
        forename=payload["forename"],
        surname=payload["surname"],
        password_hash=payload["password_hash"],
        role="professional",
        session_version=1,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    code.payload = {}  # the password hash has done its job
    record_event(session, Event.REGISTERED, actor_user_id=user.id, origin=origin)
    record_event(session, Event.EMAIL_VERIFIED, actor_user_id=user.id, origin=origin)
    return user


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    throttled: bool = False
    # The password was right but an operator has disabled the account.
    disabled: bool = False
    # The password was right; the authenticator code comes next (or setting one up: hub staff).
    second_factor: bool = False
    # No account, but the password is that of a registration whose code was never entered
    # (the later help guide warns of exactly this): the code of that registration.
    unfinished_registration: OneTimeCode | None = None


def recent_failures(session: Session, *, now: datetime, **match: str) -> int:
    """Failed sign-ins in the last 15 minutes matching every column given (`email_key`,
    `client_address`); an attempt being checked counts as failed until it succeeds."""
    count = session.scalar(
        select(func.count())
        .select_from(SignInAttempt)
        .where(
            *(getattr(SignInAttempt, column) == value for column, value in match.items()),
            SignInAttempt.succeeded.is_(False),
            SignInAttempt.attempted_at > now - SIGN_IN_WINDOW,
        )
    )
    return int(count or 0)


def reserve_attempt(session: Session, *, email: str, client_address: str, now: datetime) -> int:
    """Record a sign-in attempt as failed before anything is checked; the caller commits it at
    once. Every attempt then counts itself and every attempt before it, whatever runs at the
    same moment on any instance, so a burst cannot have more passwords or codes checked than
    the limits allow. Returns the attempt's id for `sign_in` or `two_factor.check`."""
    attempt = SignInAttempt(
        email_key=email_key(email), client_address=client_address, succeeded=False, attempted_at=now
    )
    session.add(attempt)
    session.flush()
    return attempt.id


def throttled(session: Session, *, key: str, client_address: str, now: datetime) -> bool:
    """Whether an attempt just reserved must not be checked. Counted per account *and* client
    (a stranger's failures do not stop the owner elsewhere), per account from anywhere (with a
    higher limit: guessing spread over many addresses), and per client over every account
    (guessing one password against many accounts). A completed reset or change of password
    clears the account's failures (`set_password`)."""
    return (
        recent_failures(session, now=now, email_key=key, client_address=client_address)
        > SIGN_IN_FAILURES_PER_ACCOUNT_AND_CLIENT
        or recent_failures(session, now=now, email_key=key) > SIGN_IN_FAILURES_PER_ACCOUNT
        or recent_failures(session, now=now, client_address=client_address)
        > SIGN_IN_FAILURES_PER_CLIENT
    )


def settle_attempt(session: Session, attempt_id: int, *, succeeded: bool) -> None:
    """The reserved attempt's outcome: kept as failed, or marked as the success it was."""
    if succeeded:
        session.execute(
            update(SignInAttempt).where(SignInAttempt.id == attempt_id).values(succeeded=True)
        )


def withdraw_attempt(session: Session, attempt_id: int) -> None:
    """A reserved attempt that was not checked (throttled) does not count against anyone: the
    owner waiting out a pause does not lengthen it by trying once more."""
    session.execute(delete(SignInAttempt).where(SignInAttempt.id == attempt_id))


def sign_in(
    session: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    client_address: str,
    now: datetime,
    attempt_id: int,
    origin: Origin | None = None,
) -> SignInResult:
    """Check the email and password of an attempt reserved (and committed) with
    `reserve_attempt`, with throttling by account, client, and both."""
    key = email_key(email)
    user = user_by_email(session, email)
    if throttled(session, key=key, client_address=client_address, now=now):
        withdraw_attempt(session, attempt_id)
        record_event(
            session,
            Event.SIGN_IN_THROTTLED,
            actor_user_id=user.id if user else None,
            origin=origin,
        )
        return SignInResult(None, throttled=True)

    if user is None:
        pending = unfinished_registration(session, email)
        if pending is not None and verify_password(password, pending.payload["password_hash"]):
            # Told only to whoever knows the password chosen, so nobody learns of it otherwise.
            settle_attempt(session, attempt_id, succeeded=True)
            record_event(session, Event.REGISTRATION_RESUMED, origin=origin)
            return SignInResult(None, unfinished_registration=pending)
        if pending is None:
            spend_verification_time(password)  # a check costs the same either way
        ok = False
    else:
        ok = verify_password(password, user.password_hash)
    settle_attempt(session, attempt_id, succeeded=ok)
    if ok and user is not None and user.is_disabled:
        # Said only to someone who knows the password, so it tells nobody else the account exists.
        record_event(session, Event.SIGN_IN_REFUSED_DISABLED, actor_user_id=user.id, origin=origin)
        return SignInResult(None, disabled=True)
    if ok and user is not None:
        if user.has_two_factor or user.is_hub_staff:
            record_event(session, Event.PASSWORD_ACCEPTED, actor_user_id=user.id, origin=origin)
            return SignInResult(user, second_factor=True)
        record_event(session, Event.SIGNED_IN, actor_user_id=user.id, origin=origin)
        return SignInResult(user)

    record_event(
        session, Event.SIGN_IN_FAILED, actor_user_id=user.id if user else None, origin=origin
    )
    failures = recent_failures(session, now=now, email_key=key, client_address=client_address)
    if failures == SIGN_IN_FAILURES_PER_ACCOUNT_AND_CLIENT and user is not None:
        account_mail.sign_in_throttled(session, settings, user=user)
    return SignInResult(None)


def unfinished_registration(session: Session, email: str) -> OneTimeCode | None:
    """The newest registration of this address (the caller knows it has no account)."""
    return session.scalars(
        select(OneTimeCode)
        .where(OneTimeCode.email_key == email_key(email), OneTimeCode.purpose == "register")
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
        .limit(1)
    ).first()


def _earlier_hashes(session: Session, user: User) -> list[str]:
    rows = session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .limit(HISTORY_SIZE)
    ).all()
    return list(dict.fromkeys([user.password_hash, *rows]))


def new_password_problems(session: Session, user: User, password: str) -> list[str]:
    """Policy problems with `password` as this user's next password (history included)."""
    return password_problems(password, earlier_hashes=_earlier_hashes(session, user))


def set_password(
    session: Session,
    settings: Settings,
    user: User,
    password: str,
    *,
    now: datetime,
    event: Event,
    origin: Origin | None = None,
) -> None:
    """Store a new password, end every session of the user, keep the history, tell them."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.session_version += 1
    # A completed reset (or change) lets the owner in at once: earlier failures no longer count.
    session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.email_key == user.email_key, SignInAttempt.succeeded.is_(False)
        )
    )
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    session.flush()
    keep = session.scalars(
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .limit(HISTORY_SIZE)
    ).all()
    for old in session.scalars(
        select(PasswordHistory).where(
            PasswordHistory.user_id == user.id, PasswordHistory.id.not_in(keep)
        )
    ):
        session.delete(old)
    record_event(session, event, actor_user_id=user.id, origin=origin)
    account_mail.password_changed(session, settings, user=user)


def start_password_reset(
    session: Session, settings: Settings, *, email: str, now: datetime
) -> OneTimeCode:
    """A reset code for the address: sent if it has an account, silently kept otherwise."""
    key = email_key(email)
    user = user_by_email(session, email)
    if user is not None and user.is_disabled:
        user = None  # a disabled account cannot be opened again by a new password
    code, value = _new_code(
        session, settings, purpose="reset", key=key, now=now, user_id=user.id if user else None
    )
    if user is not None:
        account_mail.reset_code(session, settings, user=user, code=value)
    return code


def disable_by_operator(session: Session, user: User, *, now: datetime) -> str:
    """`portal disable-user`: no more sign-in, every session ended, no password reset; what
    they sent and wrote stays. Returns what was done, for the operator. The caller commits."""
    if user.is_disabled:
        return f"{user.email} is already disabled: nothing to do"
    user.disabled_at = now
    user.session_version += 1
    # Codes already emailed (a password reset on its way) can no longer be used.
    session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    record_operator_action(session, Event.ACCOUNT_DISABLED, user.id)
    return f"{user.email} is disabled: their sessions have ended and they cannot sign in"


def enable_by_operator(session: Session, user: User, *, now: datetime) -> str:
    """`portal enable-user`: a disabled account may sign in again, with the same password."""
    if not user.is_disabled:
        return f"{user.email} is not disabled: nothing to do"
    user.disabled_at = None
    record_operator_action(session, Event.ACCOUNT_ENABLED, user.id)
    return f"{user.email} is enabled: they can sign in again with their password"


class OperatorError(Exception):
    """Why `portal create-user` cannot do what it was asked, in words for the operator."""


def grant_manager_by_operator(session: Session, user: User, *, now: datetime) -> str:
    """`portal grant-manager`: hub staff become a manager of the hub (its reports). Returns
    what was done, for the operator; OperatorError for anyone not hub staff. The caller
    commits."""
    if not user.is_hub_staff:
        raise OperatorError(
            f"{user.email} is not hub staff: only hub staff can be managers "
            "(portal create-user --role hub makes them hub staff)"
        )
    if user.is_hub_manager:
        return f"{user.email} is already a manager: nothing to do"
    user.is_hub_manager = True
    record_operator_action(session, Event.ACCOUNT_MANAGER_GRANTED, user.id)
    return f"{user.email} is now a manager: they can see the hub's reports"


def revoke_manager_by_operator(session: Session, user: User, *, now: datetime) -> str:
    """`portal revoke-manager`: a manager of the hub is hub staff only again, from their next
    page. OperatorError for anyone not hub staff. The caller commits."""
    if not user.is_hub_staff:
        raise OperatorError(f"{user.email} is not hub staff, so cannot be a manager")
    if not user.is_hub_manager:
        return f"{user.email} is not a manager: nothing to do"
    user.is_hub_manager = False
    record_operator_action(session, Event.ACCOUNT_MANAGER_REVOKED, user.id)
    return f"{user.email} is no longer a manager: they can no longer see the hub's reports"


def create_user_by_operator(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    now: datetime,
    manager: bool = False,
) -> str:
    """Create an account (hub staff are only ever made here), or make an existing professional
    hub staff; returns what was done. Same rules as registering: a personal work address, a
    name, a password that meets the policy. `manager`: hub staff who are also a manager of the
    hub. The caller commits."""
    if role not in {"hub", "professional"}:
        raise OperatorError(f"role must be hub or professional, not {role!r}")
    if manager and role != "hub":
        raise OperatorError("only hub staff can be managers: use --manager with --role hub")
    email = email.strip()
    problem = email_problem(email)
    if problem:
        raise OperatorError(f"{problem}: {email!r}")
    existing = user_by_email(session, email)
    if existing is not None:
        if existing.role == role:
            hint = " (portal grant-manager makes them a manager)" if manager else ""
            raise OperatorError(f"{email} already has a {role} account{hint}")
        existing.role = role
        existing.session_version += 1  # new rights take effect from a fresh sign-in
        record_event(
            session,
            Event.USER_ROLE_CHANGED,
            subject_type="user",
            subject_id=str(existing.id),
            details={"role": role, "by": "operator"},
        )
        if manager:
            existing.is_hub_manager = True
            record_operator_action(session, Event.ACCOUNT_MANAGER_GRANTED, existing.id)
        elif existing.is_hub_manager and role != "hub":
            existing.is_hub_manager = False  # a professional is never a manager
            record_operator_action(session, Event.ACCOUNT_MANAGER_REVOKED, existing.id)
        made = f"a {role} account" + (" and a manager" if manager else "")
        return f"{email}'s account is now {made} (its password is unchanged)"
    forename, _, surname = " ".join(name.split()).partition(" ")
    for value, label in ((forename, "forename"), (surname, "surname")):
        problem = name_problem(value, label)
        if problem:
            raise OperatorError(f'{problem}: give --name "Forename Surname"')
    problems = password_problems(password)
    if problems:
        raise OperatorError("the password is not acceptable: " + "; ".join(problems))
    user = User(
        email=email,
        email_key=email_key(email),
        forename=forename,
        surname=surname,
        password_hash=hash_password(password),
        role=role,
        is_hub_manager=manager,
    )
    session.add(user)
    session.flush()
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    record_event(
        session,
        Event.USER_CREATED,
        subject_type="user",
        subject_id=str(user.id),
        details={"role": role, "by": "operator"},
    )
    if manager:
        record_operator_action(session, Event.ACCOUNT_MANAGER_GRANTED, user.id)
        return f"created a hub account for {email}, a manager"
    return f"created a {role} account for {email}"


def sign_out(session: Session, user: User, origin: Origin) -> None:
    """Sign out: raising the version ends this session and any other the user has open."""
    user.session_version += 1
    record_event(session, Event.SIGNED_OUT, actor_user_id=user.id, origin=origin)
