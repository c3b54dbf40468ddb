"""The figures on the hub managers' Reports page, and in its CSV: over a period of UK days,
the referrals sent (by the referrer's type of organisation, the services asked for, urgency
and outcome), how long the hub took to its first decision in working days against the
HUB_DECISION_WORKING_DAYS target, and the drafts started against those sent, with the section
where abandoned drafts stopped.

A period of up to 26 weeks is counted week by week (weeks begin on Monday; the first and last
may be part weeks); a longer one, up to three years, month by month. The database counts the
period's referrals a UK day at a time, from indexes that hold every column counted (migration
0021); Python adds the days up into weeks or months. No child's details are read at all.

Downloads hide small numbers (`hidden_cells`): a count from 1 to 4 is "fewer than 5"; and
wherever shown figures add up to another shown figure (a week's counts to its total, the
weeks to the period), one hidden count would be the difference, so another is hidden with it
("hidden"), until none can be worked out by subtraction.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.assessment import validators
from app.assessment.model import Assessment
from app.assessment.reference import ORGANISATION_SHORT_NAMES, ORGANISATION_TYPES, SERVICES
from app.models import EndedDraft, Referral, ReferralService
from app.services.decision_due import (
    UK_TIME,
    due_after,
    is_working_day,
    start_of_uk_day,
    uk_date,
)
from app.services.hub import OUTCOMES, STATUSES, URGENCIES
from app.services.referrals import RECEIVED, SUBMITTED

WEEKLY_UP_TO_WEEKS = 26
DEFAULT_WEEKS = 12
MAX_PERIOD_YEARS = 3
EARLIEST = date(2000, 1, 1)
SUPPRESSED = "fewer than 5"
# A count of 5 or more hidden so that a smaller one cannot be worked out from it.
HIDDEN = "hidden"
SMALLEST_SHOWN = 5
NOT_GIVEN = "Not given"
NO_SERVICE = "No service named"
WHOLE_PERIOD = "Whole period"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Bucket:
    """One week or month of the period: its first and last days (inclusive) within it."""

    first: date
    last: date
    by_month: bool

    @property
    def partial(self) -> bool:
        if self.by_month:
            whole_last = (self.first.replace(day=28) + timedelta(days=4)).replace(day=1)
            return self.first.day != 1 or self.last != whole_last - timedelta(days=1)
        return self.first.weekday() != 0 or self.last.weekday() != 6

    @property
    def label(self) -> str:
        """What a table row says: "Week beginning 7 September 2026", "September 2026"."""
        if self.by_month:
            name = f"{self.first:%B %Y}"
        else:
            start = monday(self.first)
            name = f"Week beginning {start.day} {start:%B %Y}"
        return f"{name} (part)" if self.partial else name

    @property
    def short_label(self) -> str:
        """What a chart's axis says: "7 Sep", "Sep 2026"."""
        if self.by_month:
            return f"{self.first:%b %Y}"
        start = monday(self.first)
        return f"{start.day} {start:%b}"


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both UK days and both counted."""

    first: date
    last: date

    @property
    def by_month(self) -> bool:
        return (monday(self.last) - monday(self.first)).days // 7 + 1 > WEEKLY_UP_TO_WEEKS

    @property
    def unit(self) -> str:
        """What a bucket is: "week" or "month"."""
        return "month" if self.by_month else "week"

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """From the start of the first day to the start of the day after the last (UTC)."""
        return start_of_uk_day(self.first), start_of_uk_day(self.last + timedelta(days=1))

    def buckets(self) -> list[Bucket]:
        buckets = []
        first = self.first
        while first <= self.last:
            if self.by_month:
                following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
            else:
                following = monday(first) + timedelta(days=7)
            last = min(following - timedelta(days=1), self.last)
            buckets.append(Bucket(first, last, self.by_month))
            first = following
        return buckets

    def bucket_of(self, day: date) -> int:
        """The index of the bucket holding `day` (a day inside the period)."""
        if self.by_month:
            return (day.year - self.first.year) * 12 + day.month - self.first.month
        return (monday(day) - monday(self.first)).days // 7

    def describe(self) -> str:
        return f"{self.first.day} {self.first:%B %Y} to {self.last.day} {self.last:%B %Y}"


def default_period(today: date) -> Period:
    """The last 12 weeks: from the Monday 11 weeks before this week's, to today."""
    return Period(monday(today) - timedelta(weeks=DEFAULT_WEEKS - 1), today)


