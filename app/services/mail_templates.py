"""Every email the portal sends, declared once: its kind, subject and paragraphs, written with
GOV.UK Notify's ((placeholders)).

The same declaration renders the SMTP text and HTML (`render`), names the personalisation each
GOV.UK Notify template needs (`MailTemplate.placeholders`), and is what docs/OPERATIONS.md asks
operators to paste into Notify. Placeholders hold the recipient's own name, codes, references,
dates and links to the portal: never a child's or family's personal data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

SERVICE_NAME = "Children's Portal"
# Every message gets these, whether or not its template uses them (Notify ignores the rest).
COMMON_PLACEHOLDERS = (
    "service_name",
    "council_name",
    "hub_name",
    "hub_phone",
    "mash_phone",
    "out_of_hours_phone",
)
SIGNATURE = "((council_name)) ((hub_name))"
MAX_KIND_LENGTH = 40

_PLACEHOLDER = re.compile(r"\(\(([a-z_]+)\)\)")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class MailTemplate:
    """One kind of email: who gets it and when, and its words with ((placeholders))."""

    kind: str
    sent_to: str
    subject: str
    paragraphs: tuple[str, ...]

    @property
    def setting(self) -> str:
        """The environment variable holding this template's GOV.UK Notify id."""
        return "NOTIFY_TEMPLATE_" + self.kind.upper().replace("-", "_")

    @property
    def body(self) -> str:
        """The body as GOV.UK Notify holds it: paragraphs apart by a blank line, signed."""
        return "\n\n".join([*self.paragraphs, SIGNATURE])

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The personalisation this template needs, in the order it first uses them."""
        found = _PLACEHOLDER.findall(self.subject + "\n" + self.body)
        return tuple(dict.fromkeys(found))

    def render(self, personalisation: Mapping[str, str]) -> RenderedMail:
        """The email as SMTP sends it. Raises KeyError naming a placeholder left without a
        value."""
        missing = [name for name in self.placeholders if name not in personalisation]
        if missing:
            raise KeyError(f"{self.kind} email needs {', '.join(missing)}")

        def fill(text: str) -> str:
            # One pass: a value that looks like a placeholder stays as it is.
            return _PLACEHOLDER.sub(lambda match: personalisation[match.group(1)], text)

        paragraphs = [fill(paragraph) for paragraph in [*self.paragraphs, SIGNATURE]]
        html = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
        return RenderedMail(
            subject=fill(self.subject),
            text="\n\n".join(paragraphs) + "\n",
            html=f'<!DOCTYPE html><html lang="en"><body>{html}</body></html>',
        )


TEMPLATES: dict[str, MailTemplate] = {
    template.kind: template
    for template in (
        MailTemplate(
            kind="registration-code",
            sent_to="someone registering, to confirm their email address",
            subject="((service_name)): your code to finish registering",
            paragraphs=(
                "Your code is ((code))",
                "Enter it on the ((service_name)) page where you registered. It expires in 15 "
                "minutes.",
                "If you did not try to register, you can ignore this email.",
            ),
        ),
        MailTemplate(
            kind="already-registered",
            sent_to="someone who tried to register with an address that already has an account",
            subject="((service_name)): someone tried to register with your email address",
            paragraphs=(
                "Dear ((name)),",
                "Someone tried to register for the ((service_name)) with this email address, "
                "which already has an account.",
                "If it was you, sign in at ((sign_in_url)) . If you have forgotten your "
                "password, reset it at ((reset_url)) .",
                "If it was not you, you do not need to do anything: your account has not changed.",
            ),
        ),
        MailTemplate(
            kind="password-reset-code",
            sent_to="someone who asked to reset a forgotten password",
            subject="((service_name)): your code to reset your password",
            paragraphs=(
                "Dear ((name)),",
                "Your code is ((code))",
                "Enter it on the Forgotten Password page. It expires in 15 minutes.",
                "If you did not ask to reset your password, you can ignore this email: your "
                "password has not changed.",
            ),
        ),
        MailTemplate(
            kind="password-changed",
            sent_to="someone whose password was changed or reset",
            subject="((service_name)): your password has been changed",
            paragraphs=(
                "Dear ((name)),",
                "The password for your ((service_name)) account was changed, and you have been "
                "signed out everywhere else.",
                "If you did not do this, reset your password at ((reset_url)) straight away and "
                "tell the ((hub_name)).",
            ),
        ),
        MailTemplate(
            kind="sign-in-paused",
            sent_to="someone whose account had too many wrong passwords",
            subject="((service_name)): sign-in attempts to your account have been paused",
            paragraphs=(
                "Dear ((name)),",
                "Someone has tried to sign in to your account with the wrong password many "
                "times. We have paused sign-in to your account for 15 minutes.",
                "If this was not you, reset your password at ((reset_url)) and tell the "
                "((hub_name)).",
            ),
        ),
        MailTemplate(
            kind="referral-sent",
            sent_to="the referrer, when their Early Help Assessment has been sent",
            subject="((service_name)): Early Help Assessment ((reference)) has been sent",
            paragraphs=(
                "Dear ((name)),",
                "Your Early Help Assessment ((reference)) was sent to the ((hub_name)) on "
                "((sent_on)).",
                "The ((hub_name)) will read it and send you a message through the "
                "((service_name)) about what happens next. We will email you when there is a "
                "message. Sign in at ((sign_in_url)) to read it.",
                "If you need to talk to the hub about this referral, call ((hub_phone)) and "
                "quote ((reference)). If you are worried that a child is at immediate risk of "
                "harm, call the MASH on ((mash_phone)) (out of hours ((out_of_hours_phone))) or "
                "the police on 999.",
            ),
        ),
        MailTemplate(
            kind="hub-new-referral",
            sent_to="the hub's shared inbox (HUB_NOTIFY_EMAIL), when a referral arrives",
            subject="((service_name)): New Early Help Assessment ((reference))",
            paragraphs=(
                "A new Early Help Assessment, ((reference)), has been sent to the ((hub_name)).",
                "Sign in to the ((service_name)) at ((sign_in_url)) to read it.",
            ),
        ),
        MailTemplate(
            kind="hub-message",
            sent_to="the referrer, when the hub sends them a message about a referral",
            subject="((service_name)): you have a new message about referral ((reference))",
            paragraphs=(
                "Dear ((name)),",
                "The ((hub_name)) has sent you a message about referral ((reference)).",
                "To read it, sign in to the ((service_name)) at ((sign_in_url)) and open "
                "Submitted Forms.",
            ),
        ),
        MailTemplate(
            kind="referrer-reply",
            sent_to="the hub's shared inbox (HUB_NOTIFY_EMAIL), when a referrer replies",
            subject="((service_name)): a reply about referral ((reference))",
            paragraphs=(
                "The referrer has replied about referral ((reference)).",
                "Sign in to the ((service_name)) at ((sign_in_url)) to read it.",
            ),
        ),
        MailTemplate(
            kind="draft-reminder",
            sent_to="the owner of a draft, before it is deleted for not being saved",
            subject="((service_name)): your draft ((reference)) will be deleted on "
            "((deletion_date))",
            paragraphs=(
                "Dear ((name)),",
                "You started an Early Help Assessment, ((reference)), and have not sent it. "
                "Drafts are deleted ((retention_days)) days after they were last saved, so this "
                "one will be deleted on ((deletion_date)).",
                "To keep it, sign in and save it again, or send it: ((draft_url)) . You can also "
                "find it under Recover a form in the ((service_name)).",
                "If you no longer need it, you do not need to do anything.",
            ),
        ),
    )
}
MAIL_KINDS: tuple[str, ...] = tuple(TEMPLATES)


def template_for(kind: str) -> MailTemplate:
    """The declaration of `kind`; KeyError for a kind the portal does not send."""
    return TEMPLATES[kind]
