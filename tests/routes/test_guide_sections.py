"""The sections as the help guide describes them (5.1 to 5.5): mandatory only where the guide
or the hub needs it, consent not needed for attendance or a child missing education (5.4),
sections started for the user said to be so, the referrer's own details remembered from their
last referral, and "Saved" honest about answers saved as typed that need checking."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import Referral
from app.settings import Settings
from testkit.answers import YOUR_DETAILS
from testkit.journeys import (
    complete_section,
    csrf_token_from,
    post,
    register,
    start_referral,
)
from tests.routes.test_assessment import stored, version_on

EMAIL = "mary.seacole@health.example.org"


def section_url(reference: str, section: str) -> str:
    return f"/referrals/{reference}/sections/{section}"


def submit(
    client: TestClient, reference: str, section: str, fields: dict[str, str | list[str]]
) -> httpx.Response:
    """Post the section page's form as it stands now (its token and version) with `fields`."""
    page = client.get(section_url(reference, section)).text
    data = {"csrf_token": csrf_token_from(page), "version": version_on(page), **fields}
    return client.post(section_url(reference, section), data=data, follow_redirects=False)


def autosave(
    client: TestClient, reference: str, section: str, fields: dict[str, str]
) -> httpx.Response:
    page = client.get(section_url(reference, section)).text
    return client.post(
        f"{section_url(reference, section)}/autosave",
        data={"version": version_on(page), **fields},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
    )


def task_item(page: str, title: str) -> str:
    """One row of the task list, from its title to the next row."""
    found = re.search(rf">\s*{re.escape(title)}\s*</a>", page)
    assert found, title
    start = found.start()
    end = page.find('<li class="govuk-task-list__item', start)
    return page[start : end if end != -1 else None]


def start_attendance_referral(client: TestClient) -> str:
    response = post(
        client,
        "/start/attendance",
        child_forename="Kim",
        child_surname="Lee",
        participation_type="attendance",
    )
    return response.headers["location"].split("/")[2]


# Mandatory only where needed ------------------------------------------------------------------


def test_the_guides_unasked_questions_do_not_block_next(
    client: TestClient, settings: Settings
) -> None:
    """Job title, organisation and its type, any family member, disability and SEN yes or no:
    none is mandatory; each is marked (optional) where it is asked."""
    register(client, settings, EMAIL)
    reference = start_referral(client)
    details = {
        name: value
        for name, value in YOUR_DETAILS.items()
        if name not in {"referrer_job_title", "referrer_organisation"}
    }
    assert (
        submit(client, reference, "your-details", {**details, "action": "next"}).status_code == 303
    )
    page = client.get(section_url(reference, "your-details")).text
    assert "Your job title (optional)" in page and "Your organisation (optional)" in page
    assert "What type of organisation do you work for? (optional)" in page
    assert submit(client, reference, "family", {"action": "next"}).status_code == 303
    additional = client.get(section_url(reference, "additional-details")).text
    assert "Does the child have any disabilities or special needs? (optional)" in additional
    assert "Does the child have special educational needs? (optional)" in additional
    assert submit(client, reference, "additional-details", {"action": "next"}).status_code == 303
    # Details are still asked for once "Yes" is chosen.
    response = submit(client, reference, "additional-details", {"has_sen": "yes", "action": "next"})
    assert response.status_code == 422
    assert "Enter give details of the special educational needs" not in response.text
    assert 'href="#sen_details"' in response.text


