"""The hub managers' Reports page (`/hub/reports`): the front door's figures over a period, as
charts drawn on the server, text and tables, and the same figures as a CSV with small numbers
hidden (app/services/reports.py). Hub staff who are not managers are told they cannot see it
(403); everyone else gets 404, as for every hub page."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from app.assessment.model import Assessment
from app.assessment.reference import ORGANISATION_TYPES
from app.db import request_session
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.hub import require_hub_manager
from app.security.sessions import now_for, signed_in_user
from app.services import charts, reports
from app.services.audit import Event, record_event
from app.services.decision_due import uk_date
from app.settings import Settings
from app.templating import render


def _report(request: Request, period: reports.Period) -> reports.Report:
    settings: Settings = request.state.settings
    assessment: Assessment = request.state.assessment
    return reports.build_report(
        request_session(request),
        assessment,
        period,
        working_days=settings.hub_decision_working_days,
        now=now_for(request),
    )


def _charts(report: reports.Report) -> dict[str, Any]:
    names = [bucket.short_label for bucket in report.buckets]
    unit = report.period.unit
    decisions = report.decisions
    return {
        "organisations": charts.column_chart(
            "chart-organisations",
            f"Referrals sent each {unit}, by type of organisation",
            names,
            report.organisations.columns,
            [row.values for row in report.organisations.rows],
            value_axis="Referrals",
        ),
        "services": charts.bar_chart(
            "chart-services",
            "Services asked for",
            [share.label.split(" (")[0] for share in report.services] + [reports.NO_SERVICE],
            [share.count for share in report.services] + [report.no_service],
            [f"{share.count:,} ({share.percent}%)" for share in report.services]
            + [f"{report.no_service:,}"],
        ),
        "urgencies": _shares_chart("chart-urgencies", "Urgency", report.urgencies),
        "decisions": charts.line_chart(
            "chart-decisions",
            f"Working days from sending to first decision, each {unit}",
            names,
            [
                ("Median", [row.median for row in decisions.rows]),
                ("90th percentile", [row.p90 for row in decisions.rows]),
            ],
            target=decisions.target,
            target_label=f"Target: {decisions.target} working "
            f"{'day' if decisions.target == 1 else 'days'}",
            value_axis="Working days",
        ),
        "outcomes": _shares_chart("chart-outcomes", "Outcomes", report.outcomes),
        "drafts": charts.column_chart(
            "chart-drafts",
            f"Forms started each {unit}, by what became of them",
            names,
            report.drafts.columns,
            [row.values for row in report.drafts.rows],
            value_axis="Forms started",
        ),
        "stopped": _shares_chart(
            "chart-stopped", "Drafts deleted unsent, by the section saved last", report.stopped
        ),
    }


def _shares_chart(id: str, title: str, shares: tuple[reports.Share, ...]) -> charts.BarChart:
    return charts.bar_chart(
        id,
        title,
        [share.label for share in shares],
        [share.count for share in shares],
        [f"{share.count:,} ({share.percent}%)" for share in shares],
    )


PAGE = "pages/hub/reports.html"


def _chosen_period(request: Request) -> reports.PeriodChoice:
    """The period in the query string, with today as the UK has it."""
    return reports.choose_period(request.query_params, uk_date(now_for(request)))


def _not_a_period(request: Request, choice: reports.PeriodChoice) -> Response:
    """The page again with what is wrong with the dates, as typed: a 422."""
    return render(request, PAGE, {"choice": choice, "errors": choice.errors}, status_code=422)


@require_hub_manager
def reports_page(request: Request) -> Response:
    """The period chosen (by default the last 12 weeks) and its reports; a period that is not
    a real one is a 422 with the dates kept as typed and what is wrong with them."""
    choice = _chosen_period(request)
    if choice.period is None:
        return _not_a_period(request, choice)
    report = _report(request, choice.period)
    context: dict[str, Any] = {
        "choice": choice,
        "errors": {},
        "report": report,
        "summaries": reports.summaries(report),
        "charts": _charts(report),
        "download_url": "/hub/reports.csv?" + _period_query(choice.period),
        "organisation_types": ORGANISATION_TYPES,
        "retention_days": request.state.settings.draft_retention_days,
    }
    return render(request, PAGE, context)


def _period_query(period: reports.Period) -> str:
    return urlencode(
        {
            f"{name}-{part}": getattr(day, part)
            for name, day in (("from", period.first), ("to", period.last))
            for part in ("day", "month", "year")
        }
    )


@require_hub_manager
def reports_csv(request: Request) -> Response:
    """The figures of the period's reports, small numbers hidden; audited."""
    choice = _chosen_period(request)
    if choice.period is None:
        return _not_a_period(request, choice)
    report = _report(request, choice.period)
    text = io.StringIO()
    csv.writer(text).writerows(reports.csv_rows(report))
    db = request_session(request)
    record_event(
        db,
        Event.REPORTS_DOWNLOADED,
        actor_user_id=signed_in_user(request).id,
        subject_type="reports",
        origin=origin_of(request),
        details={"from": choice.period.first.isoformat(), "to": choice.period.last.isoformat()},
    )
    db.commit()
    name = f"referral-reports-{choice.period.first.isoformat()}-to-{choice.period.last.isoformat()}"
    # With a byte order mark, so that spreadsheets read it as UTF-8.
    return Response(
        "\ufeff" + text.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


routes = [
    PortalRoute("/hub/reports", reports_page, name="hub_reports", heavy=["GET"]),
    PortalRoute("/hub/reports.csv", reports_csv, name="hub_reports_csv", heavy=["GET"]),
]