@dataclass(frozen=True)
class PeriodChoice:
    """The period asked for in the query string, as typed, with what is wrong with it."""

    period: Period | None
    typed: dict[str, dict[str, str]]
    # Field id (e.g. "from-day") → message; in the order the page shows them.
    errors: dict[str, str]
    wrong_parts: dict[str, frozenset[str]] = field(default_factory=dict)


DATE_FIELDS = {"from": "Start date", "to": "End date"}


def choose_period(params: Mapping[str, str], today: date) -> PeriodChoice:
    """The period in `params` (from-day, from-month, from-year, to-…), the default one when
    none is given, or what is wrong with it."""
    typed = {
        name: {
            part: params.get(f"{name}-{part}", "").strip()[:10] for part in ("day", "month", "year")
        }
        for name in DATE_FIELDS
    }
    if not any(text for parts in typed.values() for text in parts.values()):
        return PeriodChoice(default_period(today), typed, {})
    errors: dict[str, str] = {}
    wrong_parts: dict[str, frozenset[str]] = {}
    dates: dict[str, date] = {}
    for name, label in DATE_FIELDS.items():
        moment, message, wrong = validators.parse_date_parts(typed[name])
        if moment is None and message is None:
            errors[f"{name}-day"] = f"Enter the {label.lower()}"
            wrong_parts[name] = frozenset({"day", "month", "year"})
            continue
        if message is not None:
            first = next(p for p in ("day", "month", "year") if p in wrong)
            errors[f"{name}-{first}"] = f"{label}: {message[0].lower()}{message[1:]}"
            wrong_parts[name] = frozenset(wrong)
            continue
        assert moment is not None
        problem = validators.date_range_problem(
            moment,
            today=today,
            allow_future=False,
            allow_past=True,
            max_years_ago=None,
            max_days_ahead=None,
            label=label,
        )
        if problem is None and moment < EARLIEST:
            problem = f"{label} must be on or after 1 January 2000"
        if problem is not None:
            errors[f"{name}-day"] = problem
            wrong_parts[name] = frozenset({"day", "month", "year"})
            continue
        dates[name] = moment
    if not errors:
        start, end = dates["from"], dates["to"]
        if start > end:
            errors["from-day"] = "Start date must be the same as or before the end date"
            wrong_parts["from"] = frozenset({"day", "month", "year"})
        elif end > _years_after(start, MAX_PERIOD_YEARS):
            errors["to-day"] = f"The period must be {MAX_PERIOD_YEARS} years or shorter"
            wrong_parts["to"] = frozenset({"day", "month", "year"})
    if errors:
        return PeriodChoice(None, typed, errors, wrong_parts)
    return PeriodChoice(Period(dates["from"], dates["to"]), typed, {})


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class CountTable:
    """Counts with a row per bucket or category and a column per series."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    # Whether a row's values add up to a whole that the table shows (its "Total" column).
    totalled: bool = True

    def column_totals(self) -> tuple[int, ...]:
        return tuple(sum(row.values[i] for row in self.rows) for i in range(len(self.columns)))

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    def rows_with_totals(self) -> list[tuple[str, tuple[int, ...], int]]:
        """(label, values, total) of each row, then of the whole period."""
        return [
            *((row.label, row.values, row.total) for row in self.rows),
            (WHOLE_PERIOD, self.column_totals(), self.total),
        ]


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    of: int

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.of) if self.of else 0


@dataclass(frozen=True)
class DecisionRow:
    label: str
    short_label: str
    sent: int
    decided: int
    median: float | None
    p90: float | None
    within_target: int
    waiting: int
    overdue: int


@dataclass(frozen=True)
class Decisions:
    target: int
    rows: tuple[DecisionRow, ...]
    overall: DecisionRow


@dataclass(frozen=True)
class Report:
    period: Period
    buckets: tuple[Bucket, ...]
    sent: int
    organisations: CountTable
    services: tuple[Share, ...]
    no_service: int
    urgencies: tuple[Share, ...]
    decisions: Decisions
    outcomes: tuple[Share, ...]
    drafts: CountTable
    stopped: tuple[Share, ...]


def percentile(values: Sequence[int], fraction: float) -> float | None:
    """The nearest-rank percentile of sorted `values` (90th: fraction 0.9)."""
    if not values:
        return None
    return float(values[max(math.ceil(fraction * len(values)) - 1, 0)])


def summer_time(first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The spans (UTC) between the start of `first` and the end of `last`, UK days, when UK
    time is an hour ahead of UTC (British Summer Time)."""
    spans: list[tuple[datetime, datetime]] = []
    opened: datetime | None = None
    moment = start_of_uk_day(first)
    end = start_of_uk_day(last + timedelta(days=1))
    while moment < end:
        ahead = bool(moment.astimezone(UK_TIME).utcoffset())
        if ahead and opened is None:
            opened = moment
        elif not ahead and opened is not None:
            spans.append((opened, moment))
            opened = None
        # An hour at a time on the days the clocks change, a day at a time otherwise.
        following = moment + timedelta(days=1)
        if bool(following.astimezone(UK_TIME).utcoffset()) != ahead:
            following = moment + timedelta(hours=1)
        moment = following
    if opened is not None:
        spans.append((opened, end))
    return spans


