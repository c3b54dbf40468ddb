"""The hub managers' figures (app/services/reports.py): counted by the database a UK day at a
time, they must come out exactly as counting each referral by hand would — across the clocks
changing, at the edges of the period, with decisions made at weekends and on bank holidays —
on SQLite (which knows no time zones) and PostgreSQL alike. Also: the period as typed, with
every bad date tried, and small numbers hidden in the download."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.assessment.reference import ORGANISATION_TYPES, SERVICES
from app.assessment.schema import ASSESSMENT
from app.models import EndedDraft, Referral, ReferralService
from app.services import reports
from app.services.decision_due import decision_due_on, is_working_day
from app.services.hub import STATUSES, URGENCIES
from tests.conftest import add_professional

UK = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)


def uk_day(moment: datetime) -> date:
    return moment.astimezone(UK).date()


def working_days_between(sent_on: date, decided_on: date) -> int:
    """Counted a day at a time, the slow way."""
    day, count = sent_on, 0
    while day < decided_on:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


# Moments where a UK day and a UTC day differ: late evening in summer time, and the hours
# around both changes of the clocks in 2025 and 2026.
AWKWARD = [
    datetime(2026, 6, 30, 23, 30, tzinfo=UTC),  # 00:30 on 1 July in the UK
    datetime(2026, 7, 1, 0, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # the last minute of GMT
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # the first of BST
    datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # 00:30 on 25 October, BST
    datetime(2026, 10, 25, 0, 59, tzinfo=UTC),  # 01:59 BST, the last minute of summer
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # 01:00 GMT
    datetime(2025, 10, 25, 23, 15, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    # Before Christmas, decided after the bank holidays.
    datetime(2025, 12, 24, 16, 0, tzinfo=UTC),
]


def fill(session: Session, rng: random.Random, count: int = 400) -> list[dict[str, object]]:
    """Sent referrals at random moments (and the awkward ones), with random answers and
    decisions; some drafts and ended drafts. Returns the sent referrals' rows."""
    owner = add_professional(session).id
    first = datetime(2025, 9, 1, tzinfo=UTC)
    moments = [*AWKWARD]
    moments += [
        first + timedelta(seconds=rng.randrange(int((NOW - first).total_seconds())))
        for _ in range(count)
    ]
    rows: list[dict[str, object]] = []
    for n, sent_at in enumerate(moments):
        status = rng.choice([*STATUSES, "something-else"])
        decided_at = None
        if status not in ("received", "something-else") or n < len(AWKWARD):
            decided_at = min(sent_at + timedelta(hours=rng.choice([0.5, 9, 30, 80, 200])), NOW)
        rows.append(
            {
                "reference": f"EH-TEST-{n:05d}",
                "owner_id": owner,
                "status": "submitted",
                "referral_option": "early-help",
                "child_forename": "Sam",
                "child_surname": "Smith",
                "created_at": sent_at - timedelta(hours=rng.choice([1, 30, 100])),
                "updated_at": sent_at,
                "submitted_at": sent_at,
                "hub_status": status,
                "first_decision_at": decided_at,
                "urgency": rng.choice([None, *URGENCIES, "purple"]),
                "referrer_organisation_type": rng.choice([None, *ORGANISATION_TYPES, "moon"]),
            }
        )
    session.execute(insert(Referral), rows)
    for n in range(60):
        started = first + timedelta(days=rng.randrange(400), hours=rng.randrange(24))
        session.add(
            Referral(
                reference=f"EH-DRAFT-{n:05d}",
                owner_id=owner,
                status="draft",
                referral_option="send",
                child_forename="Dora",
                child_surname="Draft",
                created_at=started,
                updated_at=started,
            )
        )
    sections = [None, "your-details", "consent", "no-longer-asked"]
    session.execute(
        insert(EndedDraft),
        [
            {
                "started_at": (started := first + timedelta(days=rng.randrange(400), hours=1)),
                "ended_at": started + timedelta(days=3),
                "reason": rng.choice(["deleted", "expired"]),
                "referral_option": "early-help",
                "last_section": rng.choice(sections),
                "sections_completed": 1,
            }
            for _ in range(80)
        ],
    )
    session.flush()
    ids = dict(session.execute(select(Referral.reference, Referral.id)).all())
    services = [code for code, _ in SERVICES]
    session.execute(
        insert(ReferralService),
        [
            {"referral_id": ids[row["reference"]], "service": service}
            for row in rows
            for service in rng.sample(services, rng.choice([0, 1, 2]))
        ],
    )
    session.commit()
    return rows


