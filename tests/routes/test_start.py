"""Help guide sections 1 and 3: the portal home, its referral options, starting a referral."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.assessment.reference import REFERRAL_OPTIONS
from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, PendingStart, Referral, SectionAnswers
from app.services.referrals import CLAIM_WITHOUT_ASKING_WITHIN
from app.settings import Settings
from testkit.journeys import (
    STRONG_PASSWORD,
    audit_types,
    authenticator_code,
    latest_code,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock

EMAIL = "grace.hopper@school.example.org"
HUB_EMAIL = "hattie.hub@hillingdon.example.gov.uk"


def stored(settings: Settings) -> tuple[list[Referral], list[SectionAnswers]]:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return (
                list(session.scalars(select(Referral).order_by(Referral.id))),
                list(session.scalars(select(SectionAnswers).order_by(SectionAnswers.id))),
            )
    finally:
        engine.dispose()


def events(settings: Settings, event_type: str) -> list[AuditEvent]:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            query = select(AuditEvent).where(AuditEvent.event_type == event_type)
            return list(session.scalars(query.order_by(AuditEvent.id)))
    finally:
        engine.dispose()


def start_signed_out(client: TestClient, settings: Settings) -> None:
    """An account that exists; signed out, its owner starts a referral for Sam Smith."""
    register(client, settings, EMAIL)
    post(client, "/logout")
    response = post(client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    assert response.headers["location"] == "/login"


def test_home_offers_every_referral_option_in_the_guides_words(
    client: TestClient, settings: Settings
) -> None:
    page = client.get("/")
    assert page.template.name == "pages/home.html"  # type: ignore[attr-defined]
    for title in (
        "Refer a Family for Early Help or Social Care Support",
        "Report Poor Attendance / Child Missing from Education",
        "Refer for Special Education Needs and Disabilities Support (SEND)",
        "Early Health Notifications",
        "School Holiday penalty fines (via LEAP)",
    ):
        assert title.replace("'", "&#39;") in page.text
    assert f'href="{settings.leap_url}"' in page.text
    for path in (
        "/start/early-help",
        "/start/attendance",
        "/start/send",
        "/early-health-notifications",
    ):
        assert f'href="{path}"' in page.text
    assert "Start an Early Health Notification" in client.get("/early-health-notifications").text
    professionals = client.get("/professionals").text
    assert settings.mash_phone in professionals and "call 999" in professionals


@pytest.mark.parametrize("option", list(REFERRAL_OPTIONS))
def test_each_option_opens_the_start_page(client: TestClient, option: str) -> None:
    page = client.get(f"/start/{option}")
    assert page.status_code == 200
    assert "</span>What is the child's name?" in page.text
    # The option's title is a caption in the heading: markup, not escaped text.
    title = REFERRAL_OPTIONS[option].title.replace("'", "&#39;")
    assert f'<span class="govuk-caption-l">{title}</span>' in page.text
    assert "&lt;span" not in page.text
    assert "enter the youngest child" in page.text
    assert re.search(r"<button[^>]*>\s*Confirm\s*</button>", page.text)


def test_an_unknown_option_is_not_found(client: TestClient) -> None:
    assert client.get("/start/parking-fines").status_code == 404


@pytest.mark.parametrize(
    ("forename", "surname", "field", "message"),
    [
        ("", "Smith", "child_forename", "Enter the child&#39;s forename"),
        ("   ", "Smith", "child_forename", "Enter the child&#39;s forename"),
        ("Sam", "", "child_surname", "Enter the child&#39;s surname"),
        ("S" * 101, "Smith", "child_forename", "100 characters or fewer"),
    ],
    ids=["blank", "spaces", "no-surname", "101-characters"],
)
def test_bad_names_get_a_clear_message_and_are_kept(
    client: TestClient, forename: str, surname: str, field: str, message: str
) -> None:
    response = post(client, "/start/early-help", child_forename=forename, child_surname=surname)
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and message in response.text
    if surname:
        assert f'value="{surname}"' in response.text


def test_invisible_characters_are_left_out_of_a_childs_name(
    client: TestClient, settings: Settings
) -> None:
    """A name with a right-to-left override or a zero-width space could show hub staff another
    name: those characters are not kept; a name of nothing else is no name."""
    register(client, settings, EMAIL)
    response = post(
        client,
        "/start/early-help",
        child_forename="Sam\u200b",
        child_surname="Smith\u202eevil",
    )
    assert response.status_code == 303
    referrals, _ = stored(settings)
    assert (referrals[-1].child_forename, referrals[-1].child_surname) == ("Sam", "Smithevil")
    response = post(client, "/start/early-help", child_forename="\u200b\u202e", child_surname="X")
    assert response.status_code == 422
    assert "Enter the child&#39;s forename" in response.text


def test_attendance_referrals_say_which_kind(client: TestClient) -> None:
    response = post(client, "/start/attendance", child_forename="Sam", child_surname="Smith")
    assert response.status_code == 422
    assert "Select what the referral is about" in response.text
    bogus = post(
        client,
        "/start/attendance",
        child_forename="Sam",
        child_surname="Smith",
        participation_type="truancy",
    )
    assert bogus.status_code == 422


@pytest.mark.parametrize(
    ("forename", "surname"),
    [("J", "O"), ("A" * 100, "B" * 100), ("D'Arcy", "O'Brien-Smith"), ("Zoë", "Nuñez Łukasz")],
    ids=["one-character", "100-characters", "apostrophes-hyphens", "accents"],
)
def test_real_names_are_accepted_as_typed(
    client: TestClient, settings: Settings, forename: str, surname: str
) -> None:
    register(client, settings, EMAIL)
    response = post(client, "/start/early-help", child_forename=forename, child_surname=surname)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    escaped = f"{forename} {surname}".replace("'", "&#39;")
    assert escaped in page.text
    [referral], _ = stored(settings)
    assert (referral.child_forename, referral.child_surname) == (forename, surname)


def test_html_in_a_name_is_shown_as_text(client: TestClient, settings: Settings) -> None:
    register(client, settings, EMAIL)
    response = post(
        client, "/start/early-help", child_forename="<script>alert(1)</script>", child_surname="X"
    )
    page = client.get(response.headers["location"])
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_signed_in_start_creates_a_draft_with_a_reference(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    response = post(client, "/start/send", child_forename="Sam", child_surname="Smith")
    location = response.headers["location"]
    match = re.fullmatch(r"/referrals/(EH-\d{4}-\d{6})/how-it-works", location)
    assert match
    page = client.get(location)
    assert "How does this tool work" in page.text and match.group(1) in page.text
    assert "30 days" in page.text and "(optional)" in page.text
    overview = client.get(f"/referrals/{match.group(1)}")
    assert "Early Help Assessment for Sam Smith" in overview.text
    [referral], answers = stored(settings)
    assert referral.reference == match.group(1) and referral.status == "draft"
    assert referral.referral_option == "send"
    assert {a.section_id: a.answers for a in answers} == {
        "your-details": {"child_forename": "Sam", "child_surname": "Smith"},
        "request-for-support": {"services": ["send"]},
    }


@pytest.mark.parametrize(
    ("option", "extra", "expected"),
    [
        ("early-help", {}, {}),
        ("send", {}, {"request-for-support": {"services": ["send"]}}),
        (
            "early-health-notification",
            {},
            {"request-for-support": {"services": ["early-health-notification"]}},
        ),
        (
            "attendance",
            {"participation_type": "attendance"},
            {
                "request-for-support": {"services": ["participation"]},
                "participation-team": {"support_type": "attendance"},
            },
        ),
        (
            "attendance",
            {"participation_type": "missing-education"},
            {
                "request-for-support": {"services": ["participation"]},
                "participation-team": {"support_type": "missing-education"},
            },
        ),
    ],
    ids=["early-help", "send", "ehn", "attendance", "missing-education"],
)
def test_the_option_chosen_preselects_request_for_support(
    client: TestClient,
    settings: Settings,
    option: str,
    extra: dict[str, str],
    expected: dict[str, dict[str, object]],
) -> None:
    register(client, settings, EMAIL)
    post(client, f"/start/{option}", child_forename="Sam", child_surname="Smith", **extra)
    [referral], answers = stored(settings)
    assert referral.referral_option == option
    names = {"your-details": {"child_forename": "Sam", "child_surname": "Smith"}}
    assert {a.section_id: a.answers for a in answers} == {**names, **expected}


def test_starting_before_signing_in_keeps_the_name_on_the_server_only(
    client: TestClient, settings: Settings
) -> None:
    response = post(client, "/start/early-help", child_forename="Tallulah", child_surname="Quince")
    assert response.headers["location"] == "/login"
    cookie = client.cookies["portal-session"]
    payload = base64.b64decode(cookie.split(".")[0] + "==").decode()
    assert "Tallulah" not in payload and "Quince" not in payload
    assert "Tallulah" not in json.dumps(dict(client.cookies))
    login = client.get("/login")
    assert "We have kept the child&#39;s name" in login.text
    # Register and enter the code: the draft is made as the code is accepted (a POST).
    post(client, "/register", forename="Grace", surname="Hopper")
    post(
        client,
        "/register/account",
        email=EMAIL,
        password="Correct-Horse-Battery-9",
        confirm_password="Correct-Horse-Battery-9",
    )
    assert stored(settings) == ([], [])
    post(client, "/register/code", code=latest_code(settings, EMAIL))
    [referral], _ = stored(settings)
    assert referral.child_name == "Tallulah Quince"
    # The guide's confirmation message, whose Continue goes back to the form.
    form = f"/referrals/{referral.reference}/how-it-works"
    done = client.get("/register/complete")
    assert "Your account has been created" in done.text
    assert f'href="{form}"' in done.text
    page = client.get(form)
    assert "Early Help Assessment for Tallulah Quince" in page.text
    assert "You started this referral for Tallulah Quince before you signed in." in page.text
    assert [r.id for r in stored(settings)[0]] == [referral.id]  # nothing more made by a GET
    assert client.get("/start/continue", follow_redirects=False).headers["location"] == "/"


def test_signing_in_after_starting_goes_straight_back_to_the_form(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    with TestClient(app) as anonymous:
        post(anonymous, "/start/send", child_forename="Sam", child_surname="Smith")
        response = sign_in(anonymous, EMAIL)
        [referral], _ = stored(settings)
        assert response.headers["location"] == f"/referrals/{referral.reference}/how-it-works"
        page = anonymous.get(response.headers["location"])
        assert "Early Help Assessment for Sam Smith" in page.text
        assert referral.referral_option == "send"


def test_the_banner_about_a_start_made_before_signing_in_is_shown_once(
    client: TestClient, settings: Settings
) -> None:
    start_signed_out(client, settings)
    form = sign_in(client, EMAIL).headers["location"]
    banner = "You started this referral for Sam Smith before you signed in."
    first = client.get(form).text
    assert banner in first
    assert 'class="govuk-notification-banner"' in first
    reference = form.split("/")[2]
    assert f'href="/referrals/{reference}/delete?from=form">delete this form</a>' in first
    assert banner not in client.get(form).text
    # A form started while signed in never had it.
    other = start_referral(client, "Kim", "Jones")
    assert "before you signed in" not in client.get(f"/referrals/{other}/how-it-works").text


def test_the_start_becomes_a_draft_only_once_the_second_factor_is_accepted(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    client.get("/account/two-factor/set-up")
    code = authenticator_code(settings, EMAIL, now=clock())
    answer = post(client, "/account/two-factor/set-up", code=code, password=STRONG_PASSWORD)
    assert "Two-factor sign-in is on" in answer.text
    post(client, "/logout")
    post(client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    password_step = post(client, "/login", email=EMAIL, password=STRONG_PASSWORD)
    assert password_step.headers["location"] == "/login/two-factor"
    assert stored(settings) == ([], [])  # not signed in yet: nothing made
    wrong = post(client, "/login/two-factor", code="000000")
    assert wrong.status_code == 422 and stored(settings) == ([], [])
    code = authenticator_code(settings, EMAIL, now=clock())
    response = post(client, "/login/two-factor", code=code)
    [referral], _ = stored(settings)
    assert response.headers["location"] == f"/referrals/{referral.reference}/how-it-works"


def test_hub_staff_setting_up_their_app_at_sign_in_go_back_to_the_form_after_it(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    make_hub_user(settings, HUB_EMAIL, now=clock(), authenticator=False)
    post(client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    codes_page = sign_in(client, HUB_EMAIL)  # the password, then setting up the app
    [referral], _ = stored(settings)
    form = f"/referrals/{referral.reference}/how-it-works"
    assert codes_page.status_code == 200 and f'href="{form}"' in codes_page.text
    assert "before you signed in" in client.get(form).text


def test_a_start_made_more_than_an_hour_before_signing_in_is_asked_about_first(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    start_signed_out(client, settings)
    clock.advance(seconds=CLAIM_WITHOUT_ASKING_WITHIN.total_seconds() + 60)
    assert sign_in(client, EMAIL).headers["location"] == "/start/continue"
    confirm = client.get("/start/continue")
    assert "Carry on with your referral" in confirm.text and "Sam Smith" in confirm.text
    assert stored(settings) == ([], [])  # nothing is created by a GET
    response = post(client, "/start/continue", action="continue")
    [referral], _ = stored(settings)
    assert response.headers["location"] == f"/referrals/{referral.reference}/how-it-works"
    # Asked and answered: the form does not ask again.
    assert "before you signed in" not in client.get(response.headers["location"]).text
    assert client.get("/start/continue", follow_redirects=False).headers["location"] == "/"


def test_a_start_made_up_to_an_hour_before_signing_in_is_not_asked_about(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    start_signed_out(client, settings)
    clock.advance(seconds=CLAIM_WITHOUT_ASKING_WITHIN.total_seconds())
    location = sign_in(client, EMAIL).headers["location"]
    assert re.fullmatch(r"/referrals/EH-\d{4}-\d{6}/how-it-works", location)


def test_a_start_kept_for_more_than_two_hours_is_not_used(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    start_signed_out(client, settings)
    clock.advance(hours=2, minutes=1)
    assert sign_in(client, EMAIL).headers["location"] == "/"
    assert client.get("/start/continue", follow_redirects=False).headers["location"] == "/"
    referrals, _ = stored(settings)
    assert referrals == []


def test_claiming_a_start_at_sign_in_is_audited(client: TestClient, settings: Settings) -> None:
    start_signed_out(client, settings)
    sign_in(client, EMAIL)
    [referral], _ = stored(settings)
    [claimed] = events(settings, "referral.start-claimed")
    assert (claimed.subject_type, claimed.subject_id) == ("referral", referral.reference)
    assert claimed.actor_user_id == referral.owner_id and claimed.details == {"asked": False}
    assert claimed.request_id and claimed.client_address == "testclient"
    assert "Sam" not in json.dumps(claimed.details)
    assert audit_types(settings)[-2:] == ["referral-started", "referral.start-claimed"]


def test_nobody_else_can_open_a_referral(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    location = post(client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    reference = location.headers["location"].split("/")[2]
    with TestClient(app) as other:
        register(other, settings, "katherine.johnson@school.example.org")
        for path in (f"/referrals/{reference}", f"/referrals/{reference}/how-it-works"):
            assert other.get(path).status_code == 404
        assert other.get("/referrals/EH-2026-999999").status_code == 404


def test_pending_starts_are_forgotten_after_two_hours(settings: Settings) -> None:
    from app.services.referrals import keep_pending_start
    from app.services.retention import housekeeping

    engine = create_database_engine(settings.database_url)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    try:
        with create_session_factory(engine)() as session:
            keep_pending_start(
                session,
                option_code="send",
                child_forename="A",
                child_surname="B",
                participation_type=None,
                now=now,
            )
            session.commit()
            assert housekeeping(session, now=now.replace(hour=10), dry_run=False) == {}
            later = now.replace(day=25)
            assert housekeeping(session, now=later, dry_run=True) == {
                "starts made before signing in": 1
            }
            assert housekeeping(session, now=later, dry_run=False) == {
                "starts made before signing in": 1
            }
            assert session.scalars(select(PendingStart)).all() == []
    finally:
        engine.dispose()


def test_a_start_that_is_not_mine_can_be_deleted_from_the_form(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    """A shared computer: someone started a referral and walked away; the next person signs
    in and is on the form, which says whose start it was and offers to delete it."""
    register(client, settings, EMAIL)
    with TestClient(app) as shared_computer:
        post(shared_computer, "/start/send", child_forename="Someone", child_surname="Else")
        form = sign_in(shared_computer, EMAIL).headers["location"]
        reference = form.split("/")[2]
        page = shared_computer.get(form).text
        assert "You started this referral for Someone Else before you signed in." in page
        delete = shared_computer.get(f"/referrals/{reference}/delete?from=form").text
        assert "Delete this draft?" in delete
        # Changing one's mind goes back to the form, not to Recover a form.
        assert f'<a href="{form}" class="govuk-back-link">Back to the form</a>' in delete
        assert f'<a class="govuk-link" href="{form}">No, keep it</a>' in delete
        response = post(shared_computer, f"/referrals/{reference}/delete")
        assert response.headers["location"] == "/recover"
    assert stored(settings) == ([], [])


def test_an_older_start_that_is_not_mine_can_be_discarded_when_asked(
    client: TestClient, app: Starlette, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    with TestClient(app) as shared_computer:
        post(shared_computer, "/start/send", child_forename="Someone", child_surname="Else")
        clock.advance(minutes=90)
        assert sign_in(shared_computer, EMAIL).headers["location"] == "/start/continue"
        assert "Someone Else" in shared_computer.get("/start/continue").text
        response = post(shared_computer, "/start/continue", action="discard")
        assert response.headers["location"] == "/"
    assert stored(settings) == ([], [])
    [discarded] = events(settings, "referral.start-discarded")
    assert discarded.subject_type == "pending-start" and discarded.details == {}
    assert "referral.start-claimed" not in audit_types(settings)


def test_invisible_control_characters_are_dropped_from_names(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    post(client, "/start/early-help", child_forename="Sam\x07\x00", child_surname="Smith")
    [referral], _ = stored(settings)
    assert referral.child_forename == "Sam"
