"""What hub staff take away: the inbox as filtered, as CSV (no free-text answers, no cell a
spreadsheet runs), and one referral's export as JSON; both audited, both for hub staff only."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.settings import Settings
from testkit.handover import SHAPES, WHOLE_FAMILY, api_token, bearer, send_referral
from testkit.journeys import audit_events, make_hub_user, register, sign_in
from tests.conftest import Clock, csrf_token_from

REFERRER = "grace.hopper@school.example.org"
HUB = "hub.worker@hillingdon.example.gov.uk"


@pytest.fixture
def hub_client(app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    make_hub_user(settings, HUB, now=clock())
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as hub:
        sign_in(hub, HUB)
        yield hub


def rows_of(response_text: str) -> list[list[str]]:
    assert response_text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(response_text[1:])))


def test_hub_staff_download_the_inbox_as_filtered_as_csv(
    client: TestClient, hub_client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, REFERRER)
    references = []
    for surname, shape in (("Ashby", "whole-family"), ("Brook", "attendance-no-tables")):
        clock.advance(minutes=1)
        references.append(
            send_referral(
                client, settings, SHAPES[shape], forename="Sam", surname=surname, now=clock()
            )
        )
    ashby, brook = references
    page = hub_client.get(f"/hub/referrals/{brook}").text
    hub_client.post(
        f"/hub/referrals/{brook}/urgency",
        data={"csrf_token": csrf_token_from(page), "urgency": "red"},
    )
    hub_client.post(
        f"/hub/referrals/{brook}/messages",
        data={"csrf_token": csrf_token_from(page), "message": "Please call me about Sam."},
    )
    inbox = hub_client.get("/hub/referrals", params={"urgency": "red"}).text
    link = re.search(r'href="(/hub/referrals\.csv[^"]*)" download>Download as CSV<', inbox)
    assert link and link.group(1) == "/hub/referrals.csv?urgency=red"

    response = hub_client.get(link.group(1))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="referrals-\d{4}-\d{2}-\d{2}\.csv"',
        response.headers["content-disposition"],
    )
    rows = rows_of(response.text)
    assert rows[0][:3] == ["Reference", "Referral type", "Sent"]
    assert [row[0] for row in rows[1:]] == [brook]
    assert rows[1][3:8] == ["Sam", "Brook", "29/02/2020", "Received", "Red"]
    assert rows[1][9] == "Uxbridge Health Centre"
    # No free text: neither the assessment's answers nor the messages.
    for words in ("In the family's words", "Please call me", "Two meetings with mum"):
        assert words not in response.text

    everything = rows_of(hub_client.get("/hub/referrals.csv").text)
    assert [row[0] for row in everything[1:]] == [brook, ashby]  # newest first, no pages
    searched = rows_of(hub_client.get("/hub/referrals.csv", params={"q": "Ashby"}).text)
    assert [row[0] for row in searched[1:]] == [ashby]
    downloads = audit_events(settings, "inbox.downloaded")
    assert [event.details["rows"] for event in downloads] == [1, 2, 1]
    assert downloads[0].details["urgency"] == "red"
    assert downloads[-1].details["searched"] is True and "Ashby" not in str(downloads[-1].details)


@pytest.mark.parametrize(
    "organisation",
    ['=HYPERLINK("http://evil.example","Click")', "+1+1", "-1+1", "@SUM(A1:A2)"],
    ids=["equals", "plus", "minus", "at-sign"],
)
def test_a_formula_typed_by_a_referrer_reaches_the_csv_as_text(
    client: TestClient,
    hub_client: TestClient,
    settings: Settings,
    clock: Clock,
    organisation: str,
) -> None:
    register(client, settings, REFERRER)
    fields = {
        **WHOLE_FAMILY,
        "your-details": {**WHOLE_FAMILY["your-details"], "referrer_organisation": organisation},
    }
    send_referral(client, settings, fields, forename="Sam", surname="Smith", now=clock())
    rows = rows_of(hub_client.get("/hub/referrals.csv").text)
    assert rows[1][9] == "'" + organisation


def test_hub_staff_download_a_referrals_export_as_the_api_gives_it(
    client: TestClient, hub_client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, REFERRER)
    reference = send_referral(
        client, settings, WHOLE_FAMILY, forename="Sam", surname="Smith", now=clock()
    )
    page = hub_client.get(f"/hub/referrals/{reference}").text
    assert f'href="/hub/referrals/{reference}/export.json" download>' in page
    response = hub_client.get(f"/hub/referrals/{reference}/export.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="{reference}.json"'
    token = api_token(settings, "case-system", now=clock())
    assert (
        response.json()
        == client.get(f"/api/v1/referrals/{reference}", headers=bearer(token)).json()
    )
    exported = audit_events(settings, "referral.exported")
    assert [event.subject_id for event in exported] == [reference]


def test_nobody_but_hub_staff_downloads_the_csv_or_an_export(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, REFERRER)
    reference = send_referral(
        client, settings, WHOLE_FAMILY, forename="Sam", surname="Smith", now=clock()
    )
    for path in ("/hub/referrals.csv", f"/hub/referrals/{reference}/export.json"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404 and "Smith" not in response.text
    client.cookies.clear()
    for path in ("/hub/referrals.csv", f"/hub/referrals/{reference}/export.json"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
