"""The Early Help Assessment's sections (help guide 5.1, 5.3, 5.4, 5.5, 5.9): task list, Next,
autosave, "Save and come back later", conflicts, address lookup and check your answers."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import Referral, SectionAnswers
from app.settings import Settings
from testkit.answers import YOUR_DETAILS as FILLED_IN
from testkit.journeys import post, register
from tests.conftest import Clock, csrf_token_from

EMAIL = "mary.seacole@health.example.org"
GAZETTEER = Path(__file__).resolve().parents[2] / "db" / "seed" / "gazetteer.csv"

# The postcode as typed, to be normalised on Next.
YOUR_DETAILS = {**FILLED_IN, "child_address-postcode": "ub8 9ep"}


@pytest.fixture
def reference(client: TestClient, settings: Settings) -> str:
    register(client, settings, EMAIL)
    response = post(client, "/start/send", child_forename="Sam", child_surname="Smith")
    return response.headers["location"].split("/")[2]


def version_on(page: str) -> str:
    match = re.search(r'name="version" id="section-version" value="(-?\d+)"', page)
    assert match, "no version field"
    return match.group(1)


def submit(
    client: TestClient, reference: str, section: str, answers: dict[str, str], **extra: str
) -> object:
    page = client.get(f"/referrals/{reference}/sections/{section}").text
    return post(
        client,
        f"/referrals/{reference}/sections/{section}",
        version=version_on(page),
        **{**answers, **extra},
    )


def stored(settings: Settings, section: str) -> SectionAnswers:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return session.scalars(
                select(SectionAnswers).where(SectionAnswers.section_id == section)
            ).one()
    finally:
        engine.dispose()


def stored_referral(settings: Settings) -> Referral:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return session.scalars(select(Referral)).one()
    finally:
        engine.dispose()


def test_task_list_shows_every_section_and_check_answers_waits(
    client: TestClient, reference: str
) -> None:
    page = client.get(f"/referrals/{reference}")
    assert page.template.name == "pages/referrals/overview.html"  # type: ignore[attr-defined]
    for title in (
        "Referrer and child details",
        "Request for Support",
        "Consent",
        "Additional Details",
        "The Child and their Family&#39;s Assessment",
    ):
        assert title in page.text
    # Started from the SEND tile: SEND Information is shown, Participation Team is not.
    assert "SEND Information" in page.text and "Participation Team" not in page.text
    assert "You have completed 0 of 8 sections" in page.text
    assert "Cannot start yet" in page.text
    # Your Details has the child's name from the start page, Request for Support the tile's
    # service: started for the user, not by them.
    assert page.text.count("Started for you") == 2 and "In progress" not in page.text
    assert "Some answers were filled in for you: check them" in page.text


def test_your_details_completes_and_moves_on(
    client: TestClient, reference: str, settings: Settings
) -> None:
    page = client.get(f"/referrals/{reference}/sections/your-details")
    assert 'value="Sam"' in page.text and EMAIL in page.text and "Ada Lovelace" in page.text
    assert "(optional)" in page.text and "*" not in re.sub(r"<[^>]+>", "", page.text)
    response = submit(client, reference, "your-details", YOUR_DETAILS, action="next")
    assert response.status_code == 303
    assert response.headers["location"].endswith("/sections/family")
    answers = stored(settings, "your-details")
    assert answers.status == "completed"
    assert answers.answers["referrer_phone"] == "01895 250111"
    assert answers.answers["child_nhs_number"] == "943 476 5919"
    assert answers.answers["child_address"]["postcode"] == "UB8 9EP"
    referral = stored_referral(settings)
    assert str(referral.child_date_of_birth) == "2020-02-29"
    assert "Completed" in client.get(f"/referrals/{reference}").text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"child_nhs_number": "943 476 5918"}, "child_nhs_number", "valid NHS number"),
        ({"child_nhs_number": "12345"}, "child_nhs_number", "10 digits"),
        ({"referrer_phone": "12345"}, "referrer_phone", "telephone number in the correct format"),
        ({"child_email": "sam@"}, "child_email", "email address in the correct format"),
        ({"child_dob-day": "31", "child_dob-month": "4"}, "child_dob-day", "real date"),
        ({"child_dob-day": "29", "child_dob-year": "2023"}, "child_dob-day", "real date"),
        ({"child_dob-day": "1", "child_dob-year": "2090"}, "child_dob-day", "today or in the past"),
        ({"child_dob-day": "1", "child_dob-year": "1990"}, "child_dob-day", "within the last 25"),
        ({"child_dob-month": ""}, "child_dob-month", "must include a month"),
        ({"child_address-postcode": "UB8"}, "child_address-postcode", "real UK postcode"),
        ({"child_address-line1": ""}, "child_address-line1", "first line of the address"),
        ({"child_ethnicity": "martian"}, "child_ethnicity", "Select the child&#39;s ethnicity"),
        ({"referrer_job_title": "x" * 101}, "referrer_job_title", "100 characters or fewer"),
        ({"professional_capacity": ""}, "professional_capacity", "professional capacity"),
    ],
    ids=[
        "nhs-checksum",
        "nhs-short",
        "bad-phone",
        "bad-email",
        "31-april",
        "29-feb-2023",
        "future-dob",
        "dob-over-25-years",
        "dob-missing-month",
        "bad-postcode",
        "no-line1",
        "unknown-code",
        "too-long",
        "capacity-unconfirmed",
    ],
)
def test_bad_answers_get_a_message_and_are_kept_as_typed(
    client: TestClient, reference: str, changes: dict[str, str], field: str, message: str
) -> None:
    response = submit(client, reference, "your-details", {**YOUR_DETAILS, **changes}, action="next")
    assert response.status_code == 422
    assert "<title>Error: Referrer and child details" in response.text
    assert f'href="#{field}"' in response.text and message in response.text
    for name, value in changes.items():
        if value and name not in {"child_ethnicity", "professional_capacity"}:
            assert f'value="{value}"' in response.text


def test_an_unborn_child_needs_a_due_date_instead(
    client: TestClient, reference: str, settings: Settings
) -> None:
    born = {name: value for name, value in YOUR_DETAILS.items() if not name.startswith("child_dob")}
    response = submit(client, reference, "your-details", born, action="next")
    assert response.status_code == 422 and "Enter the child&#39;s date of birth" in response.text
    unborn = {**born, "child_born": "no"}
    response = submit(client, reference, "your-details", unborn, action="next")
    assert response.status_code == 422 and "Enter the expected due date" in response.text
    assert "Enter the child&#39;s date of birth" not in response.text
    past = {
        **unborn,
        "child_due_date-day": "1",
        "child_due_date-month": "1",
        "child_due_date-year": "2026",
    }
    response = submit(client, reference, "your-details", past, action="next")
    assert "today or in the future" in response.text
    due = {
        **unborn,
        "child_due_date-day": "1",
        "child_due_date-month": "3",
        "child_due_date-year": "2027",
    }
    assert submit(client, reference, "your-details", due, action="next").status_code == 303
    assert stored_referral(settings).child_date_of_birth is None


def test_autosave_keeps_answers_as_typed_without_required_checks(
    client: TestClient, reference: str, settings: Settings
) -> None:
    page = client.get(f"/referrals/{reference}/sections/consent").text
    response = client.post(
        f"/referrals/{reference}/sections/consent/autosave",
        data={
            "version": version_on(page),
            "consent_sought": "yes",
            "consent_date-day": "31",
            "consent_date-month": "4",
            "consent_date-year": "2026",
        },
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
    )
    assert response.status_code == 200
    assert "Saved at 9:00am" in response.text
    assert 'id="section-version" value="1" hx-swap-oob="true"' in response.text
    answers = stored(settings, "consent")
    assert answers.answers["consent_date"] == {"day": "31", "month": "4", "year": "2026"}
    assert answers.status == "in-progress"
    again = client.get(f"/referrals/{reference}/sections/consent").text
    assert 'value="31"' in again and version_on(again) == "1"


def test_a_stale_tab_cannot_overwrite_newer_answers(
    client: TestClient, reference: str, settings: Settings
) -> None:
    url = f"/referrals/{reference}/sections/additional-details"
    stale_page = client.get(url).text
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf_token_from(stale_page)}
    first = client.post(
        f"{url}/autosave",
        data={"version": "0", "education_setting": "Newer School"},
        headers=headers,
    )
    assert first.status_code == 200
    # The other tab still thinks the section was never saved.
    second = client.post(
        f"{url}/autosave",
        data={"version": "0", "education_setting": "Older School"},
        headers=headers,
    )
    assert second.status_code == 409
    assert "changed in another tab or window" in second.text
    assert stored(settings, "additional-details").answers["education_setting"] == "Newer School"
    # Without JavaScript: Next from the stale page shows the conflict and keeps what was typed.
    response = post(client, url, version="0", education_setting="Older School", action="next")
    assert response.status_code == 409
    assert "Your answers below have not been saved yet" in response.text
    assert 'value="Older School"' in response.text
    assert stored(settings, "additional-details").answers["education_setting"] == "Newer School"
    # Saving again from that page (it now carries the latest version) keeps the user's answers.
    response = post(
        client,
        url,
        version=version_on(response.text),
        education_setting="Older School",
        action="save",
    )
    assert response.status_code == 303
    assert stored(settings, "additional-details").answers["education_setting"] == "Older School"


def test_a_page_overtaken_only_by_its_own_cancelled_autosave_is_not_a_conflict(
    client: TestClient, reference: str, settings: Settings
) -> None:
    """Next (or Add, or an address button) cancels an autosave in the browser that the server
    had already stored: the page still holds the version before it. Its stamp (token, save
    number) shows the section moved on only by that same page, so Next goes ahead; another tab,
    or the cancelled request arriving late, is still refused."""
    url = f"/referrals/{reference}/sections/additional-details"
    page = client.get(url).text
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)}
    mine, other = "a" * 32, "b" * 32

    def autosave(token: str, seq: int, school: str, version: str = "0") -> int:
        data = {"version": version, "education_setting": school}
        data |= {"page_token": token, "page_seq": str(seq)}
        return client.post(f"{url}/autosave", data=data, headers=headers).status_code

    assert autosave(mine, 1, "First School") == 200  # stored; the browser never heard back
    # The same page's next save still carries version 0: not a conflict.
    assert autosave(mine, 2, "Second School") == 200
    assert stored(settings, "additional-details").answers["education_setting"] == "Second School"
    # The earlier request arriving late cannot undo the later one.
    assert autosave(mine, 1, "First School") == 409
    # Another tab (another token), or a page without a stamp, is a conflict as before.
    assert autosave(other, 3, "Other School") == 409
    no_stamp = client.post(
        f"{url}/autosave",
        data={"version": "0", "education_setting": "Unstamped School"},
        headers=headers,
    )
    assert no_stamp.status_code == 409
    # Next from the same page, stamped, with the version it was loaded with.
    response = client.post(
        url,
        data={
            "version": "0",
            "education_setting": "Final School",
            "page_token": mine,
            "page_seq": "3",
            "action": "save",
        },
        headers=headers,
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"]
    assert stored(settings, "additional-details").answers["education_setting"] == "Final School"
    # A malformed stamp is ignored (no stamp: the plain version check).
    assert autosave("not-hex", 9, "Bad Stamp School") == 409


@pytest.mark.parametrize(
    "version", ["abc", "", "-5", "99"], ids=["letters", "empty", "negative", "ahead"]
)
def test_a_malformed_version_is_a_conflict_not_an_error(
    client: TestClient, reference: str, version: str
) -> None:
    url = f"/referrals/{reference}/sections/additional-details"
    response = post(client, url, version=version, education_setting="A school", action="save")
    assert response.status_code == 409


def test_save_and_come_back_later(client: TestClient, reference: str, settings: Settings) -> None:
    response = submit(client, reference, "consent", {"consent_sought": "no"}, action="save")
    assert response.headers["location"] == f"/referrals/{reference}"
    page = client.get(f"/referrals/{reference}").text
    assert "Your answers have been saved" in page
    assert stored(settings, "consent").answers["consent_sought"] == "no"


def test_consent_questions_follow_the_answer(client: TestClient, reference: str) -> None:
    response = submit(client, reference, "consent", {"consent_sought": "no"}, action="next")
    assert response.status_code == 422
    assert "Select why consent has not been sought" in response.text
    assert "Select what kind of consent was given" not in response.text
    response = submit(
        client,
        reference,
        "consent",
        {
            "consent_sought": "no",
            "consent_not_sought_reason": "attendance-or-missing-education",
            "consent_not_sought_details": "Referral about a child missing education.",
        },
        action="next",
    )
    assert response.status_code == 303
    written = {
        "consent_sought": "yes",
        "consent_type": "verbal",
        "consent_given_by": "Jo Smith, mother",
        "consent_date-day": "20",
        "consent_date-month": "11",
        "consent_date-year": "2026",
    }
    assert submit(client, reference, "consent", written, action="next").status_code == 303
    future = {**written, "consent_date-day": "24"}
    assert (
        "today or in the past" in submit(client, reference, "consent", future, action="next").text
    )


def test_request_for_support_is_optional_and_preselected(
    client: TestClient, reference: str
) -> None:
    page = client.get(f"/referrals/{reference}/sections/request-for-support").text
    assert re.search(r'value="send"\s+checked', page)
    response = submit(client, reference, "request-for-support", {}, action="next")
    assert response.status_code == 303


def test_additional_details_checks_the_upn(client: TestClient, reference: str) -> None:
    answers = {
        "has_disability": "no",
        "has_sen": "yes",
        "sen_details": "SEN support",
        "upn": "B801200005002",
    }
    response = submit(client, reference, "additional-details", answers, action="next")
    assert response.status_code == 422 and "valid UPN" in response.text
    response = submit(
        client, reference, "additional-details", {**answers, "upn": "b801200005001"}, action="next"
    )
    assert response.status_code == 303


def test_the_family_assessment_needs_all_eight_answers(client: TestClient, reference: str) -> None:
    response = submit(
        client,
        reference,
        "family-assessment",
        {"whats_happening": "Line one\r\nLine two"},
        action="next",
    )
    assert response.status_code == 422
    assert response.text.count("govuk-error-summary__list") == 1
    assert len(re.findall(r'<a href="#[a-z_]+">Answer the question', response.text)) == 7
    too_long = {"whats_happening": "x" * 5001}
    assert (
        "5,000 characters or fewer"
        in submit(client, reference, "family-assessment", too_long, action="next").text
    )


# Address lookup without JavaScript -----------------------------------------------------------


def a_seeded_postcode() -> str:
    with GAZETTEER.open() as file:
        return next(csv.DictReader(file))["postcode"]


def test_find_address_without_javascript(
    client: TestClient, reference: str, settings: Settings
) -> None:
    postcode = a_seeded_postcode()
    lookup = {
        "child_address-mode": "lookup",
        "child_address-house": "2",
        "child_address-lookup_postcode": postcode.lower().replace(" ", ""),
    }
    page = submit(client, reference, "your-details", lookup, action="find-address:child_address")
    assert page.status_code == 200
    # House "2" finds number 2 (first) and Flat 2 at number 14.
    assert "2 addresses found" in page.text
    assert f">2 Ashgrove Road, Uxbridge, {postcode}<" in page.text
    uprn = re.search(r'name="child_address-uprn" type="radio" value="(\d+)"', page.text)
    assert uprn
    chosen = post(
        client,
        f"/referrals/{reference}/sections/your-details",
        version=version_on(page.text),
        **lookup,
        **{"child_address-uprn": uprn.group(1)},
        action="choose-address:child_address",
    )
    assert 'value="2 Ashgrove Road"' in chosen.text and f'value="{postcode}"' in chosen.text
    assert stored(settings, "your-details").answers["child_address"]["line1"] == "2 Ashgrove Road"


def test_address_lookup_problems_offer_manual_entry(client: TestClient, reference: str) -> None:
    bad = {"child_address-mode": "lookup", "child_address-lookup_postcode": "not a postcode"}
    page = submit(client, reference, "your-details", bad, action="find-address:child_address")
    assert "Enter a real UK postcode" in page.text
    none = {"child_address-mode": "lookup", "child_address-lookup_postcode": "SW1A 1AA"}
    page = submit(client, reference, "your-details", none, action="find-address:child_address")
    assert "No addresses found for SW1A 1AA" in page.text and "Enter Address" in page.text
    page = submit(client, reference, "your-details", none, action="enter-address:child_address")
    assert "Address line 1" in page.text and 'value="SW1A 1AA"' in page.text


def test_address_lookup_with_htmx_answers_with_the_block(
    client: TestClient, reference: str
) -> None:
    postcode = a_seeded_postcode()
    page = client.get(f"/referrals/{reference}/sections/your-details").text
    response = client.post(
        f"/referrals/{reference}/sections/your-details/address/child_address",
        data={
            "version": version_on(page),
            "child_address-mode": "lookup",
            "child_address-lookup_postcode": postcode,
            "action": "find-address:child_address",
        },
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="child_address-address"')
    assert 'hx-swap-oob="true"' in response.text
    assert "<html" not in response.text


# Check your answers ---------------------------------------------------------------------------


def test_check_answers_lists_every_section_with_change_links(
    client: TestClient, reference: str
) -> None:
    submit(client, reference, "your-details", YOUR_DETAILS, action="next")
    page = client.get(f"/referrals/{reference}/check-answers").text
    assert "Check your answers" in page
    assert "29 February 2020" in page and "943 476 5919" in page and "UB8 9EP" in page
    assert "Not provided" in page
    assert f'href="/referrals/{reference}/sections/your-details?return=check#child_dob-day"' in page
    change = client.get(f"/referrals/{reference}/sections/your-details?return=check").text
    assert 'name="return" value="check"' in change
    response = submit(
        client, reference, "your-details", YOUR_DETAILS, action="next", **{"return": "check"}
    )
    assert response.headers["location"] == f"/referrals/{reference}/check-answers"


def test_sections_belong_to_their_referrer_only(
    client: TestClient, app: Starlette, reference: str, settings: Settings
) -> None:
    assert client.get(f"/referrals/{reference}/sections/no-such-section").status_code == 404
    with TestClient(app) as other:
        register(other, settings, "florence.n@health.example.org")
        for path in ("sections/your-details", "check-answers", ""):
            assert other.get(f"/referrals/{reference}/{path}".rstrip("/")).status_code == 404
        token = csrf_token_from(other.get("/").text)
        response = other.post(
            f"/referrals/{reference}/sections/consent/autosave",
            data={"version": "0"},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 404


def test_an_autosave_after_the_session_ends_says_so(
    client: TestClient, reference: str, clock: Clock
) -> None:
    page = client.get(f"/referrals/{reference}/sections/consent").text
    clock.advance(minutes=31)
    response = client.post(
        f"/referrals/{reference}/sections/consent/autosave",
        data={"version": version_on(page), "consent_sought": "yes"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
        follow_redirects=False,
    )
    assert response.status_code == 401


# Sections shown by Request for Support (5.6 Participation Team, 5.7 SEND Information) -----------

ATTENDANCE = {
    "support_type": "attendance",
    "attendance_school": "Harefield Academy",
    "attendance_percentage": "82.5%",
    "attendance_period": "Autumn term 2026",
    "attendance_letters_sent": "yes",
    "attendance_letters_details": "First letter 1 October, second 15 October",
    "attendance_actions": "Meetings with parents; attendance officer visit.",
}


def test_participation_team_comes_and_goes_with_request_for_support_keeping_answers(
    client: TestClient, reference: str, settings: Settings
) -> None:
    url = f"/referrals/{reference}/sections/participation-team"
    assert client.get(url).status_code == 404
    submit(client, reference, "request-for-support", {"services": "participation"}, action="next")
    assert "Participation Team" in client.get(f"/referrals/{reference}").text
    response = submit(client, reference, "participation-team", ATTENDANCE, action="next")
    assert response.status_code == 303
    # Unselect it: the section goes, its answers stay stored, and check answers leaves them out.
    submit(client, reference, "request-for-support", {"services": "send"}, action="next")
    assert "Participation Team" not in client.get(f"/referrals/{reference}").text
    assert client.get(url).status_code == 404
    assert "Harefield Academy" not in client.get(f"/referrals/{reference}/check-answers").text
    assert (
        stored(settings, "participation-team").answers["attendance_school"] == "Harefield Academy"
    )
    # Select it again: the answers come back.
    submit(client, reference, "request-for-support", {"services": "participation"}, action="next")
    assert 'value="Harefield Academy"' in client.get(url).text
    assert "Harefield Academy" in client.get(f"/referrals/{reference}/check-answers").text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"attendance_percentage": "most days"}, "attendance_percentage", "as a percentage"),
        ({"attendance_percentage": "120"}, "attendance_percentage", "between 0 and 100"),
        ({"attendance_letters_details": ""}, "attendance_letters_details", "which letters"),
        ({"support_type": ""}, "support_type", "Select the type of support needed"),
    ],
    ids=["words", "over-100", "letters-without-details", "no-type"],
)
def test_participation_team_bad_answers(
    client: TestClient, reference: str, changes: dict[str, str], field: str, message: str
) -> None:
    submit(client, reference, "request-for-support", {"services": "participation"}, action="next")
    response = submit(
        client, reference, "participation-team", {**ATTENDANCE, **changes}, action="next"
    )
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and message in response.text


def test_missing_from_education_branch(client: TestClient, reference: str) -> None:
    submit(client, reference, "request-for-support", {"services": "participation"}, action="next")
    response = submit(
        client,
        reference,
        "participation-team",
        {"support_type": "missing-education"},
        action="next",
    )
    assert response.status_code == 422
    for message in (
        "Enter the date the child last attended",
        "last school",
        "whereabouts",
        "why the child is missing from education",
    ):
        assert message in response.text
    assert "Enter the school the child attends" not in response.text
    assert "Upload any relevant documents" in response.text
    answers = {
        "support_type": "missing-education",
        "cme_last_attended-day": "2",
        "cme_last_attended-month": "10",
        "cme_last_attended-year": "2026",
        "cme_last_school": "Ruislip High",
        "cme_whereabouts": "Believed abroad",
        "cme_reasons": "Family moved",
    }
    assert (
        submit(client, reference, "participation-team", answers, action="next").status_code == 303
    )


def test_send_information_needs_only_some_answers(client: TestClient, reference: str) -> None:
    response = submit(client, reference, "send-information", {}, action="next")
    assert response.status_code == 422
    assert "Select at least one area of need" in response.text
    assert "Enter any diagnoses" not in response.text  # optional, as the guide says
    answers = {
        "send_areas_of_need": "cognition-learning",
        "send_support_status": "sen-support",
        "send_tried": "Small-group reading support",
    }
    assert submit(client, reference, "send-information", answers, action="next").status_code == 303


def test_answers_sent_after_the_session_ended_come_back_after_signing_in(
    client: TestClient, reference: str, clock: Clock, settings: Settings
) -> None:
    url = f"/referrals/{reference}/sections/additional-details"
    page = client.get(url).text
    clock.advance(minutes=31)  # the professional was called away; JavaScript is off
    response = post(
        client,
        url,
        version=version_on(page),
        education_setting="Typed while away",
        has_disability="no",
        action="next",
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    response = post(client, "/login", email=EMAIL, password="Correct-Horse-Battery-9")
    assert response.headers["location"] == url
    back = client.get(url).text
    assert "We kept the answers you sent when you were signed out" in back
    assert 'value="Typed while away"' in back
    # Handed back once: not saved until the user chooses, and gone from the server after.
    assert "Typed while away" not in client.get(url).text
    response = post(
        client,
        url,
        version=version_on(back),
        education_setting="Typed while away",
        has_disability="no",
        has_sen="no",
        action="next",
    )
    assert response.status_code == 303
    assert stored(settings, "additional-details").answers["education_setting"] == "Typed while away"


def test_parked_answers_are_not_given_to_another_person(
    client: TestClient, reference: str, clock: Clock, settings: Settings
) -> None:
    url = f"/referrals/{reference}/sections/additional-details"
    page = client.get(url).text
    clock.advance(minutes=31)
    post(client, url, version=version_on(page), education_setting="Private", action="save")
    register(client, settings, "someone.else@school.example.org")
    assert "We kept the answers" not in client.get("/").text
    assert client.get(url).status_code == 404


def test_next_with_htmx_after_the_session_ended_keeps_the_answers_and_signs_in(
    client: TestClient, reference: str, clock: Clock
) -> None:
    url = f"/referrals/{reference}/sections/additional-details"
    page = client.get(url).text
    clock.advance(minutes=31)
    response = client.post(
        url,
        data={"version": version_on(page), "education_setting": "Kept by htmx", "action": "next"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token_from(page)},
        follow_redirects=False,
    )
    assert response.headers["hx-redirect"] == "/login"
    assert (
        post(client, "/login", email=EMAIL, password="Correct-Horse-Battery-9").headers["location"]
        == url
    )
    assert 'value="Kept by htmx"' in client.get(url).text
