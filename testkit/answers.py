"""A whole Early Help Assessment's answers as a referrer posts them (every section, a family of
six, four current services, the eight long answers of 5.9), and saving them into a draft
through the app's own services: for the PDF benchmark, the load scenes and the tests that need
a filled form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData

from app.assessment import engine
from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.models import Referral, SectionAnswers
from app.services.answers import save_section

# Your Details (5.1) as a health visitor fills them in: the one copy every test, journey and
# benchmark starts from.
YOUR_DETAILS: dict[str, str] = {
    "referrer_phone": "01895250111",
    "referrer_job_title": "Health visitor",
    "referrer_organisation": "Uxbridge Health Centre",
    "referrer_organisation_type": "health",
    "professional_capacity": "confirmed",
    "relationship_to_child": "Health visitor",
    "child_forename": "Sam",
    "child_surname": "Smith",
    "child_dob-day": "29",
    "child_dob-month": "2",
    "child_dob-year": "2020",
    "child_gender": "female",
    "child_ethnicity": "white-british",
    "child_nhs_number": "943 476 5919",
    "child_address-mode": "manual",
    "child_address-line1": "3 Ashgrove Road",
    "child_address-town": "Uxbridge",
    "child_address-postcode": "UB8 9EP",
}
LONG_ANSWER = (
    "The family moved to the area in the spring and the children started at new schools. "
    "Mum works shifts and older siblings look after the younger ones after school. "
) * 12  # about 2,000 characters, a long answer as professionals write them

MEMBERS = [
    ("Ann", "Smith", "mother", "yes"),
    ("Bob", "Smith", "father", "no"),
    ("Cat", "Smith", "sister", "yes"),
    ("Dan", "Smith", "brother", "yes"),
    ("Eve", "Jones", "grandparent", "no"),
    ("Fay", "Jones", "aunt", "no"),
]
SERVICES = ["School nurse", "CAMHS", "Youth Justice Service", "Housing"]


def form_of(fields: Mapping[str, Any]) -> FormData:
    """Form fields as a browser posts them (a list is a repeated field), as the app reads them."""
    return FormData(
        [
            (name, value)
            for name, values in fields.items()
            for value in (values if isinstance(values, list) else [values])
        ]
    )


def posted_answers() -> dict[str, dict[str, Any]]:
    """Every section's fields, as a referrer would post them."""
    family: dict[str, Any] = {"family_members-item": []}
    for number, (forename, surname, relationship, lives) in enumerate(MEMBERS):
        key = f"{number:08x}"
        family["family_members-item"].append(key)
        prefix = f"family_members-{key}-"
        family.update(
            {
                prefix + "forename": forename,
                prefix + "surname": surname,
                prefix + "date_of_birth-day": "12",
                prefix + "date_of_birth-month": "3",
                prefix + "date_of_birth-year": str(1960 + number * 7),
                prefix + "relationship": relationship,
                prefix + "lives_with_child": lives,
                prefix + "address-line1": f"{number + 1} Station Road",
                prefix + "address-town": "Hayes",
                prefix + "address-postcode": "UB3 4DS",
                prefix + "parental_responsibility": "not-known",
                prefix + "phone": "07700 900123",
                prefix + "language": "English",
                prefix + "notes": LONG_ANSWER[:400],
            }
        )
    services: dict[str, Any] = {"current_services-item": [], "previous_services_known": "none"}
    for number, name in enumerate(SERVICES):
        key = f"{number:08x}"
        services["current_services-item"].append(key)
        prefix = f"current_services-{key}-"
        services.update(
            {
                prefix + "service": name,
                prefix + "worker_name": "Alex Worker",
                prefix + "role": "Key worker",
                prefix + "phone": "01895 250111",
                prefix + "email": "worker@agency.example.org",
                prefix + "involved_since-day": "1",
                prefix + "involved_since-month": "9",
                prefix + "involved_since-year": "2025",
            }
        )
    return {
        "your-details": dict(YOUR_DETAILS),
        "family": family,
        "request-for-support": {"services": ["send", "stronger-families"]},
        "services": services,
        "family-assessment": {
            question.id: LONG_ANSWER
            for section in ASSESSMENT.sections
            if section.id == "family-assessment"
            for question in section.questions
        },
    }


def fill(url: str, reference: str) -> None:
    """Save every section of the referral with `posted_answers`, through the app's services."""
    save_fields(url, reference, posted_answers())


def save_fields(
    url: str,
    reference: str,
    posted: Mapping[str, Mapping[str, Any]],
    *,
    status: str = engine.IN_PROGRESS,
    now: datetime | None = None,
) -> None:
    """Save sections of the referral from fields as a browser posts them ({section id:
    fields}), through the app's services."""
    database = create_database_engine(url)
    try:
        with create_session_factory(database)() as session:
            referral = session.scalars(
                select(Referral).where(Referral.reference == reference)
            ).one()
            for section_id, fields in posted.items():
                section = ASSESSMENT.section(section_id)
                assert section is not None, section_id
                answers = engine.answers_from_form(section, form_of(fields))
                existing = session.scalar(
                    select(SectionAnswers.version).where(
                        SectionAnswers.referral_id == referral.id,
                        SectionAnswers.section_id == section_id,
                    )
                )
                save_section(
                    session,
                    referral,
                    section,
                    answers,
                    expected_version=existing or 0,
                    status=status,
                    now=now or datetime.now(UTC),
                )
            session.commit()
    finally:
        database.dispose()
