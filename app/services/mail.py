"""Email: the outbox that request handlers write to, and its delivery with retries, by SMTP or
by GOV.UK Notify (`MAIL_PROVIDER`; app/services/notify.py).

A handler calls `enqueue_mail` inside the transaction that causes the mail and commits; it may
then call `MailWorker.wake()` so that the mail goes out at once. `deliver_due_mail` claims each
due message with a conditional UPDATE, so that two app instances never send one message twice,
and reschedules a failed attempt with a growing back-off until the message is 48 hours old. A
message the provider refuses for good (GOV.UK Notify: no such template, an address it will not
send to) is marked failed at once.

Logs name messages by id only, never by address, subject or body (development, with no mail
server, is the one exception: there the log *is* the mailbox).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Protocol, cast

from sqlalchemy import event, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from app.models import OutboxMessage
from app.services.mail_templates import MAX_KIND_LENGTH
from app.services.periodic import PeriodicWorker
from app.settings import Settings

logger = logging.getLogger("portal.mail")

SMTP_TIMEOUT_SECONDS = 10
CLAIM_DURATION = timedelta(minutes=5)
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=48)
MAX_ERROR_LENGTH = 500
MAX_ADDRESS_LENGTH = 254
MAX_SUBJECT_LENGTH = 200
BATCH_SIZE = 20

# Errors that mean "this attempt failed, try again later". smtplib's own errors are OSErrors;
# ValueError covers a message the email package refuses to build (a header it cannot encode).
DELIVERY_ERRORS: tuple[type[Exception], ...] = (OSError, smtplib.SMTPException, ValueError)

# Warnings given once per process (the worker polls every few seconds).
_warned_once: set[str] = set()


def enqueue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    kind: str | None = None,
    personalisation: Mapping[str, str] | None = None,
) -> OutboxMessage:
    """Add an email to the outbox in `session`; it is queued when the caller commits its work.

    `to` is one address; `kind` and `personalisation` say which template the text was made
    from and with what (`account_mail.compose` gives both: GOV.UK Notify needs them). Raises
    ValueError for an address or subject that is too long or holds a line break (which would
    let it add headers of its own).
    """
    for name, value, limit in (
        ("to", to, MAX_ADDRESS_LENGTH),
        ("subject", subject, MAX_SUBJECT_LENGTH),
    ):
        if "\r" in value or "\n" in value:
            raise ValueError(f"mail {name} must not contain a line break")
        if len(value) > limit:
            raise ValueError(f"mail {name} must be at most {limit} characters")
    if not to.strip():
        raise ValueError("mail needs an address to send to")
    if kind is not None and not 0 < len(kind) <= MAX_KIND_LENGTH:
        raise ValueError(f"mail kind must be 1 to {MAX_KIND_LENGTH} characters")
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        text_body=text,
        html_body=html,
        kind=kind,
        personalisation=dict(personalisation) if personalisation is not None else None,
    )
    session.add(message)
    session.info[MAIL_QUEUED] = True
    return message


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed attempts: 30s, 1m, 2m, 4m ... at most an hour."""
    doublings = min(max(attempts - 1, 0), 16)  # 30s * 2**16 is far past the cap already
    delay: timedelta = FIRST_RETRY_DELAY * (2**doublings)
    return min(delay, MAX_RETRY_DELAY)


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything the portal stores is UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _due_condition(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


@dataclass(frozen=True)
class ClaimedMail:
    """A message this worker has claimed, read before talking to the provider."""

    id: int
    to: str
    subject: str
    text: str
    html: str
    created_at: datetime
    attempts: int
    kind: str | None = None
    personalisation: dict[str, str] | None = None


class MailDeferred(Exception):
    """This attempt failed and a later one may succeed: retried after the back-off.
    `needs_operator`: it will go on failing until an operator fixes the settings (logged as an
    error, still retried, so that nothing is lost meanwhile)."""

    def __init__(self, reason: str, *, needs_operator: bool = False) -> None:
        super().__init__(reason)
        self.needs_operator = needs_operator


class MailRefused(Exception):
    """The provider will never send this message: it is marked failed at once."""


# What one message's failed attempt may raise (anything else ends the pass; the claim runs out
# and another pass takes the message up again).
ATTEMPT_ERRORS: tuple[type[Exception], ...] = (MailDeferred, MailRefused, *DELIVERY_ERRORS)


class MailProvider(Protocol):
    """What sends a claimed message: raises MailDeferred, MailRefused or one of
    DELIVERY_ERRORS when it was not sent."""

    def ready(self) -> bool:
        """False while nothing can be sent (the mail then stays queued)."""
        ...

    def send(self, mail: ClaimedMail) -> None: ...


def _due_ids(session_factory: sessionmaker[Session], now: datetime, limit: int) -> list[int]:
    with session_factory() as session:
        return list(
            session.scalars(
                select(OutboxMessage.id)
                .where(*_due_condition(now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            )
        )


def _claim(
    session_factory: sessionmaker[Session], message_id: int, now: datetime
) -> ClaimedMail | None:
    """Take the message for this worker, or None if another worker has it (or has sent it)."""
    with session_factory() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, *_due_condition(now))
            .values(claimed_until=now + CLAIM_DURATION)
            .execution_options(synchronize_session=False)
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            session.rollback()
            return None
        # Committed before sending: from here on, no other worker will take it.
        session.commit()
        message = session.get(OutboxMessage, message_id)
        if message is None:  # deleted meanwhile
            return None
        claimed = ClaimedMail(
            id=message.id,
            to=message.to_address,
            subject=message.subject,
            text=message.text_body,
            html=message.html_body,
            created_at=message.created_at,
            attempts=message.attempts,
            kind=message.kind,
            personalisation=message.personalisation,
        )
        session.rollback()  # end the read transaction before talking to the mail server
        return claimed


def _domain_of(address: str) -> str:
    _name, email = parseaddr(address)
    domain = email.rpartition("@")[2]
    return domain or "childrens-portal.invalid"


def build_email(settings: Settings, *, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """The message as sent: multipart/alternative with a plain-text and an HTML part."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    # A domain of our own: make_msgid() would otherwise look up this host's name in DNS.
    message["Message-ID"] = make_msgid(domain=_domain_of(settings.mail_from))
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _send_by_smtp(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, str(settings.smtp_password))
        smtp.send_message(message)


class SmtpProvider:
    """Sends each message's stored text and HTML to SMTP_HOST. With no SMTP_HOST, development
    logs each message instead (the log is the mailbox); any other environment sends nothing
    and warns once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def ready(self) -> bool:
        if self.settings.smtp_host or self.settings.environment == "development":
            return True
        if "no-mail-server" not in _warned_once:
            _warned_once.add("no-mail-server")
            logger.warning(
                "SMTP_HOST is not set in %s: mail stays queued until it is",
                self.settings.environment,
            )
        return False

    def send(self, mail: ClaimedMail) -> None:
        settings = self.settings
        if not settings.smtp_host:
            logger.info(
                "development mail id=%s to=%s subject=%s\n%s",
                mail.id,
                mail.to,
                mail.subject,
                mail.text,
            )
            return
        _send_by_smtp(
            settings,
            build_email(settings, to=mail.to, subject=mail.subject, text=mail.text, html=mail.html),
        )


def mail_provider(settings: Settings) -> MailProvider:
    """The provider MAIL_PROVIDER names, made once (by the mail worker) and kept."""
    if settings.mail_provider == "notify":
        # Imported here: app.services.notify builds on this module.
        from app.services.notify import NotifyProvider

        return NotifyProvider(settings)
    return SmtpProvider(settings)


def _record_sent(session_factory: sessionmaker[Session], message_id: int, now: datetime) -> None:
    with session_factory() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(sent_at=now, claimed_until=None, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _record_failure(
    session_factory: sessionmaker[Session],
    mail: ClaimedMail,
    error: Exception,
    now: datetime,
) -> None:
    # One UPDATE and no read first: on SQLite a read that turns into a write can fail at once
    # when another worker has written meanwhile. Our claim means nobody else changes the row.
    attempts = mail.attempts + 1
    # Stored, never logged: an SMTP error may quote the address (and is kept without it).
    last_error = f"{type(error).__name__}: {error}".replace(mail.to, "<address>")
    values: dict[str, Any] = {
        "attempts": attempts,
        "claimed_until": None,
        "last_error": last_error[:MAX_ERROR_LENGTH],
    }
    refused = isinstance(error, MailRefused)
    given_up = not refused and now - mail.created_at >= GIVE_UP_AFTER
    if refused or given_up:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + retry_delay(attempts)
    with session_factory() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == mail.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    if refused:
        # A provider's reason names no address (MailRefused is ours, worded without it).
        logger.error("mail id=%s refused, not to be retried: %s", mail.id, error)
    elif given_up:
        logger.error("mail id=%s not delivered after %d attempts; given up", mail.id, attempts)
    elif isinstance(error, MailDeferred) and error.needs_operator:
        logger.error(
            "mail id=%s attempt %d failed (%s); kept, next attempt at %s",
            mail.id,
            attempts,
            error,
            values["next_attempt_at"].isoformat(),
        )
    else:
        logger.warning(
            "mail id=%s attempt %d failed (%s); next attempt at %s",
            mail.id,
            attempts,
            # Our own reasons name no address; another error is named by its type alone.
            error if isinstance(error, MailDeferred) else type(error).__name__,
            values["next_attempt_at"].isoformat(),
        )


def deliver_due_mail(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    provider: MailProvider | None = None,
) -> int:
    """Send up to `limit` due messages from the outbox; return how many were sent.

    Synchronous and blocking (it talks to the database and the mail provider): call it from a
    thread, e.g. with `run_in_threadpool`. Each message is claimed with a conditional UPDATE
    that is committed before sending, so concurrent callers (other app instances) never send
    one message twice. A failed attempt is retried after 30s, 1m, 2m ... (at most an hour
    apart); a message still unsent 48 hours after it was queued, or refused for good by the
    provider, is marked failed.

    `provider` defaults to the one MAIL_PROVIDER names. With SMTP and no SMTP host,
    development logs each message (address, subject and text) and marks it sent; any other
    environment leaves the mail queued and warns once.
    """
    now = _as_utc(now) if now is not None else datetime.now(UTC)
    due: Sequence[int] = _due_ids(session_factory, now, limit)
    if not due:
        return 0
    provider = provider if provider is not None else mail_provider(settings)
    if not provider.ready():
        return 0
    sent = 0
    for message_id in due:
        mail = _claim(session_factory, message_id, now)
        if mail is None:
            continue
        try:
            provider.send(mail)
        except ATTEMPT_ERRORS as error:
            _record_failure(session_factory, mail, error, now)
            continue
        _record_sent(session_factory, mail.id, now)
        sent += 1
    return sent


def recent_mail(session: Session, limit: int = 50) -> list[OutboxMessage]:
    """The newest `limit` messages in the outbox, newest first (for the development mailbox)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


class MailWorker(PeriodicWorker):
    """Delivers the outbox in the background while the app runs (start and stop in lifespan):
    a delivery pass every `poll_seconds`, or at once after a commit that queued mail
    (`wake_after_commit`)."""

    name = "mail delivery"
    task_name = "portal-mail-worker"
    logger = logger

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        poll_seconds: float = 15,
    ) -> None:
        super().__init__(interval=poll_seconds)
        self.session_factory = session_factory
        self.settings = settings
        self.provider = mail_provider(settings)

    def run_pass(self) -> bool:
        sent = deliver_due_mail(
            self.session_factory, self.settings, limit=BATCH_SIZE, provider=self.provider
        )
        return sent >= BATCH_SIZE  # the pass was full: there may be more due right away


# Set on a session by `enqueue_mail`; the commit hook reads it.
MAIL_QUEUED = "portal.mail-queued"


def wake_after_commit(session_factory: sessionmaker[Session], worker: MailWorker) -> None:
    """Wake the worker whenever a session of `session_factory` commits work that queued mail,
    so it goes out now rather than at the next poll (no handler has to remember to)."""

    @event.listens_for(session_factory, "after_commit")
    def _queued_mail_committed(session: Session) -> None:
        if session.info.pop(MAIL_QUEUED, False):
            worker.wake()

    @event.listens_for(session_factory, "after_rollback")
    def _queued_mail_rolled_back(session: Session) -> None:
        session.info.pop(MAIL_QUEUED, None)
