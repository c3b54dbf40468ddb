"""Other referrals of the same child, on a sent referral's hub page: a match (the same NHS
number) or a possible match (the same folded names and date of birth, an estimated one within
a year), each a link to its own hub page. Referrers never see them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.assessment import engine
from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.models import Referral, SectionAnswers, User
from app.services import child_matches, hub
from app.services.answers import save_section
from app.services.referrals import create_draft
from app.services.submission import submit
from app.settings import Settings
from testkit.answers import YOUR_DETAILS, form_of
from testkit.journeys import (
    complete_referral,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock

REFERRER = "grace.hopper@school.example.org"
HUB = "hub.worker@hillingdon.example.gov.uk"
NHS = "943 476 5919"
OTHER_NHS = "401 023 2137"


def test_names_are_folded_for_comparing() -> None:
    key = child_matches.name_key
    assert key("Zoë-Ann", "O'Brien Smith") == key("zoe ann", "OBRIEN-SMITH") == "zoeannobriensmith"
    assert key("ZOË", "Smith") == key("Zoe\u0308", "smith")  # a composed and a combining accent
    assert key("Ann", "Smith") != key("Anne", "Smith")


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    database = create_database_engine(database_url)
    try:
        with create_session_factory(database)() as session:
            yield session
    finally:
        database.dispose()


class Referrals:
    """Referrals sent through the portal's own services, with the child's details given."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.owner = User(
            email="ref@school.example.org",
            email_key="ref@school.example.org",
            forename="Ada",
            surname="Lovelace",
            password_hash="x",
        )
        session.add(self.owner)
        session.flush()
        self.sent_at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def send(
        self,
        forename: str,
        surname: str,
        born: str | None = "29 2 2020",
        *,
        nhs: str = "",
        estimated: bool = False,
    ) -> Referral:
        self.sent_at += timedelta(hours=1)
        referral = create_draft(
            self.session,
            self.owner,
            option_code="early-help",
            child_forename=forename,
            child_surname=surname,
            now=self.sent_at,
        )
        self.session.flush()
        fields: dict[str, str | list[str]] = {
            **YOUR_DETAILS,
            "child_forename": forename,
            "child_surname": surname,
            "child_nhs_number": nhs,
        }
        if born is None:
            fields |= {"child_born": "no", "child_dob-day": "", "child_dob-month": ""}
            fields |= {"child_dob-year": ""}
        else:
            day, month, year = born.split()
            fields |= {"child_dob-day": day, "child_dob-month": month, "child_dob-year": year}
        if estimated:
            fields["child_dob_estimated"] = "estimated"
        section = ASSESSMENT.section("your-details")
        assert section is not None
        save_section(
            self.session,
            referral,
            section,
            engine.answers_from_form(section, form_of(fields)),
            expected_version=self.session.scalar(
                select(SectionAnswers.version).where(
                    SectionAnswers.referral_id == referral.id,
                    SectionAnswers.section_id == section.id,
                )
            )
            or 0,
            status=engine.COMPLETED,
            now=self.sent_at,
        )
        assert submit(self.session, self.settings, referral, self.owner, now=self.sent_at)
        return referral


@pytest.fixture
def referrals(db: Session, settings: Settings) -> Referrals:
    return Referrals(db, settings)


def found(session: Session, referral: Referral) -> dict[str, str]:
    return {
        match.referral.child_name + " " + match.referral.reference[-2:]: match.kind
        for match in child_matches.other_referrals(session, referral)
    }


