"""The mail server the journeys read codes and notifications from."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from testkit.mail import MailCapture


def test_mail_sent_over_smtp_is_captured_for_its_recipient(mail_server: MailCapture) -> None:
    before = len(mail_server.all_to("reader@school.example"))
    message = EmailMessage()
    message["From"] = "portal@council.example"
    message["To"] = "Reader@School.example"
    message["Subject"] = "Your code"
    message.set_content("Your code is 123456")
    with smtplib.SMTP("127.0.0.1", mail_server.port) as smtp:  # type: ignore[attr-defined]
        smtp.send_message(message)
    mail = mail_server.latest_to("reader@school.example", after=before)
    assert mail.subject == "Your code"
    assert "123456" in mail.text()