class _Days:
    """The UK days from the period's first to `until` (today, when later than the period's
    last), each with its bucket, its running count of working days and its decision's due
    day, all worked out once: there are at most a few thousand days, where there may be
    50,000 referrals, which the database counts day by day (`uk_day_of`)."""

    def __init__(self, period: Period, until: date, working_days: int) -> None:
        self.last = max(period.last, until)
        self.first = period.first
        days = [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]
        self.bucket = [period.bucket_of(day) if day <= period.last else -1 for day in days]
        self.working: list[int] = []
        count = 0
        for day in days:
            count += is_working_day(day)
            self.working.append(count)
        self.due = [(due_after(day, working_days) - self.first).days for day in days]
        self.summer = summer_time(self.first, self.last)

    def uk_day_of(self, column: Any, dialect: str) -> ColumnElement[Any]:
        """The UK day of a moment column, in SQL: PostgreSQL knows the time zone; SQLite
        does not, so it is told when summer time was, within these days."""
        if dialect == "postgresql":
            return func.date(func.timezone(literal_column("'Europe/London'"), column))
        if not self.summer:
            return func.date(column)
        in_summer = or_(*(and_(column >= start, column < end) for start, end in self.summer))
        return func.date(column, case((in_summer, literal_column("'+1 hours'")), else_="+0 hours"))

    def number(self, day: date | str) -> int:
        """The index of a UK day (as the database gives it) among these days."""
        if isinstance(day, str):
            day = date.fromisoformat(day)
        return min(max((day - self.first).days, 0), len(self.bucket) - 1)


def _decision_row(
    label: str,
    short_label: str,
    times: list[int],
    sent: int,
    within: int,
    waiting: int,
    overdue: int,
) -> DecisionRow:
    times.sort()
    return DecisionRow(
        label=label,
        short_label=short_label,
        sent=sent,
        decided=len(times),
        median=float(statistics.median(times)) if times else None,
        p90=percentile(times, 0.9),
        within_target=within,
        waiting=waiting,
        overdue=overdue,
    )


