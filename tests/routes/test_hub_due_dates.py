"""The hub's working day: each sent referral is due for a first decision within
HUB_DECISION_WORKING_DAYS working days; the inbox says "Due <day>" or "Overdue", sorts by due
date and filters the overdue ones, with and without JavaScript (htmx)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from testkit.journeys import (
    complete_referral,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock, csrf_token_from
from tests.security.hostile import NASTY_STRINGS

REFERRER = "grace.hopper@school.example.org"
HUB = "hub.worker@hillingdon.example.gov.uk"
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
TUESDAY_MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Hub:
    """The referrer sends referrals at given moments; hub staff then read the inbox."""

    def __init__(self, app_client: TestClient, settings: Settings, clock: Clock) -> None:
        self.client = app_client
        self.settings = settings
        self.clock = clock
        self.registered = False
        self.staff_made = False

    def send_at(self, moment: datetime, forename: str, surname: str) -> str:
        self.clock.now = moment
        self.client.cookies.clear()
        if self.registered:
            sign_in(self.client, REFERRER)
        else:
            register(self.client, self.settings, REFERRER)
            self.registered = True
        reference = start_referral(self.client, forename, surname)
        complete_referral(self.client, reference)
        assert post(self.client, f"/referrals/{reference}/send").status_code == 303
        return reference

    def staff_at(self, moment: datetime) -> TestClient:
        self.clock.now = moment
        self.client.cookies.clear()
        if not self.staff_made:
            make_hub_user(self.settings, HUB, now=moment)
            self.staff_made = True
        sign_in(self.client, HUB)
        return self.client


@pytest.fixture
def hub(client: TestClient, settings: Settings, clock: Clock) -> Hub:
    return Hub(client, settings, clock)


def row_of(page: str, reference: str) -> str:
    match = re.search(
        rf'<tr class="govuk-table__row">\s*<td[^>]*><a[^>]*>{reference}</a>.*?</tr>', page, re.S
    )
    assert match, f"{reference} is not in the inbox"
    return match.group(0)


def listed(page: str) -> list[str]:
    results = page.split('id="inbox-results"')[1]
    return re.findall(r">(EH-\d{4}-\d{6})</a>", results)


def test_the_inbox_says_when_each_first_decision_is_due_and_filters_the_overdue(
    hub: Hub,
) -> None:
    friday = hub.send_at(FRIDAY, "Fay", "Friday")
    monday = hub.send_at(MONDAY, "Mo", "Monday")
    staff = hub.staff_at(TUESDAY_MORNING)

    page = staff.get("/hub/referrals")
    assert page.status_code == 200
    # Sent on Friday, due on Monday (the weekend skipped), overdue on Tuesday morning.
    assert "Overdue" in row_of(page.text, friday)
    assert "Was due 30 November 2026" in row_of(page.text, friday)
    assert "Due 1 December 2026" in row_of(page.text, monday)
    assert "Overdue" not in row_of(page.text, monday)
    assert listed(page.text) == [monday, friday]  # newest first

    overdue = staff.get("/hub/referrals", params={"due": "overdue"})
    assert listed(overdue.text) == [friday]
    assert "1 referral found" in overdue.text
    assert '<option value="overdue" selected>Overdue</option>' in overdue.text

    by_due = staff.get("/hub/referrals", params={"sort": "due"})
    assert listed(by_due.text) == [friday, monday]
    assert '<option value="due" selected>' in by_due.text
    # The order and the filter are kept by the pages' links and by a search.
    assert "Sent referrals, by due date" in by_due.text

    # With htmx (the filters change as they are chosen) the results alone come back.
    live = staff.get("/hub/referrals", params={"due": "overdue"}, headers={"HX-Request": "true"})
    assert live.status_code == 200 and "<html" not in live.text
    assert listed(live.text) == [friday]

    # The first decision made (any status but "received"): no longer due, nor overdue, even
    # if the status goes back to "received".
    token = csrf_token_from(staff.get(f"/hub/referrals/{friday}").text)
    for status in ("in-triage", "received"):
        changed = staff.post(
            f"/hub/referrals/{friday}/status",
            data={"csrf_token": token, "status": status, "status_message": ""},
            follow_redirects=False,
        )
        assert changed.status_code == 303
    page = staff.get("/hub/referrals")
    assert "Overdue" not in row_of(page.text, friday)
    assert "Due " not in row_of(page.text, friday)
    assert listed(staff.get("/hub/referrals", params={"due": "overdue"}).text) == []
    assert (
        "First decision: made 1 December 2026 at 9:00am"
        in staff.get(f"/hub/referrals/{friday}").text
    )
    # Sorted by due date, those still waiting come first.
    assert listed(staff.get("/hub/referrals", params={"sort": "due"}).text) == [monday, friday]


def test_the_referral_page_says_when_the_first_decision_is_due(hub: Hub) -> None:
    reference = hub.send_at(FRIDAY, "Fay", "Friday")
    staff = hub.staff_at(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    page = staff.get(f"/hub/referrals/{reference}").text
    # Monday 23:59 (GMT): still the due day.
    assert "Due 30 November 2026" in page and "Overdue" not in page
    assert "1 working day after the day it was sent" in page
    hub.clock.now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    page = staff.get(f"/hub/referrals/{reference}").text
    assert "Overdue" in page and "Was due 30 November 2026" in page


@pytest.fixture
def three_day_hub(settings: Settings, clock: Clock, fast_password_hashing: None) -> Iterator[Hub]:
    three_days = dataclasses.replace(settings, hub_decision_working_days=3)
    with TestClient(create_app(three_days, clock=clock)) as client:
        yield Hub(client, three_days, clock)


def test_with_three_working_days_a_friday_send_is_due_on_wednesday(three_day_hub: Hub) -> None:
    # Sent late on Friday evening (22:45, GMT): Monday, Tuesday, Wednesday.
    reference = three_day_hub.send_at(datetime(2026, 11, 27, 22, 45, tzinfo=UTC), "Fay", "Late")
    staff = three_day_hub.staff_at(datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    page = staff.get("/hub/referrals").text
    assert "Due 2 December 2026" in row_of(page, reference)
    assert listed(staff.get("/hub/referrals", params={"due": "overdue"}).text) == []
    assert (
        "3 working days after the day it was sent" in staff.get(f"/hub/referrals/{reference}").text
    )
    staff = three_day_hub.staff_at(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    assert listed(staff.get("/hub/referrals", params={"due": "overdue"}).text) == [reference]


@pytest.mark.parametrize(
    "params",
    [
        {"due": "<script>alert(1)</script>"},
        {"due": "OVERDUE"},
        {"due": "overdue "},
        {"due": ""},
        {"due": "\x00"},
        {"sort": "submitted_at; DROP TABLE referral"},
        {"sort": "-due"},
        {"sort": "DUE"},
        {"sort": "x" * 5000},
        {"sort": "²"},
        {"due": ["overdue", "nonsense"]},
        {"sort": ["due", "due"]},
    ],
    ids=[
        "due-script",
        "due-upper-case",
        "due-trailing-space",
        "due-empty",
        "due-nul",
        "sort-sql",
        "sort-minus",
        "sort-upper-case",
        "sort-very-long",
        "sort-superscript",
        "due-twice",
        "sort-twice",
    ],
)
def test_a_filter_or_order_that_is_not_ours_is_ignored(
    hub: Hub, params: dict[str, str | list[str]]
) -> None:
    friday = hub.send_at(FRIDAY, "Fay", "Friday")
    monday = hub.send_at(MONDAY, "Mo", "Monday")
    staff = hub.staff_at(TUESDAY_MORNING)
    response = staff.get("/hub/referrals", params=params)
    assert response.status_code == 200
    results = listed(response.text)
    assert set(results) == {friday, monday}
    if "sort" in params and params["sort"] != ["due", "due"]:
        assert results == [monday, friday]
    assert "<script>alert(1)</script>" not in response.text


def test_every_hostile_string_as_a_filter_or_order_gets_the_inbox(hub: Hub) -> None:
    friday = hub.send_at(FRIDAY, "Fay", "Friday")
    staff = hub.staff_at(TUESDAY_MORNING)
    # Lone surrogates cannot be put in an address at all, nor 100,000 characters (the client
    # refuses them).
    sendable = [
        t for t in NASTY_STRINGS if t.encode("utf-8", "ignore").decode() == t and len(t) < 10_000
    ]
    for text in sendable:
        for name in ("due", "sort"):
            response = staff.get("/hub/referrals", params={name: text})
            assert response.status_code == 200, (name, text)
            assert listed(response.text) == [friday], (name, text)
