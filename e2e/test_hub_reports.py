"""A hub manager reports on the front door (issue: reports a manager would rather look at than
read): Reports in the header, a period typed with the keyboard, charts with their words and
tables, a period that is not a real one, and the figures downloaded with small numbers hidden.
The page has no script of its own: the journey is the same with JavaScript on and off."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import error_summary, sign_in
from e2e.records import Portal

MANAGER_NAME = "Mina Manager"


def test_a_hub_manager_reads_the_reports_and_downloads_the_figures(
    any_page: Page, portal: Portal, javascript: bool
) -> None:
    page = any_page
    # A week of its own for each run, months back, so that other journeys' referrals are not
    # in it (and recent enough for the consent given to still be in date).
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday(), weeks=20 if javascript else 21)
    sunday = monday + timedelta(days=6)
    referrer = portal.create_referrer()
    for hour, status, urgency in (
        (9, "accepted-early-help", "red"),
        (10, None, None),
        (11, None, "green"),
    ):
        portal.referral(
            referrer,
            "Rhea",
            "Reportsby",
            hub_status=status,
            urgency=urgency,
            sent_at=datetime.combine(monday + timedelta(days=1), time(hour), tzinfo=UTC),
        )
    manager = f"mina.manager.{uuid.uuid4().hex[:8]}@council.example.gov.uk"
    portal.create_hub_staff(manager, MANAGER_NAME, manager=True)
    sign_in(page, manager)
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    expect(page.get_by_text("counted by week")).to_be_visible()
    assert_accessible(page)

    # The period, typed and sent with the keyboard alone.
    page.get_by_role("group", name="Start date").get_by_label("Day").focus()
    for value in (monday.day, monday.month, monday.year, sunday.day, sunday.month, sunday.year):
        page.keyboard.type(str(value))
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    period = f"{monday.day} {monday:%B %Y} to {sunday.day} {sunday:%B %Y}"
    expect(page.get_by_text(f"3 referrals were sent from {period}.")).to_be_visible()
    for chart in (
        "Referrals sent each week, by type of organisation",
        "Services asked for",
        "Urgency",
        "Working days from sending to first decision, each week",
        "Outcomes",
        "Forms started each week, by what became of them",
        "Drafts deleted unsent, by the section saved last",
    ):
        expect(page.get_by_role("img", name=chart, exact=True)).to_be_visible()
    # The referrer said in Your Details that they work in health.
    organisations = page.get_by_role(
        "table", name="Referrals sent each week, by type of organisation"
    )
    expect(organisations.get_by_role("row", name="Whole period 0 3 0 0 0 0 0 3")).to_be_visible()
    urgency = page.get_by_role("table", name="Referrals sent, by the urgency the hub gave them")
    expect(urgency.get_by_role("row", name="Red 1 33%")).to_be_visible()
    expect(urgency.get_by_role("row", name="Not set 1 33%")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these figures (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == f"referral-reports-{monday}-to-{sunday}.csv"
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert ["Referrals sent", period, "Referrals sent", "fewer than 5"] in rows
    assert "Reportsby" not in download.path().read_text(encoding="utf-8-sig")

    # A day that does not exist: the error summary links to the box, and nothing is lost.
    start = page.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill("31")
    start.get_by_label("Month").fill("2")
    page.get_by_role("button", name="Show reports").click()
    expect(error_summary(page)).to_contain_text("Start date: the date must be a real date")
    assert_accessible(page)
    error_summary(page).get_by_role("link").click()
    expect(start.get_by_label("Day")).to_be_focused()
    expect(start.get_by_label("Day")).to_have_value("31")
    expect(page.get_by_role("group", name="End date").get_by_label("Day")).to_have_value(
        str(sunday.day)
    )