def build_report(
    session: Session,
    assessment: Assessment,
    period: Period,
    *,
    working_days: int,
    now: datetime,
) -> Report:
    """Every figure of the Reports page for `period`. Blocking: call it from a worker thread."""
    low, high = period.bounds
    buckets = period.buckets()
    today = uk_date(now)
    organisation_codes = list(ORGANISATION_TYPES)
    by_organisation = [[0] * (len(organisation_codes) + 1) for _ in buckets]
    urgencies: Counter[str | None] = Counter()
    statuses: Counter[str | None] = Counter()
    times: list[list[int]] = [[] for _ in buckets]
    within = [0] * len(buckets)
    waiting = [0] * len(buckets)
    overdue = [0] * len(buckets)
    sent_in = [0] * len(buckets)
    days = _Days(period, today, working_days)
    today_number = days.number(today)
    organisation_column = {code: i for i, code in enumerate(organisation_codes)}
    not_given = len(organisation_codes)
    connection = session.connection()
    dialect = connection.dialect.name
    sent_on = days.uk_day_of(Referral.submitted_at, dialect)
    decided_on = days.uk_day_of(Referral.first_decision_at, dialect)
    # Counted by the database a UK day at a time: a few thousand rows at most, whatever the
    # number of referrals.
    for day, organisation, count in connection.execute(
        select(sent_on, Referral.referrer_organisation_type, func.count())
        .where(*_sent_between(low, high))
        .group_by(sent_on, Referral.referrer_organisation_type)
    ):
        index = days.bucket[days.number(day)]
        sent_in[index] += count
        by_organisation[index][organisation_column.get(organisation or "", not_given)] += count
    for column, counter in ((Referral.urgency, urgencies), (Referral.hub_status, statuses)):
        counter.update(
            dict(
                connection.execute(
                    select(column, func.count()).where(*_sent_between(low, high)).group_by(column)
                ).all()
            )
        )
    for sent_day, decided_day, count in connection.execute(
        select(sent_on, decided_on, func.count())
        .where(*_sent_between(low, high))
        .group_by(sent_on, decided_on)
    ):
        sent_number = days.number(sent_day)
        index = days.bucket[sent_number]
        if decided_day is None:
            waiting[index] += count
            if today_number > days.due[sent_number]:
                overdue[index] += count
            continue
        decided_number = days.number(decided_day)
        working = max(days.working[decided_number] - days.working[sent_number], 0)
        times[index].extend([working] * count)
        if decided_number <= days.due[sent_number]:
            within[index] += count
    total = sum(sent_in)

    decision_rows = tuple(
        _decision_row(
            bucket.label,
            bucket.short_label,
            times[i],
            sent_in[i],
            within[i],
            waiting[i],
            overdue[i],
        )
        for i, bucket in enumerate(buckets)
    )
    overall = _decision_row(
        WHOLE_PERIOD,
        "All",
        [t for bucket_times in times for t in bucket_times],
        total,
        sum(within),
        sum(waiting),
        sum(overdue),
    )

    return Report(
        period=period,
        buckets=tuple(buckets),
        sent=total,
        organisations=CountTable(
            columns=(
                *(
                    ORGANISATION_SHORT_NAMES.get(c, ORGANISATION_TYPES[c])
                    for c in organisation_codes
                ),
                NOT_GIVEN,
            ),
            rows=tuple(
                Row(bucket.label, tuple(by_organisation[i])) for i, bucket in enumerate(buckets)
            ),
        ),
        services=_services(session, low, high, total),
        no_service=_without_a_service(session, low, high),
        urgencies=(
            *(Share(label, urgencies[code], total) for code, label in URGENCIES.items()),
            Share("Not set", total - sum(urgencies[code] for code in URGENCIES), total),
        ),
        decisions=Decisions(working_days, decision_rows, overall),
        outcomes=_outcomes(statuses, total),
        drafts=_drafts(session, period, buckets, days),
        stopped=_stopped(session, assessment, low, high),
    )


def _outcomes(statuses: Counter[str | None], total: int) -> tuple[Share, ...]:
    """The hub's decisions first, then those not decided yet ("Received" and "In triage")."""
    decided = [code for code in STATUSES if code in OUTCOMES]
    undecided = [code for code in STATUSES if code not in OUTCOMES]
    # A status that is none of ours (there should be none) counts as still received.
    others = sum(statuses[code] for code in STATUSES if code != RECEIVED)
    return tuple(
        Share(
            STATUSES[code] if code in OUTCOMES else f"{STATUSES[code]}, not decided yet",
            total - others if code == RECEIVED else statuses[code],
            total,
        )
        for code in (*decided, *undecided)
    )


def _sent_between(low: datetime, high: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Referral.status == SUBMITTED,
        Referral.submitted_at >= low,
        Referral.submitted_at < high,
    )


def _services(session: Session, low: datetime, high: datetime, total: int) -> tuple[Share, ...]:
    counts = dict(
        session.execute(
            select(ReferralService.service, func.count())
            .join(Referral, Referral.id == ReferralService.referral_id)
            .where(*_sent_between(low, high))
            .group_by(ReferralService.service)
        ).all()
    )
    return tuple(Share(label, int(counts.get(code, 0)), total) for code, label in SERVICES)


