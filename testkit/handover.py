"""Sent referrals of different shapes, and API tokens, for the tests of the hand-over to a case
system (the export, the API and the inbox's CSV). Referrals are started, given documents and
read through the app; their answers are saved and they are sent through the app's services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.models import Referral, User
from app.services.api_tokens import create_token, revoke_token
from app.services.submission import submit
from app.settings import Settings
from testkit.answers import YOUR_DETAILS, posted_answers, save_fields
from testkit.journeys import csrf_token_from, start_referral

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FAMILY_ASSESSMENT = {
    question.id: f"In the family's words: {question.id.replace('_', ' ')}."
    for section in ASSESSMENT.sections
    if section.id == "family-assessment"
    for question in section.questions
}
CONSENT = {
    "consent_sought": "yes",
    "consent_type": "written",
    "consent_given_by": "Ann Smith, mother",
    "consent_date-day": "2",
    "consent_date-month": "11",
    "consent_date-year": "2026",
}

# A family of six, four services involved now, SEND asked for (so its section is shown).
WHOLE_FAMILY: dict[str, dict[str, Any]] = {
    **posted_answers(),
    "consent": CONSENT,
    "additional-details": {"has_disability": "no", "has_sen": "yes", "sen_details": "EHC plan"},
    "send-information": {
        "send_areas_of_need": ["communication-interaction", "sensory-physical"],
        "send_support_status": "sen-support",
        "send_tried": "A reading group and a quiet space at lunch.",
    },
    "family-assessment": FAMILY_ASSESSMENT,
}
# Not born yet; only the Participation Team, about a child missing education (so no consent
# is needed); nobody in the family table; services involved before, none now.
UNBORN_MISSING_EDUCATION: dict[str, dict[str, Any]] = {
    "your-details": {
        **{k: v for k, v in YOUR_DETAILS.items() if not k.startswith("child_dob")},
        "child_born": "no",
        "child_due_date-day": "20",
        "child_due_date-month": "1",
        "child_due_date-year": "2027",
    },
    "family": {},
    "request-for-support": {"services": "participation"},
    "participation-team": {
        "support_type": "missing-education",
        "cme_last_attended-day": "2",
        "cme_last_attended-month": "10",
        "cme_last_attended-year": "2026",
        "cme_last_school": "Hillside Primary",
        "cme_whereabouts": "Thought to be staying with an aunt in Slough.",
        "cme_reasons": "The family moved without telling the school.",
    },
    "services": {
        "previous_services_known": "yes",
        "previous_services-item": "0000abcd",
        "previous_services-0000abcd-service": "Health visiting",
        "previous_services-0000abcd-involved_since-day": "1",
        "previous_services-0000abcd-involved_since-month": "9",
        "previous_services-0000abcd-involved_since-year": "2024",
    },
    "family-assessment": FAMILY_ASSESSMENT,
}
# Attendance, with Stronger Families too; no tables filled in at all.
ATTENDANCE_NO_TABLES: dict[str, dict[str, Any]] = {
    "your-details": dict(YOUR_DETAILS),
    "family": {},
    "request-for-support": {"services": ["stronger-families", "participation"]},
    "consent": CONSENT,
    "participation-team": {
        "support_type": "attendance",
        "attendance_school": "Hillside Primary",
        "attendance_percentage": "71.5",
        "attendance_period": "autumn term 2026",
        "attendance_letters_sent": "no",
        "attendance_actions": "Two meetings with mum.",
    },
    "services": {"previous_services_known": "none"},
    "family-assessment": FAMILY_ASSESSMENT,
}
SHAPES = {
    "whole-family": WHOLE_FAMILY,
    "unborn-missing-education": UNBORN_MISSING_EDUCATION,
    "attendance-no-tables": ATTENDANCE_NO_TABLES,
}


def upload(client: TestClient, reference: str, filename: str, data: bytes = PDF) -> None:
    token = csrf_token_from(client.get(f"/referrals/{reference}/documents").text)
    response = client.post(
        f"/referrals/{reference}/documents",
        data={"csrf_token": token, "description": "From the school"},
        files=[("documents", (filename, data, "application/pdf"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def send_referral(
    client: TestClient,
    settings: Settings,
    fields: Mapping[str, Mapping[str, Any]],
    *,
    forename: str,
    surname: str,
    now: datetime,
    documents: tuple[str, ...] = (),
) -> str:
    """A referral by the referrer signed in on `client`, answered with `fields` (sections as
    a browser posts them), with `documents` attached, sent at `now`; returns its reference."""
    reference = start_referral(client, forename, surname)
    named = {
        section: (
            {**answers, "child_forename": forename, "child_surname": surname}
            if section == "your-details"
            else answers
        )
        for section, answers in fields.items()
    }
    save_fields(settings.database_url, reference, named, status="completed", now=now)
    for filename in documents:
        upload(client, reference, filename)
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            referral = session.scalars(
                select(Referral).where(Referral.reference == reference)
            ).one()
            owner = session.get(User, referral.owner_id)
            assert owner is not None
            assert submit(session, settings, referral, owner, now=now)
            session.commit()
    finally:
        engine.dispose()
    return reference


def api_token(settings: Settings, name: str, *, now: datetime, revoked: bool = False) -> str:
    """An API token made as `portal create-api-token` makes it (and revoked, if asked)."""
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            token = create_token(session, name, now=now)
            if revoked:
                revoke_token(session, name, now=now)
            session.commit()
            return token
    finally:
        engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