def test_the_date_of_birth_is_asked_of_every_child_unless_not_born_yet_is_ticked(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    page = client.get(section_url(reference, "your-details")).text
    # No "Has the child been born?" to answer first: the date of birth is on the page, and the
    # due date waits under a checkbox.
    assert "Has the child been born?" not in page
    assert 'id="child_dob-day"' in page
    assert "The child is not born yet" in page
    assert page.index('id="child_dob-day"') < page.index('id="child_due_date-day"')
    assert re.search(r'class="govuk-checkboxes__conditional[^"]*"[^>]*>\s*', page)


def test_the_consent_explanation_is_needed_only_for_another_reason(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    not_sought = {"consent_sought": "no", "action": "next"}
    harm = {**not_sought, "consent_not_sought_reason": "risk-of-harm"}
    assert submit(client, reference, "consent", harm).status_code == 303
    other = {**not_sought, "consent_not_sought_reason": "other"}
    response = submit(client, reference, "consent", other)
    assert response.status_code == 422
    assert 'href="#consent_not_sought_details">Explain why consent has not been sought' in (
        response.text
    )
    explained = {**other, "consent_not_sought_details": "The family has moved abroad"}
    assert submit(client, reference, "consent", explained).status_code == 303


def test_consent_is_not_needed_for_attendance_or_a_child_missing_education(
    client: TestClient, settings: Settings
) -> None:
    """Guide 5.4: a referral only to the Participation Team (attendance, children missing
    education) needs no consent: the section says so and completes with nothing answered."""
    register(client, settings, EMAIL)
    reference = start_attendance_referral(client)
    page = client.get(section_url(reference, "consent")).text
    assert "Consent is not needed for this referral" in page
    assert "(optional)" in page
    response = submit(client, reference, "consent", {"action": "next"})
    assert response.status_code == 303
    assert stored(settings, "consent").status == "completed"
    # Recorded anyway, a bad date is still a problem.
    response = submit(
        client,
        reference,
        "consent",
        {
            "consent_sought": "yes",
            "consent_date-day": "31",
            "consent_date-month": "2",
            "consent_date-year": "2026",
            "action": "next",
        },
    )
    assert response.status_code == 422 and 'href="#consent_date-day"' in response.text
    # Asking another service too makes consent needed again.
    submit(
        client,
        reference,
        "request-for-support",
        {"services": ["participation", "portage"], "action": "next"},
    )
    page = client.get(section_url(reference, "consent")).text
    assert "Consent is not needed for this referral" not in page
    response = submit(client, reference, "consent", {"action": "next"})
    assert response.status_code == 422 and 'href="#consent_sought"' in response.text


def test_an_early_help_referral_still_needs_consent(client: TestClient, settings: Settings) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    assert "Consent is not needed" not in client.get(section_url(reference, "consent")).text
    assert submit(client, reference, "consent", {"action": "next"}).status_code == 422


# Started for you ------------------------------------------------------------------------------


def test_sections_filled_in_from_the_start_are_started_for_you_until_saved(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_attendance_referral(client)
    contents = client.get(f"/referrals/{reference}").text
    for title in ("Referrer and child details", "Request for Support", "Participation Team"):
        assert "Started for you" in task_item(contents, title), title
    assert "Not started" in task_item(contents, "Consent")
    assert "In progress" not in contents
    page = client.get(section_url(reference, "participation-team")).text
    assert "Some answers on this page were filled in for you" in page
    # Opening a section changes nothing; saving it makes it the user's.
    assert "Started for you" in task_item(
        client.get(f"/referrals/{reference}").text, "Participation Team"
    )
    saved = autosave(client, reference, "participation-team", {"support_type": "attendance"})
    assert saved.status_code == 200, saved.text
    contents = client.get(f"/referrals/{reference}").text
    assert "In progress" in task_item(contents, "Participation Team")
    assert "Started for you" in task_item(contents, "Request for Support")
    page = client.get(section_url(reference, "participation-team")).text
    assert "Some answers on this page were filled in for you" not in page


def test_the_referrers_own_details_are_remembered_from_their_last_referral(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    first = start_referral(client)
    # A first referral has nothing to remember.
    page = client.get(section_url(first, "your-details")).text
    assert 'value="Uxbridge Health Centre"' not in page
    complete_section(client, first, "your-details", YOUR_DETAILS)
    second = start_referral(client, "Kim", "Lee")
    page = client.get(section_url(second, "your-details")).text
    assert 'name="referrer_phone" type="tel" value="01895 250111"' in page or (
        'value="01895 250111"' in page
    )
    assert 'value="Health visitor"' in page and 'value="Uxbridge Health Centre"' in page
    # The child's details are never carried over.
    assert 'value="Kim"' in page and 'value="Sam"' not in page
    assert 'value="943 476 5919"' not in page and "3 Ashgrove Road" not in page
    # Someone else's referrals are not theirs to remember.
    client.cookies.clear()
    register(client, settings, "ada.lovelace@school.example.org")
    other = start_referral(client)
    assert (
        'value="Uxbridge Health Centre"' not in client.get(section_url(other, "your-details")).text
    )


# Saved, and honest about it -----------------------------------------------------------------


def test_autosave_names_the_answers_that_need_checking_with_links(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    response = autosave(client, reference, "your-details", {"child_nhs_number": "943 476 5918"})
    assert response.status_code == 200
    assert "Saved at" in response.text
    assert "This answer needs checking:" in response.text
    assert re.search(r'<a class="govuk-link" href="#child_nhs_number">[^<]+</a>', response.text)
    # Saved as typed all the same.
    assert stored(settings, "your-details").answers["child_nhs_number"] == "943 476 5918"
    # A good answer: just "Saved".
    response = autosave(client, reference, "your-details", {"child_nhs_number": "943 476 5919"})
    assert "Saved at" in response.text and "needs checking" not in response.text


def test_a_page_reopened_shows_the_errors_of_answers_saved_as_typed(
    client: TestClient, settings: Settings
) -> None:
    """Save and come back later with a bad UPN: the contents page says which section has an
    answer to check, and the section shows its error when opened (missing answers wait)."""
    register(client, settings, EMAIL)
    reference = start_referral(client)
    response = submit(
        client, reference, "additional-details", {"upn": "not a upn", "action": "save"}
    )
    assert response.status_code == 303
    contents = client.get(f"/referrals/{reference}").text
    assert "Some answers need checking" in contents
    assert "1 answer needs checking" in task_item(contents, "Additional Details")
    page = client.get(section_url(reference, "additional-details"))
    assert page.status_code == 200
    assert "There is a problem" in page.text and 'href="#upn"' in page.text
    assert 'value="not a upn"' in page.text
    # Only what is wrong with what was typed: nothing about unanswered questions.
    assert page.text.count("govuk-error-message") == 1
    # A section with nothing wrong opens without errors.
    assert "There is a problem" not in client.get(section_url(reference, "consent")).text


def test_the_referrers_type_of_organisation_is_kept_on_the_referral_and_remembered(
    client: TestClient, settings: Settings
) -> None:
    """The hub's reports count referrals by the referrer's type of organisation: the code
    chosen is kept on the referral, and offered again on their next one. A value that is not
    one of the options (a tampered form) is saved as typed, to be checked, but never kept."""
    register(client, settings, EMAIL)
    first = start_referral(client)
    assert organisation_type(settings, first) is None
    complete_section(
        client, first, "your-details", {**YOUR_DETAILS, "referrer_organisation_type": "health"}
    )
    assert organisation_type(settings, first) == "health"
    second = start_referral(client, "Kim", "Lee")
    page = client.get(section_url(second, "your-details")).text
    [chosen] = re.findall(r'<input[^>]*name="referrer_organisation_type"[^>]*checked[^>]*>', page)
    assert 'value="health"' in chosen
    response = autosave(client, first, "your-details", {"referrer_organisation_type": "x" * 500})
    assert response.status_code == 200 and "needs checking" in response.text
    assert organisation_type(settings, first) is None


def organisation_type(settings: Settings, reference: str) -> str | None:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return session.scalars(
                select(Referral.referrer_organisation_type).where(Referral.reference == reference)
            ).one()
    finally:
        engine.dispose()