def _without_a_service(session: Session, low: datetime, high: datetime) -> int:
    asked = select(ReferralService.id).where(ReferralService.referral_id == Referral.id)
    return int(
        session.scalar(
            select(func.count())
            .select_from(Referral)
            .where(*_sent_between(low, high), ~asked.exists())
        )
        or 0
    )


DRAFT_COLUMNS = (
    "Sent",
    "Deleted by the professional",
    "Deleted unsent after the time limit",
    "Still a draft",
)


def _drafts(session: Session, period: Period, buckets: Sequence[Bucket], days: _Days) -> CountTable:
    """Forms started in each bucket, by where they are now: sent, deleted unsent (by the
    professional, or by retention once their time was up), or still a draft."""
    low, high = period.bounds
    counts = [[0] * len(DRAFT_COLUMNS) for _ in buckets]
    connection = session.connection()
    dialect = connection.dialect.name
    started_on = days.uk_day_of(Referral.created_at, dialect)
    is_sent = Referral.status == SUBMITTED
    for day, sent, count in connection.execute(
        select(started_on, is_sent, func.count())
        .where(Referral.created_at >= low, Referral.created_at < high)
        .group_by(started_on, is_sent)
    ):
        counts[days.bucket[days.number(day)]][0 if sent else 3] += count
    ended_started_on = days.uk_day_of(EndedDraft.started_at, dialect)
    for day, reason, count in connection.execute(
        select(ended_started_on, EndedDraft.reason, func.count())
        .where(EndedDraft.started_at >= low, EndedDraft.started_at < high)
        .group_by(ended_started_on, EndedDraft.reason)
    ):
        counts[days.bucket[days.number(day)]][1 if reason == "deleted" else 2] += count
    return CountTable(
        columns=DRAFT_COLUMNS,
        rows=tuple(Row(bucket.label, tuple(counts[i])) for i, bucket in enumerate(buckets)),
    )


NO_SECTION = "Before saving any section"


def _stopped(
    session: Session, assessment: Assessment, low: datetime, high: datetime
) -> tuple[Share, ...]:
    """Drafts started in the period and deleted unsent, by the section saved last, in the
    form's order."""
    counts = dict(
        session.execute(
            select(EndedDraft.last_section, func.count())
            .where(EndedDraft.started_at >= low, EndedDraft.started_at < high)
            .group_by(EndedDraft.last_section)
        ).all()
    )
    total = sum(int(n) for n in counts.values())
    known = {section.id for section in assessment.sections}
    shares = [Share(NO_SECTION, int(counts.pop(None, 0)), total)]
    shares += [
        Share(section.title, int(counts.get(section.id, 0)), total)
        for section in assessment.sections
    ]
    # A section since taken out of the form still counts.
    gone = sum(int(n) for code, n in counts.items() if code not in known)
    if gone:
        shares.append(Share("A section no longer in the form", gone, total))
    return tuple(shares)


Cell = tuple[str, str, str]  # (report, row, measure): one figure of the download


def hidden_cells(counts: Mapping[Cell, int], lines: Iterable[Sequence[Cell]]) -> set[Cell]:
    """The counts a download hides. First every count from 1 to 4; then, for each line (cells
    that add up to a figure the download shows, along a row or down a column, or one figure
    shown twice), while it has exactly one hidden cell, its smallest other non-zero cell too,
    until no line has one: no hidden count can be found by subtracting shown ones."""
    hidden = {cell for cell, count in counts.items() if 0 < count < SMALLEST_SHOWN}
    every_line = [list(line) for line in lines]
    changed = True
    while changed:
        changed = False
        for line in every_line:
            if sum(cell in hidden for cell in line) != 1:
                continue
            others = [(counts[cell], cell) for cell in line if cell not in hidden and counts[cell]]
            if others:
                hidden.add(min(others)[1])
                changed = True
    return hidden


