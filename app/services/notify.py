"""Sending the outbox through GOV.UK Notify (MAIL_PROVIDER=notify), with its own Python client.

Notify keeps its own copy of each email's words (docs/OPERATIONS.md has them); the portal sends
the template id for the message's kind, the address, the personalisation and a reference made
from the outbox id (`reference_for`). How Notify's answers are treated:

- 400 and the other 4xx (no such template, an address it will not send to, a team or trial
  key that may not send to it): the same request would be refused again, so the message is
  failed at once (MailRefused).
- 403 (the API key is wrong, revoked or the clock is out): an operator has to fix it, so it is
  logged as an error, and the message kept and retried with the usual back-off (MailDeferred,
  needs_operator): nothing is lost while the key is replaced.
- 408, 429, 5xx, no answer in time or no connection: retried with the back-off.

An attempt whose answer was lost (a timeout, a connection dropped, a 5xx from a proxy) may
still have reached Notify. So before sending a message again, the provider asks Notify for
notifications with its reference (`reference_for`: the outbox id and the moment it was queued,
unique to this message of this database) and, if Notify has one, counts it sent: a retry never
sends a second copy. If that question cannot be answered either, the message waits its turn.

A message queued before kinds were recorded has no template to send it by: failed at once.
"""

from __future__ import annotations

import threading
from datetime import UTC

from notifications_python_client.errors import HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from app.services.mail import ClaimedMail, MailDeferred, MailRefused, logger
from app.settings import Settings

# Seconds to connect, and again to wait for the answer: a pass never hangs on Notify for long.
NOTIFY_TIMEOUT_SECONDS = 10
# 4xx answers a later attempt may get past: a key an operator will fix, a request Notify took
# too long over, its rate limit.
RETRIED_STATUSES = frozenset({403, 408, 429})


class NotifyProvider:
    """Sends claimed messages through GOV.UK Notify. One client per thread: the library's
    client holds a `requests` session, which is not safe to share between threads."""

    def __init__(self, settings: Settings, *, timeout: float = NOTIFY_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.timeout = timeout
        self._local = threading.local()

    @property
    def base_url(self) -> str:
        return self.settings.notify_base_url

    def _client(self) -> NotificationsAPIClient:
        client: NotificationsAPIClient | None = getattr(self._local, "client", None)
        if client is None:
            # The library's functions carry no annotations.
            client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
                str(self.settings.notify_api_key), base_url=self.base_url, timeout=self.timeout
            )
            self._local.client = client
        return client

    def ready(self) -> bool:
        return True

    def send(self, mail: ClaimedMail) -> None:
        if mail.kind is None or mail.personalisation is None:
            raise MailRefused(
                "queued before emails recorded their kind, so GOV.UK Notify has no template "
                "for it (SMTP can still send it)"
            )
        template_id = self.settings.notify_template_id(mail.kind)
        if template_id is None:
            raise MailRefused(f"no GOV.UK Notify template is set for {mail.kind} emails")
        reference = reference_for(mail)
        if mail.attempts and self._already_sent(mail, reference):
            logger.info(
                "mail id=%s was accepted by GOV.UK Notify at an earlier attempt whose answer "
                "was lost: not sent again",
                mail.id,
            )
            return
        try:
            self._client().send_email_notification(  # type: ignore[no-untyped-call]
                email_address=mail.to,
                template_id=template_id,
                personalisation=mail.personalisation,
                reference=reference,
                email_reply_to_id=self.settings.notify_reply_to_id or None,
            )
        except InvalidResponse:
            # A 2xx answer whose body could not be read: Notify has taken the message, and
            # sending it again would send it twice.
            logger.warning(
                "mail id=%s accepted by GOV.UK Notify with an unreadable answer", mail.id
            )
        except HTTPError as error:
            raise _classified(error, mail) from error

    def _already_sent(self, mail: ClaimedMail, reference: str) -> bool:
        """Whether Notify already has this message (sent by an attempt whose answer was lost).
        MailDeferred when Notify cannot say: sending blind might send it twice."""
        try:
            found = self._client().get_all_notifications(  # type: ignore[no-untyped-call]
                reference=reference
            )
        except (HTTPError, InvalidResponse) as error:
            raise MailDeferred(
                f"could not ask GOV.UK Notify whether an earlier attempt reached it "
                f"({type(error).__name__})",
                needs_operator=getattr(error, "status_code", None) == 403,
            ) from error
        notifications = found.get("notifications") if isinstance(found, dict) else None
        return any(
            isinstance(item, dict) and item.get("reference") == reference
            for item in notifications or []
        )


def reference_for(mail: ClaimedMail) -> str:
    """The message's reference in Notify: its outbox id and when it was queued (so that two
    databases, or one restored from a backup, never share one)."""
    queued = mail.created_at.astimezone(UTC) if mail.created_at.tzinfo else mail.created_at
    return f"outbox-{mail.id}-{queued:%Y%m%dT%H%M%S%f}"


def _reason(error: HTTPError, mail: ClaimedMail) -> str:
    """Notify's own words for the error ("400 BadRequestError: Template not found"), without
    the address should it ever quote it."""
    message = error.message
    if isinstance(message, list):
        message = "; ".join(
            f"{item.get('error', 'Error')}: {item.get('message', '')}"
            if isinstance(item, dict)
            else str(item)
            for item in message
        )
    return f"GOV.UK Notify answered {error.status_code} {message}".replace(mail.to, "<address>")


def _classified(error: HTTPError, mail: ClaimedMail) -> MailDeferred | MailRefused:
    if error.response is None:
        # No answer at all: the client reports a connection error or timeout as a 503.
        cause = type(error.__cause__).__name__ if error.__cause__ is not None else "no answer"
        return MailDeferred(f"GOV.UK Notify did not answer ({cause})")
    status = error.status_code
    if status == 403:
        return MailDeferred(
            f"{_reason(error, mail)}; check NOTIFY_API_KEY (and the server's clock)",
            needs_operator=True,
        )
    if 400 <= status < 500 and status not in RETRIED_STATUSES:
        return MailRefused(_reason(error, mail))
    return MailDeferred(_reason(error, mail))
