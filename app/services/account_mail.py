"""The emails accounts send. None of them holds a child's or family's personal data: only the
recipient's own name, a code, and links to the portal.
"""

from __future__ import annotations

from html import escape

from sqlalchemy.orm import Session

from app.models import User
from app.services.mail import enqueue_mail
from app.settings import Settings

SERVICE = "Children's Portal"


def compose(
    session: Session, settings: Settings, *, to: str, subject: str, paragraphs: list[str]
) -> None:
    signature = f"{settings.council_name} {settings.hub_name}"
    text = "\n\n".join([*paragraphs, signature]) + "\n"
    html = "".join(f"<p>{escape(p)}</p>" for p in [*paragraphs, signature])
    enqueue_mail(
        session,
        to=to,
        subject=f"{SERVICE}: {subject}",
        text=text,
        html=f'<!DOCTYPE html><html lang="en"><body>{html}</body></html>',
    )


def registration_code(session: Session, settings: Settings, *, to: str, code: str) -> None:
    compose(
        session,
        settings,
        to=to,
        subject="your code to finish registering",
        paragraphs=[
            f"Your code is {code}",
            f"Enter it on the {SERVICE} page where you registered. It expires in 15 minutes.",
            "If you did not try to register, you can ignore this email.",
        ],
    )


def already_registered(session: Session, settings: Settings, *, user: User) -> None:
    compose(
        session,
        settings,
        to=user.email,
        subject="someone tried to register with your email address",
        paragraphs=[
            f"Dear {user.full_name},",
            f"Someone tried to register for the {SERVICE} with this email address, which "
            "already has an account.",
            f"If it was you, sign in at {settings.base_url}/login . If you have forgotten your "
            f"password, reset it at {settings.base_url}/forgotten-password .",
            "If it was not you, you do not need to do anything: your account has not changed.",
        ],
    )


def reset_code(session: Session, settings: Settings, *, user: User, code: str) -> None:
    compose(
        session,
        settings,
        to=user.email,
        subject="your code to reset your password",
        paragraphs=[
            f"Dear {user.full_name},",
            f"Your code is {code}",
            "Enter it on the Forgotten Password page. It expires in 15 minutes.",
            "If you did not ask to reset your password, you can ignore this email: your "
            "password has not changed.",
        ],
    )


def password_changed(session: Session, settings: Settings, *, user: User) -> None:
    compose(
        session,
        settings,
        to=user.email,
        subject="your password has been changed",
        paragraphs=[
            f"Dear {user.full_name},",
            f"The password for your {SERVICE} account was changed, and you have been signed "
            "out everywhere else.",
            f"If you did not do this, reset your password at {settings.base_url}"
            f"/forgotten-password straight away and tell the {settings.hub_name}.",
        ],
    )


def sign_in_throttled(session: Session, settings: Settings, *, user: User) -> None:
    compose(
        session,
        settings,
        to=user.email,
        subject="sign-in attempts to your account have been paused",
        paragraphs=[
            f"Dear {user.full_name},",
            "Someone has tried to sign in to your account with the wrong password many times. "
            "We have paused sign-in to your account for 15 minutes.",
            "If this was not you, reset your password at "
            f"{settings.base_url}/forgotten-password and tell the {settings.hub_name}.",
        ],
    )