def by_hand(rows: list[dict[str, object]], period: reports.Period, working_days: int) -> dict:
    """The figures, counting each referral in Python with the time zone database."""
    buckets = period.buckets()

    def bucket(day: date) -> int:
        return next(i for i, b in enumerate(buckets) if b.first <= day <= b.last)

    inside = [
        row
        for row in rows
        if period.first <= uk_day(row["submitted_at"]) <= period.last  # type: ignore[arg-type]
    ]
    organisations = [[0] * (len(ORGANISATION_TYPES) + 1) for _ in buckets]
    times: list[list[int]] = [[] for _ in buckets]
    within = [0] * len(buckets)
    waiting = [0] * len(buckets)
    overdue = [0] * len(buckets)
    codes = list(ORGANISATION_TYPES)
    for row in inside:
        sent_at: datetime = row["submitted_at"]  # type: ignore[assignment]
        index = bucket(uk_day(sent_at))
        kind = row["referrer_organisation_type"]
        organisations[index][codes.index(kind) if kind in codes else len(codes)] += 1
        due = decision_due_on(sent_at, working_days)
        decided: datetime | None = row["first_decision_at"]  # type: ignore[assignment]
        if decided is None:
            waiting[index] += 1
            overdue[index] += uk_day(NOW) > due
        else:
            times[index].append(working_days_between(uk_day(sent_at), uk_day(decided)))
            within[index] += uk_day(decided) <= due
    return {
        "organisations": [tuple(row) for row in organisations],
        "urgencies": Counter(
            row["urgency"] if row["urgency"] in URGENCIES else None for row in inside
        ),
        "statuses": Counter(row["hub_status"] for row in inside),
        "medians": [statistics.median(t) if t else None for t in times],
        "p90s": [sorted(t)[-(-9 * len(t) // 10) - 1] if t else None for t in times],
        "within": within,
        "waiting": waiting,
        "overdue": overdue,
        "sent": len(inside),
    }


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 9, 14), date(2026, 12, 5)),  # the default 12 weeks
        (date(2026, 3, 25), date(2026, 4, 2)),  # the clocks going forward, part weeks
        (date(2026, 6, 30), date(2026, 7, 1)),  # two days in summer time
        (date(2025, 10, 1), date(2026, 11, 30)),  # by month, both changes of the clocks
    ],
)
@pytest.mark.parametrize("working_days", [1, 3])
def test_the_figures_are_what_counting_each_referral_gives(
    sessions: sessionmaker[Session], first: date, last: date, working_days: int
) -> None:
    with sessions() as session:
        rows = fill(session, random.Random(f"{first}{working_days}"))  # noqa: S311 - sample data
        period = reports.Period(first, last)
        report = reports.build_report(
            session, ASSESSMENT, period, working_days=working_days, now=NOW
        )
    expected = by_hand(rows, period, working_days)
    assert report.sent == expected["sent"] > 0
    assert [row.values for row in report.organisations.rows] == expected["organisations"]
    assert {share.label: share.count for share in report.urgencies} == {
        **{label: expected["urgencies"][code] for code, label in URGENCIES.items()},
        "Not set": expected["urgencies"][None],
    }
    outcomes = {share.label: share.count for share in report.outcomes}
    assert outcomes["Accepted for Early Help"] == expected["statuses"]["accepted-early-help"]
    # A status that is not one of ours counts as still received.
    assert outcomes["Received, not decided yet"] == (
        expected["statuses"]["received"] + expected["statuses"]["something-else"]
    )
    assert sum(outcomes.values()) == report.sent
    decisions = report.decisions.rows
    assert [row.median for row in decisions] == expected["medians"]
    assert [row.p90 for row in decisions] == expected["p90s"]
    assert [row.within_target for row in decisions] == expected["within"]
    assert [row.waiting for row in decisions] == expected["waiting"]
    assert [row.overdue for row in decisions] == expected["overdue"]
    assert report.decisions.overall.decided == sum(row.decided for row in decisions)


