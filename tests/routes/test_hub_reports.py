"""The hub managers' Reports page and its CSV: for managers only (other hub staff are told so,
everyone else finds nothing), the period chosen with GOV.UK date inputs (a bad one is a 422
with the dates kept), charts drawn on the server with the same figures in tables, and a
download with small numbers hidden, audited."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.settings import Settings
from testkit.handover import SHAPES, send_referral
from testkit.journeys import audit_events, make_hub_user, register, sign_in
from tests.conftest import Clock, csrf_token_from

REFERRER = "grace.hopper@school.example.org"
MANAGER = "mina.manager@hillingdon.example.gov.uk"
STAFF = "hub.worker@hillingdon.example.gov.uk"


@pytest.fixture
def manager(app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    make_hub_user(settings, MANAGER, now=clock(), name="Mina Manager", manager=True)
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as client:
        sign_in(client, MANAGER)
        yield client


@pytest.fixture
def staff(app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    make_hub_user(settings, STAFF, now=clock())
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as client:
        sign_in(client, STAFF)
        yield client


def test_only_managers_see_the_reports(
    client: TestClient, manager: TestClient, staff: TestClient, settings: Settings
) -> None:
    for path in ("/hub/reports", "/hub/reports.csv"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/login"
        refused = staff.get(path)
        assert refused.status_code == 403
        assert "This page is for managers of the" in refused.text
        assert "Reports" not in refused.text.split("<main")[0]  # no link in the header
    register(client, settings, REFERRER)
    for path in ("/hub/reports", "/hub/reports.csv"):
        assert client.get(path).status_code == 404
    page = manager.get("/hub/reports")
    assert page.status_code == 200
    assert '<a class="portal-header__link" href="/hub/reports">Reports</a>' in page.text
    assert not audit_events(settings, "reports.downloaded")


def test_a_manager_sees_the_periods_figures_as_charts_text_and_tables(
    client: TestClient, manager: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, REFERRER)
    references = []
    for surname in ("Ashby", "Brook", "Cole"):
        clock.advance(minutes=1)
        references.append(
            send_referral(
                client,
                settings,
                SHAPES["whole-family"],
                forename="Sam",
                surname=surname,
                now=clock(),
            )
        )
    page = manager.get(f"/hub/referrals/{references[0]}").text
    manager.post(
        f"/hub/referrals/{references[0]}/status",
        data={"csrf_token": csrf_token_from(page), "status": "accepted-early-help"},
    )
    manager.post(
        f"/hub/referrals/{references[0]}/urgency",
        data={"csrf_token": csrf_token_from(page), "urgency": "red"},
    )
    response = manager.get("/hub/reports")
    assert response.status_code == 200
    text = response.text
    # The default period: the last 12 weeks, from a Monday, to today (the test's clock).
    assert "Showing 7 September 2026 to 23 November 2026, counted by week." in text
    assert "3 referrals were sent from 7 September 2026 to 23 November 2026." in text
    for heading in (
        "Referrals sent, by type of organisation",
        "Services asked for",
        "Urgency",
        "Time to first decision",
        "Outcomes",
        "Forms started and sent",
        "Where abandoned drafts stopped",
    ):
        assert f">{heading}</h" in text, heading
    # Seven charts, each an image named by its title and described by the summary beside it.
    charts = re.findall(r'<svg class="portal-chart__svg"[^>]*>', text)
    assert len(charts) == 7
    for chart in charts:
        assert 'role="img"' in chart
        labelled = re.search(r'aria-labelledby="([^"]+)"', chart)
        described = re.search(r'aria-describedby="([^"]+)"', chart)
        assert labelled and f'<title id="{labelled.group(1)}">' in text
        assert described and f'id="{described.group(1)}"' in text
    assert "Red: 1 (33%); Amber: 0 (0%); Green: 0 (0%); Not set: 2 (67%)." in text
    outcomes = re.search(r"Of 3 referrals sent: ([^<]*)\.", text)
    assert outcomes and "accepted for Early Help: 1 (33%)" in outcomes.group(1)
    assert "Received, not decided yet" in text
    # The decision was made on the day it was sent: 0 working days, within the target.
    assert "Half the first decisions were made within 0 working days" in text
    # The same figures in a table: the week's row.
    week = re.search(
        r"Week beginning 23 November 2026 \(part\)</th>((?:\s*<td[^>]*>[^<]*</td>)+)", text
    )
    assert week is not None
    assert re.findall(r">([^<]*)</td>", week.group(1))[-1] == "3"
    download = re.search(r'href="(/hub/reports\.csv\?[^"]+)" download>', text)
    assert download is not None
    assert download.group(1).replace("&amp;", "&") == (
        "/hub/reports.csv?from-day=7&from-month=9&from-year=2026&to-day=23&to-month=11&to-year=2026"
    )


def test_the_download_hides_small_numbers_and_is_audited(
    client: TestClient, manager: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, REFERRER)
    for surname in ("Ashby", "Brook"):
        send_referral(
            client, settings, SHAPES["whole-family"], forename="Sam", surname=surname, now=clock()
        )
    query = "from-day=1&from-month=11&from-year=2026&to-day=23&to-month=11&to-year=2026"
    response = manager.get(f"/hub/reports.csv?{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="referral-reports-2026-11-01-to-2026-11-23.csv"'
    )
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text[1:])))
    assert rows[0] == ["Report", "Row", "Measure", "Value"]
    assert ["Period", "1 November 2026 to 23 November 2026", "Counted by", "week"] in rows
    sent = ["Referrals sent", "1 November 2026 to 23 November 2026", "Referrals sent"]
    assert [*sent, "fewer than 5"] in rows
    assert "Sam" not in response.text and "Ashby" not in response.text
    (event,) = audit_events(settings, "reports.downloaded")
    assert event.details == {"from": "2026-11-01", "to": "2026-11-23"}
    assert event.subject_type == "reports"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from-day=31&from-month=2&from-year=2026", "from-day", "the date must be a real date"),
        (
            "from-day=1&from-month=10&from-year=2026&to-day=1&to-month=9&to-year=2026",
            "from-day",
            "Start date must be the same as or before the end date",
        ),
        (
            "from-day=1&from-month=10&from-year=2026&to-day=1&to-month=1&to-year=2030",
            "to-day",
            "End date must be today or in the past",
        ),
        ("to-day=%00&to-month=%0A&to-year=%3Cscript%3E", "from-day", "Enter the start date"),
    ],
)
def test_a_bad_period_is_a_422_with_the_dates_kept(
    manager: TestClient, settings: Settings, query: str, field: str, message: str
) -> None:
    for path in ("/hub/reports", "/hub/reports.csv"):
        response = manager.get(f"{path}?{query}")
        assert response.status_code == 422
        text = response.text
        assert "<title>Error: Reports" in text
        assert "There is a problem" in text
        assert f'href="#{field}"' in text
        assert message in text
        assert 'id="chart-organisations-title"' not in text
        assert "<script>" not in text  # what was typed is shown as text, never as markup
    assert not audit_events(settings, "reports.downloaded")


def test_what_was_typed_is_shown_again(manager: TestClient) -> None:
    response = manager.get("/hub/reports?from-day=31&from-month=2&from-year=2026&to-day=x")
    assert response.status_code == 422
    assert re.search(r'name="from-day"[^>]*value="31"', response.text)
    assert re.search(r'name="to-day"[^>]*value="x"', response.text)
    typed = manager.get("/hub/reports?to-year=%3Cscript%3E")
    assert typed.status_code == 422
    assert 'value="&lt;script&gt;"' in typed.text
    assert "govuk-input--error" in response.text
