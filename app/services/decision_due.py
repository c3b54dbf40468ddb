"""When the hub's first decision on a sent referral is due, in working days.

A referral sent on any day, at any hour, is due by the end of the Nth working day after the
day it was sent in UK time (HUB_DECISION_WORKING_DAYS, N), where working days skip weekends and
England and Wales bank holidays. The hub's first decision is the first change of status away
from "received" (`Referral.first_decision_at`); until then a referral past its due date is
overdue.

Due dates are worked out when they are shown, never stored: a change of the setting, or a new
release of the bank holidays, applies to every referral at once. The due date never goes down
as the day sent goes up, so "sent before this moment" is "due before that day": the inbox
filters and sorts by the indexed `submitted_at` (`overdue_if_sent_before`).

The bank holidays are those bundled with `govuk-bank-holidays` (GOV.UK's list as it stood at
the release): never fetched from the network while the portal runs. After the last year the
package knows, only weekends are skipped: upgrade the package each year (docs/OPERATIONS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from govuk_bank_holidays.bank_holidays import BankHolidays

from app.models import Referral

UK_TIME = ZoneInfo("Europe/London")
WEEKEND = (5, 6)


@cache
def bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays, from the package's bundled data only (no download),
    read once."""
    bundled = BankHolidays(use_cached_holidays=True)
    return frozenset(
        holiday["date"] for holiday in bundled.get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    )


def is_working_day(day: date) -> bool:
    return day.weekday() not in WEEKEND and day not in bank_holidays()


def uk_date(moment: datetime) -> date:
    """The calendar day in the UK at that moment (BST or GMT)."""
    return moment.astimezone(UK_TIME).date()


def due_after(sent_on: date, working_days: int) -> date:
    """The Nth working day after the day a referral was sent."""
    day = sent_on
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def decision_due_on(sent_at: datetime, working_days: int) -> date:
    """The day the hub's first decision on a referral sent at `sent_at` is due."""
    return due_after(uk_date(sent_at), working_days)


def overdue_if_sent_before(now: datetime, working_days: int) -> datetime:
    """The moment (UTC) before which an undecided referral is overdue now: the start, in UK
    time, of the first day whose referrals are not yet past their due day."""
    today = uk_date(now)
    day = today
    # The due date never goes down as the day sent goes up: walk back to the last day whose
    # referrals were due before today (at most 30 working days and their holidays).
    while due_after(day - timedelta(days=1), working_days) >= today:
        day -= timedelta(days=1)
    return start_of_uk_day(day)


def start_of_uk_day(day: date) -> datetime:
    """The moment (UTC) a UK day begins (midnight, GMT or BST)."""
    return datetime.combine(day, time(0), tzinfo=UK_TIME).astimezone(UTC)


@dataclass(frozen=True)
class FirstDecision:
    """Where a sent referral stands: decided (when), or due (on which day), and overdue."""

    decided_at: datetime | None
    due_on: date | None
    overdue: bool


def first_decision(referral: Referral, working_days: int, *, now: datetime) -> FirstDecision:
    if referral.first_decision_at is not None or referral.submitted_at is None:
        return FirstDecision(referral.first_decision_at, None, False)
    due_on = decision_due_on(referral.submitted_at, working_days)
    return FirstDecision(None, due_on, uk_date(now) > due_on)