def test_a_referral_is_counted_on_its_uk_day_at_the_edges_of_the_period(
    sessions: sessionmaker[Session],
) -> None:
    """Sent at 23:30 UTC on 30 June (00:30 on 1 July in the UK): in a period of 1 July only,
    not in one of 30 June; midnight UK time at the start is in, at the end is out."""
    with sessions() as session:
        owner = add_professional(session).id
        moments = {
            "late": datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
            "start": datetime.combine(date(2026, 7, 1), time(0), tzinfo=UK).astimezone(UTC),
            "after": datetime.combine(date(2026, 7, 2), time(0), tzinfo=UK).astimezone(UTC),
        }
        for name, moment in moments.items():
            session.add(
                Referral(
                    reference=f"EH-EDGE-{name}",
                    owner_id=owner,
                    status="submitted",
                    referral_option="early-help",
                    child_forename="Sam",
                    child_surname="Smith",
                    created_at=moment,
                    updated_at=moment,
                    submitted_at=moment,
                    hub_status="received",
                )
            )
        session.commit()

        def sent(first: date, last: date) -> int:
            period = reports.Period(first, last)
            return reports.build_report(session, ASSESSMENT, period, working_days=1, now=NOW).sent

        assert sent(date(2026, 7, 1), date(2026, 7, 1)) == 2  # late and start
        assert sent(date(2026, 6, 30), date(2026, 6, 30)) == 0
        assert sent(date(2026, 7, 2), date(2026, 7, 2)) == 1  # after


