"""The hub managers' Reports page with 50,000 sent referrals over two years: how long the page
and its CSV take for the default 12 weeks, a year and the whole two years.

Run: `python -m bench.reports` (or `make bench`). It fills a temporary SQLite database, and a
throwaway PostgreSQL cluster when PostgreSQL is installed, through bulk inserts: 50,000 sent
referrals from 400 referrers (each with its type of organisation, services asked for, urgency,
status and first decision some working days after sending), 6,000 forms still being written
and 9,000 drafts deleted unsent. Then it times `app.services.reports.build_report` alone and
the whole page and CSV as a signed-in hub manager asks for them (median and 95th percentile
of several runs). Prints Markdown for docs/PERFORMANCE.md. `--keep PATH` leaves the SQLite
database at PATH (to look at the page with realistic figures).
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import insert, text, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.assessment.reference import ORGANISATION_TYPES, SERVICES
from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.models import EndedDraft, Referral, ReferralService, User
from app.services import hub, reports
from app.services.decision_due import uk_date
from app.settings import Settings
from bench.hub_inbox import add_referrers, on_each_database, timed
from testkit.journeys import make_hub_user, sign_in

SENT = 50_000
DRAFTS = 6_000
ENDED = 9_000
YEARS = 2
MANAGER = "mina.manager@council.example.gov.uk"
OPTIONS = ["early-help", "attendance", "send", "early-health-notification"]


def fill(session: Session, now: datetime) -> None:
    """Two years of the front door up to `now`, the same every run."""
    rng = random.Random(24)  # noqa: S311 - sample data, the same every run; nothing secret
    owners = add_referrers(session, 400)
    first = now - timedelta(days=365 * YEARS)
    span = (now - first).total_seconds()
    organisation_types = [*ORGANISATION_TYPES, None]
    weights = [40, 25, 10, 8, 7, 4, 6]
    rows: list[dict[str, Any]] = []
    for n in range(SENT + DRAFTS):
        sent = n < SENT
        when = first + timedelta(seconds=span * rng.random())
        status = rng.choices(list(hub.STATUSES), [8, 7, 35, 15, 20, 15])[0] if sent else None
        decided = when + timedelta(hours=rng.choice([2, 20, 26, 50, 75, 100, 170]))
        rows.append(
            {
                "reference": f"EH-BENCH-{n + 1:06d}",
                "owner_id": rng.choice(owners),
                "status": "submitted" if sent else "draft",
                "referral_option": rng.choice(OPTIONS),
                "child_forename": "Sam",
                "child_surname": "Smith",
                "created_at": when - timedelta(days=rng.randrange(3)),
                "updated_at": when,
                "submitted_at": when if sent else None,
                "hub_status": status,
                "first_decision_at": (
                    min(decided, now) if status not in (None, "received") else None
                ),
                "urgency": rng.choice([None, *hub.URGENCIES]) if sent else None,
                "referrer_organisation_type": (
                    rng.choices(organisation_types, weights)[0] if sent else None
                ),
            }
        )
    session.execute(insert(Referral), rows)
    sent_ids = [
        row[0]
        for row in session.execute(text("SELECT id FROM referral WHERE status = 'submitted'"))
    ]
    services = [code for code, _label in SERVICES]
    session.execute(
        insert(ReferralService),
        [
            {"referral_id": referral_id, "service": service}
            for referral_id in sent_ids
            for service in rng.sample(services, rng.choice([0, 1, 1, 1, 2, 3]))
        ],
    )
    sections = [None, *(section.id for section in ASSESSMENT.sections)]
    session.execute(
        insert(EndedDraft),
        [
            {
                "started_at": (started := first + timedelta(seconds=span * rng.random())),
                "ended_at": started + timedelta(days=rng.randrange(1, 40)),
                "reason": rng.choice(["deleted", "expired"]),
                "referral_option": rng.choice(OPTIONS),
                "last_section": rng.choice(sections[:8]),
                "sections_completed": rng.randrange(6),
            }
            for _ in range(ENDED)
        ],
    )
    session.commit()


def periods(today: date) -> list[tuple[str, dict[str, int]]]:
    def query(first: date) -> dict[str, int]:
        return {
            "from-day": first.day,
            "from-month": first.month,
            "from-year": first.year,
            "to-day": today.day,
            "to-month": today.month,
            "to-year": today.year,
        }

    return [
        ("the last 12 weeks (the default)", {}),
        ("the last year (by month)", query(today - timedelta(days=364))),
        ("the whole two years (by month)", query(today - timedelta(days=365 * YEARS - 1))),
    ]


Row = tuple[str, tuple[float, float], tuple[float, float], tuple[float, float], int]


def measure(url: str) -> list[Row]:
    engine = create_database_engine(url)
    settings = Settings(database_url=url, environment="test")
    now = datetime.now(UTC)
    try:
        factory = create_session_factory(engine)
        with factory() as session:
            fill(session, now)
            if engine.dialect.name == "postgresql":
                session.execute(text("ANALYZE"))
                session.commit()
        make_hub_user(settings, MANAGER, now=now)
        with factory() as session:
            session.execute(update(User).where(User.email == MANAGER).values(is_hub_manager=True))
            session.commit()
        results = []
        with factory() as session, TestClient(create_app(settings)) as client:
            sign_in(client, MANAGER)
            for name, params in periods(uk_date(now)):
                choice = reports.choose_period({k: str(v) for k, v in params.items()}, now.date())
                assert choice.period is not None
                period = choice.period

                def build(period: reports.Period = period) -> reports.Report:
                    return reports.build_report(
                        session, ASSESSMENT, period, working_days=1, now=now
                    )

                found = build().sent
                service = timed(build)
                path = f"/hub/reports?{urlencode(params)}"
                assert client.get(path).status_code == 200
                page = timed(lambda path=path: client.get(path).raise_for_status())  # type: ignore[misc]
                download = f"/hub/reports.csv?{urlencode(params)}"
                csv = timed(lambda download=download: client.get(download).raise_for_status())  # type: ignore[misc]
                results.append((name, service, page, csv, found))
        return results
    finally:
        engine.dispose()


def print_table(title: str, results: list[Row]) -> None:
    print(f"\n#### {title}\n")
    print(
        "| period | figures median | figures p95 | page median | page p95 "
        "| CSV median | CSV p95 | referrals counted |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, service, page, csv, found in results:
        cells = " | ".join(
            f"{median:,.0f} ms | {p95:,.0f} ms" for median, p95 in (service, page, csv)
        )
        print(f"| {name} | {cells} | {found:,} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="leave the SQLite database here")
    args = parser.parse_args(argv if argv is not None else [])
    print(f"\n## Reports with {SENT:,} sent referrals over two years (`python -m bench.reports`)\n")
    print(
        f"{SENT:,} sent referrals from 400 referrers over {YEARS} years, {DRAFTS:,} forms still "
        f"being written, {ENDED:,} drafts deleted unsent. Each figure is over 21 runs: the "
        "figures alone (`reports.build_report`), and the whole page and CSV as a signed-in hub "
        "manager asks for them (session, queries, charts, template, compression)."
    )
    on_each_database("reports", lambda title, url: print_table(title, measure(url)), keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
