"""Composing the portal's emails, and the ones accounts send. None of them holds a child's or
family's personal data: only the recipient's own name, a code, and links to the portal.

Every email's words are declared once in `app.services.mail_templates`; `compose` queues one
with its kind and personalisation, so that either SMTP (the text rendered here) or GOV.UK
Notify (its own copy of the template) can send it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from app.models import User
from app.services.mail import enqueue_mail
from app.services.mail_templates import SERVICE_NAME, template_for
from app.settings import Settings


def common_personalisation(settings: Settings) -> dict[str, str]:
    """What every email's personalisation holds: the service, council and hub, and the
    numbers to call."""
    return {
        "service_name": SERVICE_NAME,
        "council_name": settings.council_name,
        "hub_name": settings.hub_name,
        "hub_phone": settings.hub_phone,
        "mash_phone": settings.mash_phone,
        "out_of_hours_phone": settings.out_of_hours_phone,
    }


def compose(
    session: Session,
    settings: Settings,
    *,
    to: str,
    kind: str,
    personalisation: Mapping[str, str],
) -> None:
    """Queue an email of `kind` to `to`, rendered from its template with `personalisation`
    and the common values. Raises KeyError for an unknown kind or a placeholder left without
    a value, and ValueError for a value the template does not use (nothing extra is stored)."""
    template = template_for(kind)
    unused = sorted(set(personalisation) - set(template.placeholders))
    if unused:
        raise ValueError(f"{kind} email does not use {', '.join(unused)}")
    values = {**common_personalisation(settings), **personalisation}
    rendered = template.render(values)
    enqueue_mail(
        session,
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=kind,
        personalisation=values,
    )


def sign_in_url(settings: Settings) -> str:
    return f"{settings.base_url}/login"


def reset_url(settings: Settings) -> str:
    return f"{settings.base_url}/forgotten-password"


def registration_code(session: Session, settings: Settings, *, to: str, code: str) -> None:
    compose(session, settings, to=to, kind="registration-code", personalisation={"code": code})


def already_registered(session: Session, settings: Settings, *, user: User) -> None:
    compose(
        session,
        settings,
        to=user.email,
        kind="already-registered",
        personalisation={
            "name": user.full_name,
            "sign_in_url": sign_in_url(settings),
            "reset_url": reset_url(settings),
        },
    )


def reset_code(session: Session, settings: Settings, *, user: User, code: str) -> None:
    compose(
        session,
        settings,
        to=user.email,
        kind="password-reset-code",
        personalisation={"name": user.full_name, "code": code},
    )


def password_changed(session: Session, settings: Settings, *, user: User) -> None:
    compose(
        session,
        settings,
        to=user.email,
        kind="password-changed",
        personalisation={"name": user.full_name, "reset_url": reset_url(settings)},
    )


def sign_in_throttled(session: Session, settings: Settings, *, user: User) -> None:
    compose(
        session,
        settings,
        to=user.email,
        kind="sign-in-paused",
        personalisation={"name": user.full_name, "reset_url": reset_url(settings)},
    )