def test_drafts_started_and_where_abandoned_ones_stopped(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        owner = add_professional(session).id
        monday = datetime(2026, 11, 2, 10, tzinfo=UTC)
        for n, (status, days) in enumerate(
            [("submitted", 0), ("submitted", 1), ("draft", 2), ("draft", 8), ("submitted", 9)]
        ):
            started = monday + timedelta(days=days)
            session.add(
                Referral(
                    reference=f"EH-D-{n}",
                    owner_id=owner,
                    status=status,
                    referral_option="early-help",
                    child_forename="Sam",
                    child_surname="Smith",
                    created_at=started,
                    updated_at=started,
                    submitted_at=started if status == "submitted" else None,
                )
            )
        for started_days, reason, section in [
            (0, "deleted", "consent"),
            (3, "expired", None),
            (7, "expired", "consent"),
            (8, "deleted", "a-section-since-removed"),
            (30, "deleted", "consent"),  # started after the period
        ]:
            session.add(
                EndedDraft(
                    started_at=monday + timedelta(days=started_days),
                    ended_at=monday + timedelta(days=40),
                    reason=reason,
                    referral_option="early-help",
                    last_section=section,
                    sections_completed=0,
                )
            )
        session.commit()
        period = reports.Period(date(2026, 11, 2), date(2026, 11, 15))
        report = reports.build_report(session, ASSESSMENT, period, working_days=1, now=NOW)
    assert report.drafts.columns == reports.DRAFT_COLUMNS
    # Sent, deleted by the professional, deleted after the time limit, still a draft.
    assert [row.values for row in report.drafts.rows] == [(2, 1, 1, 1), (1, 1, 1, 1)]
    stopped = {share.label: share.count for share in report.stopped if share.count}
    assert stopped == {
        reports.NO_SECTION: 1,
        "Consent": 2,
        "A section no longer in the form": 1,
    }
    # In the form's order, after "before saving any section".
    labels = [share.label for share in report.stopped]
    assert labels[0] == reports.NO_SECTION
    assert labels.index("Referrer and child details") < labels.index("Consent")
    texts = reports.summaries(report)
    assert "9 forms were started" in texts["drafts"]
    assert "44% abandoned" in texts["drafts"]
    assert "the most stopped after saving Consent: 2 (50%)" in texts["stopped"]


def test_an_empty_period_says_so_in_words(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        period = reports.Period(date(2026, 1, 5), date(2026, 1, 11))
        report = reports.build_report(session, ASSESSMENT, period, working_days=1, now=NOW)
    texts = reports.summaries(report)
    assert (
        texts["organisations"] == "No referrals were sent from 5 January 2026 to 11 January 2026."
    )
    assert texts["drafts"].startswith("No forms were started")
    assert report.decisions.overall.median is None
    rows = list(reports.csv_rows(report))
    assert ["Referrals sent", period.describe(), "Referrals sent", "0"] in rows


# The period as typed ------------------------------------------------------------------------

TODAY = date(2026, 12, 5)


def typed(first: tuple[str, str, str], last: tuple[str, str, str]) -> dict[str, str]:
    return {
        **dict(zip(("from-day", "from-month", "from-year"), first, strict=True)),
        **dict(zip(("to-day", "to-month", "to-year"), last, strict=True)),
    }


def test_no_dates_is_the_last_12_weeks_from_a_monday() -> None:
    choice = reports.choose_period({}, TODAY)
    assert choice.period == reports.Period(date(2026, 9, 14), TODAY)
    assert len(choice.period.buckets()) == 12
    assert not choice.period.by_month
    assert choice.period.buckets()[-1].partial  # this week so far


def test_a_real_period_is_taken_as_typed_with_spaces_around() -> None:
    choice = reports.choose_period(typed((" 1", "9 ", "2026"), ("30", "11", "2026")), TODAY)
    assert choice.period == reports.Period(date(2026, 9, 1), date(2026, 11, 30))
    assert choice.errors == {}


@pytest.mark.parametrize(
    ("first", "last", "errors"),
    [
        (("1", "9", "2026"), ("", "", ""), {"to-day": "Enter the end date"}),
        (
            ("1", "", "2026"),
            ("1", "10", "2026"),
            {"from-month": "Start date: the date must include a month"},
        ),
        (
            ("31", "2", "2026"),
            ("1", "10", "2026"),
            {"from-day": "Start date: the date must be a real date, like 27 3 2019"},
        ),
        (
            ("1", "13", "2026"),
            ("1", "10", "2026"),
            {"from-month": "Start date: the date must be a real date, like 27 3 2019"},
        ),
        (
            ("1", "9", "26"),
            ("1", "10", "2026"),
            {"from-year": "Start date: the date must be a real date, like 27 3 2019"},
        ),
        (
            ("²", "9", "2026"),
            ("1", "10", "2026"),
            {"from-day": "Start date: the date must be a real date, like 27 3 2019"},
        ),
        (
            ("1", "9", "99999999999999999999"),
            ("1", "10", "2026"),
            {"from-year": "Start date: the date must be a real date, like 27 3 2019"},
        ),
        (
            ("<b>", "9", "2026"),
            ("1", "10", "2026"),
            {"from-day": "Start date: the date must be a real date, like 27 3 2019"},
        ),
        (
            ("1", "9", "2026"),
            ("6", "12", "2026"),
            {"to-day": "End date must be today or in the past"},
        ),
        (
            ("1", "10", "2026"),
            ("1", "9", "2026"),
            {"from-day": "Start date must be the same as or before the end date"},
        ),
        (
            ("4", "12", "2023"),
            ("4", "12", "2026"),
            {"to-day": "The period must be 3 years or shorter"},
        ),
        (
            ("31", "12", "1999"),
            ("1", "1", "2000"),
            {"from-day": "Start date must be on or after 1 January 2000"},
        ),
    ],
)
def test_a_period_that_is_not_a_real_one_says_what_is_wrong(
    first: tuple[str, str, str], last: tuple[str, str, str], errors: dict[str, str]
) -> None:
    choice = reports.choose_period(typed(first, last), TODAY)
    assert choice.period is None
    assert choice.errors == errors
    # What was typed is kept to show again (cut to 10 characters).
    assert choice.typed["from"]["day"] == first[0].strip()[:10]


def test_exactly_three_years_is_allowed() -> None:
    choice = reports.choose_period(typed(("5", "12", "2023"), ("4", "12", "2026")), TODAY)
    assert choice.period is not None and choice.period.by_month
    assert len(choice.period.buckets()) == 37  # December 2023 to December 2026, in part


def test_buckets_are_whole_weeks_up_to_26_and_months_beyond() -> None:
    weeks = reports.Period(date(2026, 6, 3), date(2026, 11, 29))  # Wednesday to Sunday
    assert not weeks.by_month
    buckets = weeks.buckets()
    assert buckets[0].first == date(2026, 6, 3) and buckets[0].last == date(2026, 6, 7)
    assert buckets[0].label == "Week beginning 1 June 2026 (part)"
    assert buckets[1].label == "Week beginning 8 June 2026"
    assert buckets[-1].last == date(2026, 11, 29) and not buckets[-1].partial
    assert len(buckets) == 26
    months = reports.Period(date(2026, 6, 1), date(2026, 11, 30))
    assert months.by_month
    assert [b.label for b in months.buckets()] == [
        "June 2026",
        "July 2026",
        "August 2026",
        "September 2026",
        "October 2026",
        "November 2026",
    ]


def test_summer_time_spans_are_the_uk_clock_changes() -> None:
    assert reports.summer_time(date(2026, 1, 1), date(2026, 12, 31)) == [
        (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC))
    ]
    # A period inside summer time is one span, from its first day's start.
    assert reports.summer_time(date(2026, 7, 1), date(2026, 7, 2)) == [
        (datetime(2026, 6, 30, 23, tzinfo=UTC), datetime(2026, 7, 2, 23, tzinfo=UTC))
    ]
    assert reports.summer_time(date(2026, 12, 1), date(2026, 12, 31)) == []


# Small numbers hidden -----------------------------------------------------------------------


A, B, C, D = (("t", row, "m") for row in "abcd")


@pytest.mark.parametrize(
    ("counts", "lines", "hidden"),
    [
        ({A: 0, B: 12, C: 7}, [[A, B, C]], set()),
        # One hidden beside a total: the next smallest is hidden too.
        ({A: 3, B: 12, C: 7}, [[A, B, C]], {A, C}),
        ({A: 3, B: 12, C: 7}, [], {A}),  # no total shown: nothing to subtract from
        ({A: 1, B: 4, C: 20}, [[A, B, C]], {A, B}),
        ({A: 0, B: 0, C: 2}, [[A, B, C]], {C}),  # nothing else to hide: the total is 2 too
        # Weeks of 10 and 3 with the period's 13 shown: the 10 would give the 3 away.
        ({A: 10, B: 3}, [[A, B]], {A, B}),
        # A cascade: hiding C for the row [A, C] leaves C alone in the column [C, D].
        ({A: 2, B: 9, C: 6, D: 8}, [[A, C], [C, D], [A, B]], {A, B, C, D}),
    ],
)
def test_downloads_hide_numbers_under_5_and_any_that_would_give_one_away(
    counts: dict[reports.Cell, int],
    lines: list[list[reports.Cell]],
    hidden: set[reports.Cell],
) -> None:
    assert reports.hidden_cells(counts, lines) == hidden


def test_no_hidden_count_can_be_worked_out_from_shown_ones(
    sessions: sessionmaker[Session],
) -> None:
    """Every sum the download shows, rebuilt from its cells as a reader would: none has
    exactly one hidden part."""
    with sessions() as session:
        fill(session, random.Random(11), count=60)  # noqa: S311 - sample data
        period = reports.Period(date(2026, 9, 14), date(2026, 12, 5))
        report = reports.build_report(session, ASSESSMENT, period, working_days=1, now=NOW)
    cells = {(r, row, m): value for r, row, m, value in reports.csv_rows(report)[1:]}
    concealed = {reports.SUPPRESSED, reports.HIDDEN}
    assert concealed & set(cells.values())

    def check(parts: list[reports.Cell], whole: reports.Cell) -> None:
        if cells[whole] in concealed:
            return
        assert sum(cells[p] in concealed for p in parts) != 1, (parts, whole)
        if not any(cells[p] in concealed for p in parts):
            assert sum(int(cells[p]) for p in parts) == int(cells[whole])

    organisations = "Referrals sent by type of organisation"
    weeks = [row.label for row in report.organisations.rows]
    columns = report.organisations.columns
    sent = ("Referrals sent", period.describe(), "Referrals sent")
    for week in weeks:
        check([(organisations, week, c) for c in columns], (organisations, week, "Total"))
    check([(organisations, week, "Total") for week in weeks], sent)
    for title in ("Urgency", "Outcome"):
        shares = report.urgencies if title == "Urgency" else report.outcomes
        check([(title, share.label, "Referrals") for share in shares], sent)
    decisions = "Time to first decision (working days)"
    for week in [*weeks, reports.WHOLE_PERIOD]:
        check(
            [(decisions, week, "Decided"), (decisions, week, "Not decided yet")],
            (decisions, week, "Referrals sent"),
        )
    for measure in ("Referrals sent", "Decided", "Not decided yet", "Overdue now"):
        check([(decisions, w, measure) for w in weeks], (decisions, reports.WHOLE_PERIOD, measure))
    for week in weeks:  # the same figure in two tables: hidden in both or neither
        same = {cells[(organisations, week, "Total")], cells[(decisions, week, "Referrals sent")]}
        assert len(same) == 1 or not same & concealed


def test_the_download_hides_small_numbers_and_medians_of_few_decisions(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        fill(session, random.Random(5), count=40)  # noqa: S311 - sample data
        period = reports.Period(date(2026, 9, 14), date(2026, 12, 5))
        report = reports.build_report(session, ASSESSMENT, period, working_days=1, now=NOW)
    rows = list(reports.csv_rows(report))
    assert rows[0] == ["Report", "Row", "Measure", "Value"]
    not_counts = {"Counted by", "Target", "Median", "90th percentile", "Share (%)"}
    counts = [row[3] for row in rows[1:] if row[2] not in not_counts]
    assert "fewer than 5" in counts
    for value in counts:
        assert value not in {"1", "2", "3", "4"}, rows
    decided = {row.label: row.decided for row in report.decisions.rows}
    few = {label for label, count in decided.items() if 0 < count < 5}
    assert few
    for title, label, measure, value in rows:
        if title.startswith("Time to first decision") and measure == "Median" and label in few:
            assert value == "fewer than 5 decisions"
