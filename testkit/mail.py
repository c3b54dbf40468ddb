"""A real SMTP server (aiosmtpd) that keeps every message the portal sends during the run."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class CapturedMail:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class MailCapture:
    """aiosmtpd handler: stores messages; `latest_to` waits for one without sleeping."""

    def __init__(self) -> None:
        self.messages: list[CapturedMail] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            recipients = tuple(address.lower() for address in envelope.rcpt_tos)
            self.messages.append(CapturedMail(recipients, message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def all_to(self, address: str) -> list[CapturedMail]:
        with self._arrived:
            return [m for m in self.messages if address.lower() in m.recipients]

    def latest_to(self, address: str, *, after: int = 0, timeout: float = 15) -> CapturedMail:
        """The newest message to `address`, waiting for the count to pass `after`."""

        def arrived() -> bool:
            return len([m for m in self.messages if address.lower() in m.recipients]) > after

        with self._arrived:
            if not self._arrived.wait_for(arrived, timeout=timeout):
                raise AssertionError(f"no mail to {address} within {timeout}s")
            return [m for m in self.messages if address.lower() in m.recipients][-1]


def start_mail_server(port: int, host: str = "127.0.0.1") -> tuple[Controller, MailCapture]:
    capture = MailCapture()
    controller = Controller(capture, hostname=host, port=port)
    controller.start()
    return controller, capture
