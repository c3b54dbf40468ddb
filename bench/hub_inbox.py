"""The hub's inbox with 10,000 sent referrals: how long each kind of inbox query takes, and the
plan the database uses for it.

Run: `python -m bench.hub_inbox` (or `make bench`). It fills a temporary SQLite database, and a
throwaway PostgreSQL cluster when PostgreSQL is installed, with 10,000 sent referrals (and
2,000 drafts the inbox must skip) through bulk inserts, then times `app.services.hub.inbox`,
the function behind /hub/referrals, for each query (median of several runs). Prints Markdown for
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import Referral, ReferralMessage, User
from app.services import child_matches, hub
from app.settings import Settings
from testkit.journeys import make_hub_user, sign_in
from testkit.postgres import create_database, remove_cluster, start_cluster

SENT = 10_000
DRAFTS = 2_000
RUNS = 21
FORENAMES = ["Sam", "Alex", "Jordan", "Taylor", "Riley", "Casey", "Morgan", "Jamie", "Ali", "Zoe"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Khan", "Patel", "Evans", "Wilson", "Ahmed"]
OPTIONS = ["early-help", "participation", "send", "early-health-notification"]


def add_referrers(session: Session, count: int) -> list[int]:
    """`count` professionals' accounts (none can sign in), in one INSERT; their ids."""
    session.execute(
        insert(User),
        [
            {
                "email": f"referrer{n}@school.example.org",
                "email_key": f"referrer{n}@school.example.org",
                "forename": "Referrer",
                "surname": f"Number{n}",
                "password_hash": "x",
                "role": "professional",
                "session_version": 1,
            }
            for n in range(count)
        ],
    )
    return [row[0] for row in session.execute(text("SELECT id FROM user_account"))]


def fill(session: Session) -> None:
    """10,000 sent referrals over a year and 2,000 drafts, from 200 referrers; some messages."""
    rng = random.Random(7)  # noqa: S311 - sample data, the same every run; nothing secret
    owners = add_referrers(session, 200)
    start = datetime(2025, 11, 23, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for n in range(SENT + DRAFTS):
        sent = n < SENT
        when = start + timedelta(minutes=n * 50)
        forename, surname = rng.choice(FORENAMES), rng.choice(SURNAMES)
        hub_status = rng.choice(list(hub.STATUSES)) if sent else None
        rows.append(
            {
                "reference": f"EH-2026-{n + 1:06d}",
                "owner_id": rng.choice(owners),
                "status": "submitted" if sent else "draft",
                "referral_option": rng.choice(OPTIONS),
                "child_forename": forename,
                "child_surname": surname,
                "child_name_key": child_matches.name_key(forename, surname) if sent else None,
                # 90 names and 3,000 birthdays: a few children each with several referrals.
                "child_date_of_birth": date(2015, 1, 1) + timedelta(days=rng.randrange(3000)),
                "child_dob_estimated": rng.random() < 0.1,
                # One referral in 40 is about the child of the one before (the same NHS number).
                "child_nhs_number": f"{9000000000 + (n - 1 if n % 40 == 3 else n)}",
                "referrer_organisation": "Uxbridge Primary School",
                "created_at": when,
                "updated_at": when,
                "submitted_at": when if sent else None,
                "hub_status": hub_status,
                "first_decision_at": when if hub_status not in (None, "received") else None,
                "urgency": rng.choice([None, *hub.URGENCIES]) if sent else None,
            }
        )
    session.execute(insert(Referral), rows)
    ids = [row[0] for row in session.execute(text("SELECT id FROM referral"))]
    session.execute(
        insert(ReferralMessage),
        [
            {
                "referral_id": rng.choice(ids),
                "author_role": "referrer",
                "kind": "message",
                "body": "A reply",
                "created_at": start,
                "read_at": None,
            }
            for _ in range(3_000)
        ],
    )
    session.commit()


QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("first page, no filter", {}),
    ("page 200 of 400", {"page": 200}),
    ("status: In triage", {"status": "in-triage"}),
    ("urgency: Red, type: SEND", {"urgency": "red", "referral_option": "send"}),
    ("search: a child's name", {"query": "sam khan"}),
    ("search: an NHS number", {"query": "900 000 4321"}),
    ("search: part of a reference", {"query": "004321"}),
    ("first decision: Overdue", {"due": "overdue"}),
    ("sorted by due date", {"sort": "due"}),
    ("Overdue, sorted by due date", {"due": "overdue", "sort": "due"}),
]


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """(median, 95th percentile) of RUNS calls, in ms."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[round(0.95 * RUNS) - 1] * 1000


# The inbox's own query-string names for the service's arguments.
URL_NAMES = {"page": "page", "status": "status", "urgency": "urgency"}
URL_NAMES |= {"referral_option": "type", "query": "q", "due": "due", "sort": "sort"}
HUB_EMAIL = "hattie.hub@council.example.gov.uk"

Row = tuple[str, tuple[float, float], tuple[float, float], int]


def measure(url: str) -> list[Row]:
    """Each query twice: the service call alone, and the whole page as hub staff ask for it."""
    engine = create_database_engine(url)
    settings = Settings(database_url=url, environment="test")
    try:
        factory = create_session_factory(engine)
        with factory() as session:
            fill(session)
            if engine.dialect.name == "postgresql":
                session.execute(text("ANALYZE"))
                session.commit()
        make_hub_user(settings, HUB_EMAIL, now=datetime.now(UTC))
        results = []
        with factory() as session, TestClient(create_app(settings)) as client:
            sign_in(client, HUB_EMAIL)
            for name, params in QUERIES:
                page = hub.inbox(session, **params)
                service = timed(lambda params=params: hub.inbox(session, **params))
                query = urlencode({URL_NAMES[key]: value for key, value in params.items()})
                path = f"/hub/referrals?{query}"
                assert client.get(path).status_code == 200
                whole = timed(lambda path=path: client.get(path).raise_for_status())
                results.append((name, service, whole, page.total))
            # The referral page's other referrals of the same child (NHS number, or folded
            # names and a date of birth near), for a referral that has some.
            referral = session.scalars(
                select(Referral).where(Referral.reference == "EH-2026-000044")
            ).one()
            found = child_matches.other_referrals(session, referral)
            matches = timed(lambda: child_matches.other_referrals(session, referral))
            results.append(("other referrals of the same child", matches, matches, len(found)))
            return results
    finally:
        engine.dispose()


def plan(url: str) -> list[str]:
    """SQLite's plan for the first page of the inbox: it walks the (status, submitted_at) index
    in order and stops after 25 rows, rather than sorting every referral."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT referral.id FROM referral "
                    "WHERE referral.status = 'submitted' "
                    "ORDER BY referral.submitted_at DESC, referral.id DESC LIMIT 25"
                )
            )
            return [str(row[-1]) for row in rows]
    finally:
        engine.dispose()