class _Download:
    """The download's figures in order: counts, the lines among them that add up to a figure
    it shows (or are one figure shown twice), and other figures, each hidden with its count."""

    def __init__(self) -> None:
        self.rows: list[tuple[Cell, int | str, Cell | None]] = []
        self.lines: list[list[Cell]] = []

    def count(self, report: str, row: str, measure: str, value: int) -> Cell:
        cell = (report, row, measure)
        self.rows.append((cell, value, None))
        return cell

    def text(
        self, report: str, row: str, measure: str, value: str, *, of: Cell | None = None
    ) -> None:
        """A figure that is not a count (a share, a median): hidden when the count `of` is."""
        self.rows.append(((report, row, measure), value, of))

    def adds_up(self, cells: Sequence[Cell]) -> None:
        self.lines.append(list(cells))

    def written(self) -> list[list[str]]:
        counts = {cell: value for cell, value, _of in self.rows if isinstance(value, int)}
        hidden = hidden_cells(counts, self.lines)
        written = [["Report", "Row", "Measure", "Value"]]
        for cell, value, of in self.rows:
            if cell in hidden:
                value = SUPPRESSED if counts[cell] < SMALLEST_SHOWN else HIDDEN
            elif of is not None and of in hidden:
                value = HIDDEN
            written.append([*cell, str(value)])
        return written


def csv_rows(report: Report) -> list[list[str]]:
    """The report's figures as CSV rows (report, row, measure, value), small numbers hidden
    (`hidden_cells`): a count from 1 to 4 reads "fewer than 5"; a larger one hidden so that it
    cannot give one away reads "hidden", as does a share or median of a hidden count."""
    out = _Download()
    period = report.period.describe()
    out.text("Period", period, "Counted by", report.period.unit)
    sent = out.count("Referrals sent", period, "Referrals sent", report.sent)

    # Each week's (or month's) counts add up to its total, and the totals to the period's.
    title = "Referrals sent by type of organisation"
    totals = [
        _counted_row(out, title, row, report.organisations.columns, "Total")
        for row in report.organisations.rows
    ]
    out.adds_up(totals)

    # A referral may ask for several services: their counts add up to nothing shown.
    _shares(out, "Services asked for", report.services, adds_up=False)
    out.count("Services asked for", NO_SERVICE, "Referrals", report.no_service)
    _shares(out, "Urgency", report.urgencies)
    _shares(out, "Outcome", report.outcomes)

    # Each week, and the whole period: decided and not yet add up to those sent. Each measure's
    # weeks add up to the whole period's. A week's sent is the same figure as its total above,
    # and the whole period's is the period's.
    title = "Time to first decision (working days)"
    columns: dict[str, list[Cell]] = {}
    for decision in (*report.decisions.rows, report.decisions.overall):
        row = decision.label
        out.text(title, row, "Target", str(report.decisions.target))
        cells = {
            measure: out.count(title, row, measure, value)
            for measure, value in (
                ("Referrals sent", decision.sent),
                ("Decided", decision.decided),
                ("Not decided yet", decision.waiting),
                ("Decided within target", decision.within_target),
                ("Overdue now", decision.overdue),
            )
        }
        out.adds_up([cells["Decided"], cells["Not decided yet"]])
        few = 0 < decision.decided < SMALLEST_SHOWN
        for measure, value in (("Median", decision.median), ("90th percentile", decision.p90)):
            text = f"{SUPPRESSED} decisions" if few else "" if value is None else f"{value:g}"
            out.text(title, row, measure, text, of=None if few else cells["Decided"])
        for measure, cell in cells.items():
            columns.setdefault(measure, []).append(cell)
    for cells_down in columns.values():
        out.adds_up(cells_down[:-1])  # the weeks, to the whole period's (the last)
    for same in zip(columns["Referrals sent"], [*totals, sent], strict=True):
        out.adds_up(same)

    title = "Forms started, by what became of them"
    for counted in report.drafts.rows:
        _counted_row(out, title, counted, report.drafts.columns, "Started")

    _shares(out, "Drafts deleted unsent, by the section saved last", report.stopped, unit="Drafts")
    return out.written()


def _counted_row(out: _Download, title: str, row: Row, columns: Sequence[str], total: str) -> Cell:
    """A row's counts, which add up to its total (shown); returns the total's cell."""
    out.adds_up(
        [out.count(title, row.label, c, v) for c, v in zip(columns, row.values, strict=True)]
    )
    return out.count(title, row.label, total, row.total)


def _shares(
    out: _Download,
    title: str,
    shares: Sequence[Share],
    *,
    adds_up: bool = True,
    unit: str = "Referrals",
) -> None:
    cells = [out.count(title, share.label, unit, share.count) for share in shares]
    for share, cell in zip(shares, cells, strict=True):
        out.text(title, share.label, "Share (%)", str(share.percent), of=cell)
    if adds_up:
        out.adds_up(cells)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole) if whole else 0}%"