def test_matches_and_possible_matches(referrals: Referrals, db: Session) -> None:
    sam = referrals.send("Sam", "Smith", nhs=NHS)
    same_number = referrals.send("Samuel", "Smyth", "1 1 2019", nhs=NHS)
    same_name_no_number = referrals.send("sam", "SMITH")
    accented = referrals.send("Sâm", "Smith-")
    other_number = referrals.send("Sam", "Smith", nhs=OTHER_NHS)
    other_day = referrals.send("Sam", "Smith", "1 3 2020")
    estimated_near = referrals.send("Sam", "Smith", "1 9 2020", estimated=True)
    estimated_far = referrals.send("Sam", "Smith", "1 9 2021", estimated=True)
    unborn = referrals.send("Sam", "Smith", None)
    draft = create_draft(
        db,
        referrals.owner,
        option_code="early-help",
        child_forename="Sam",
        child_surname="Smith",
        now=referrals.sent_at,
    )
    db.flush()
    kinds = {
        match.referral.reference: match.kind for match in child_matches.other_referrals(db, sam)
    }
    assert kinds == {
        same_number.reference: child_matches.MATCH,
        same_name_no_number.reference: child_matches.POSSIBLE_MATCH,
        accented.reference: child_matches.POSSIBLE_MATCH,
        estimated_near.reference: child_matches.POSSIBLE_MATCH,
    }
    # Newest first.
    assert list(kinds) == [
        estimated_near.reference,
        accented.reference,
        same_name_no_number.reference,
        same_number.reference,
    ]
    assert (
        other_number.reference,
        other_day.reference,
        estimated_far.reference,
        unborn.reference,
        draft.reference,
    ) not in kinds
    # An estimated date of birth is compared within a year, from either side.
    near = {m.referral.reference for m in child_matches.other_referrals(db, estimated_near)}
    assert {same_name_no_number.reference, accented.reference, other_day.reference} <= near
    assert estimated_far.reference in near
    # One NHS number and none: nothing to compare, so still a possible match.
    assert {sam.reference, other_number.reference} <= near
    # Not yet born: matched by NHS number only, and there is none.
    assert child_matches.other_referrals(db, unborn) == []


def test_the_hub_page_lists_other_referrals_with_links_and_referrers_never_see_them(
    client: TestClient, app: object, settings: Settings, clock: Clock
) -> None:
    register(client, settings, REFERRER)
    earlier = start_referral(client, "Zoë", "Okafor-Smith")
    complete_referral(client, earlier)
    assert post(client, f"/referrals/{earlier}/send").status_code == 303
    clock.advance(minutes=5)
    later = start_referral(client, "zoe", "okafor smith")
    complete_referral(client, later)
    assert post(client, f"/referrals/{later}/send").status_code == 303
    lonely = start_referral(client, "Una", "Alone")
    complete_referral(client, lonely)
    assert post(client, f"/referrals/{lonely}/send").status_code == 303

    # The referrer's own pages of the later referral say nothing of the earlier one.
    for path in (f"/referrals/{later}/view", f"/referrals/{later}/sent", "/submitted"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Other referrals for this child" not in page.text
        assert "ossible match" not in page.text
        if path != "/submitted":
            assert earlier not in page.text, path

    client.cookies.clear()
    make_hub_user(settings, HUB, now=clock())
    sign_in(client, HUB)
    page = client.get(f"/hub/referrals/{later}").text
    panel = page.split('id="other-referrals-heading"')[1].split("</section>")[0]
    assert f'<a class="govuk-link" href="/hub/referrals/{earlier}">{earlier}</a>' in panel
    assert "Possible match" in panel
    assert "up to a year either side" in panel
    assert "Uxbridge Health Centre" in panel  # the referrer's organisation
    assert "Received" in panel and "Not decided yet" in panel
    assert "2 November 2026" not in panel and "23 November 2026" in panel
    assert lonely not in panel

    # The earlier one's outcome shows once the hub has decided it.
    db = create_database_engine(settings.database_url)
    try:
        with create_session_factory(db)() as session:
            staff = session.scalars(select(User).where(User.email == HUB)).one()
            referral = session.scalars(select(Referral).where(Referral.reference == earlier)).one()
            hub.set_status(session, settings, referral, staff, "signposted", "", now=clock())
            session.commit()
    finally:
        db.dispose()
    panel = client.get(f"/hub/referrals/{later}").text.split('id="other-referrals-heading"')[1]
    panel = panel.split("</section>")[0]
    assert panel.count("Signposted to other services") == 2  # its status, and its outcome
    # And from the earlier one, the later one.
    assert f'href="/hub/referrals/{later}"' in client.get(f"/hub/referrals/{earlier}").text
    alone = client.get(f"/hub/referrals/{lonely}").text
    assert "No other sent referrals match this child." in alone
