"""Sending an assessment to the hub (help guide 5.11), exactly once.

`submit` turns a draft into a submitted referral in one transaction: the referral's status and
time, the `referral_submission` row (whose primary key is the referral, so the database itself
refuses a second one), the services it asks for (for the hub's reports), the audit event, and
the two emails in the outbox. Whatever arrives
twice (a double click, two tabs, a browser retry, a form sent again without JavaScript) finds
the referral already sent and changes nothing; no second email is queued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.assessment.reference import (
    REQUEST_FOR_SUPPORT_QUESTION,
    REQUEST_FOR_SUPPORT_SECTION,
    SERVICES,
)
from app.models import Referral, ReferralService, ReferralSubmission, SectionAnswers, User
from app.services.account_mail import compose, sign_in_url
from app.services.audit import Event, Origin, record_event
from app.services.child_matches import keep_match_fields
from app.services.referrals import DRAFT, RECEIVED, SUBMITTED
from app.settings import Settings
from app.templating import uk_datetime


def submit(
    session: Session,
    settings: Settings,
    referral: Referral,
    user: User,
    *,
    now: datetime,
    origin: Origin | None = None,
) -> bool:
    """Send the referral to the hub: True if this call sent it, False if it had been sent
    already (by this call's twin). The caller has checked the answers, and commits."""
    result = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == DRAFT)
        .values(status=SUBMITTED, submitted_at=now, updated_at=now, hub_status=RECEIVED)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        session.refresh(referral)
        return False
    try:
        with session.begin_nested():
            session.add(
                ReferralSubmission(
                    referral_id=referral.id, submitted_at=now, submitted_by_id=user.id
                )
            )
    except IntegrityError:
        # Recorded already (the savepoint is rolled back): the referral's status said otherwise
        # only if someone changed it by hand. The database keeps it to one submission.
        session.refresh(referral)
        return False
    session.refresh(referral)
    keep_match_fields(session, referral)
    keep_services_asked_for(session, referral)
    record_event(
        session,
        Event.REFERRAL_SUBMITTED,
        actor_user_id=user.id,
        subject_type="referral",
        subject_id=referral.reference,
        origin=origin,
        details={"referral_option": referral.referral_option},
    )
    confirmation_mail(session, settings, referral, user)
    if settings.hub_notify_email:
        hub_mail(session, settings, referral)
    return True


def keep_services_asked_for(session: Session, referral: Referral) -> None:
    """One `referral_service` row for each service the referral asks for in Request for
    Support, for the hub's reports: written as it is sent, never for a draft."""
    stored = session.scalar(
        select(SectionAnswers.answers).where(
            SectionAnswers.referral_id == referral.id,
            SectionAnswers.section_id == REQUEST_FOR_SUPPORT_SECTION,
        )
    )
    chosen = stored.get(REQUEST_FOR_SUPPORT_QUESTION) if isinstance(stored, dict) else None
    known = {code for code, _label in SERVICES}
    services = dict.fromkeys(
        code
        for code in (chosen if isinstance(chosen, list) else [])
        if isinstance(code, str) and code in known
    )
    if services:
        session.execute(
            insert(ReferralService),
            [{"referral_id": referral.id, "service": code} for code in services],
        )


def confirmation_mail(session: Session, settings: Settings, referral: Referral, user: User) -> None:
    """To the referrer: the reference and how to reach the hub. No child or family data."""
    assert referral.submitted_at is not None
    compose(
        session,
        settings,
        to=user.email,
        kind="referral-sent",
        personalisation={
            "name": user.full_name,
            "reference": referral.reference,
            "sent_on": uk_datetime(referral.submitted_at),
            "sign_in_url": sign_in_url(settings),
        },
    )


def hub_mail(session: Session, settings: Settings, referral: Referral) -> None:
    """To the hub's mailbox: that a referral has arrived. No child or family data."""
    compose(
        session,
        settings,
        to=settings.hub_notify_email,
        kind="hub-new-referral",
        personalisation={"reference": referral.reference, "sign_in_url": sign_in_url(settings)},
    )