def _days(value: float | None) -> str:
    if value is None:
        return "none"
    if value == int(value):
        return _plural(int(value), "working day")
    return f"{value:g} working days"


def _sentence_case(text: str) -> str:
    return text[:1].lower() + text[1:]


def summaries(report: Report) -> dict[str, str]:
    """A sentence or two per chart: what a reader should take from it, in words."""
    sent = report.sent
    period = report.period.describe()
    texts: dict[str, str] = {}
    if not sent:
        nothing = f"No referrals were sent from {period}."
        for key in ("organisations", "services", "urgencies", "decisions", "outcomes"):
            texts[key] = nothing
    else:
        table = report.organisations
        ranked = sorted(zip(table.columns, table.column_totals(), strict=True), key=lambda p: -p[1])
        most, most_count = ranked[0]
        who = "referrers who did not say" if most == NOT_GIVEN else _sentence_case(most)
        busiest = max(table.rows, key=lambda row: row.total)
        when = busiest.label if report.period.by_month else f"the {_sentence_case(busiest.label)}"
        unit = report.period.unit
        texts["organisations"] = (
            f"{_plural(sent, 'referral')} {_were(sent)} sent from {period}. The most came from "
            f"{who}: {most_count:,} ({_percent(most_count, sent)}). The busiest {unit} was "
            f"{when}, with {busiest.total:,}."
        )
        top = max(report.services, key=lambda share: share.count)
        asked = (
            f"{top.label} was asked for most often: in {top.count:,} of {sent:,} referrals "
            f"({top.percent}%). "
            if top.count
            else ""
        )
        texts["services"] = (
            f"{asked}{_plural(report.no_service, 'referral')} named no service. "
            "A referral can ask for more than one service."
        )
        texts["urgencies"] = (
            "; ".join(f"{s.label}: {s.count:,} ({s.percent}%)" for s in report.urgencies) + "."
        )
        overall = report.decisions.overall
        target = _plural(report.decisions.target, "working day")
        if overall.decided:
            texts["decisions"] = (
                f"Half the first decisions were made within {_days(overall.median)}, and 9 in "
                f"10 within {_days(overall.p90)}, against a target of {target}. "
                f"{overall.within_target:,} of {overall.decided:,} "
                f"({_percent(overall.within_target, overall.decided)}) were within the target."
            )
        else:
            texts["decisions"] = "No referral sent in this period has had a first decision yet."
        if overall.waiting:
            texts["decisions"] += (
                f" {_plural(overall.waiting, 'referral')} {'is' if overall.waiting == 1 else 'are'}"
                f" not decided yet, {overall.overdue:,} of them overdue."
            )
        outcomes = "; ".join(
            f"{_sentence_case(s.label)}: {s.count:,} ({s.percent}%)" for s in report.outcomes
        )
        texts["outcomes"] = f"Of {_plural(sent, 'referral')} sent: {outcomes}."
    started = report.drafts.total
    if started:
        sent_of, deleted, expired, still = report.drafts.column_totals()
        texts["drafts"] = (
            f"{_plural(started, 'form')} {_were(started)} started from {period}, and "
            f"{sent_of:,} ({_percent(sent_of, started)}) of them have been sent. {deleted:,} "
            f"{_were(deleted)} deleted by the professional and {expired:,} deleted unsent after "
            f"the time limit: {_percent(deleted + expired, started)} abandoned. "
            f"{_plural(still, 'form')} {'is' if still == 1 else 'are'} still being written."
        )
    else:
        texts["drafts"] = f"No forms were started from {period}."
    stopped = sum(share.count for share in report.stopped)
    if stopped:
        most_often = max(report.stopped, key=lambda share: share.count)
        where = (
            _sentence_case(NO_SECTION)
            if most_often.label == NO_SECTION
            else f"after saving {most_often.label}"
        )
        texts["stopped"] = (
            f"Of {_plural(stopped, 'draft')} deleted unsent, the most stopped {where}: "
            f"{most_often.count:,} ({most_often.percent}%)."
        )
    else:
        texts["stopped"] = "No form started in this period has been deleted unsent."
    return texts