def print_table(title: str, results: list[Row]) -> None:
    print(f"\n#### {title}\n")
    print("| query | query median | query p95 | page median | page p95 | referrals found |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (median, p95), (page_median, page_p95), total in results:
        print(
            f"| {name} | {median:,.1f} ms | {p95:,.1f} ms | {page_median:,.1f} ms "
            f"| {page_p95:,.1f} ms | {total:,} |"
        )


def main() -> int:
    print("\n## Hub inbox with 10,000 sent referrals (`python -m bench.hub_inbox`)\n")
    print(
        f"{SENT:,} sent referrals over a year and {DRAFTS:,} drafts (which the inbox never "
        f"shows), 200 referrers, 3,000 unread replies. Each figure is over {RUNS} calls: the "
        "inbox query alone (count, page of 25 with referrer and unread replies), and the whole "
        "page as signed-in hub staff ask for it (session, query, template, compression)."
    )

    def run(title: str, url: str) -> None:
        print_table(title, measure(url))
        if title == "SQLite":
            print("\nSQLite's plan for the first page: " + "; ".join(plan(url)) + ".")

    on_each_database("inbox", run)
    return 0


def on_each_database(
    name: str, run: Callable[[str, str], None], *, keep: Path | None = None
) -> None:
    """`run(title, url)` on a new database at the newest schema: SQLite (in a temporary
    folder, or at `keep`), then PostgreSQL in a throwaway cluster when it is installed."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{keep or Path(folder) / f'{name}.db'}"
        upgrade_to_head(url)
        run("SQLite", url)
    cluster = start_cluster()
    if cluster is None:
        print("\nPostgreSQL is not installed here: not measured.")
        return
    try:
        url = create_database(cluster.admin_url, name)
        upgrade_to_head(url)
        run("PostgreSQL", url)
    finally:
        remove_cluster(cluster)


if __name__ == "__main__":
    sys.exit(main())
