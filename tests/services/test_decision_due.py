"""When the hub's first decision is due: N working days after the day a referral was sent in
UK time, skipping weekends and England and Wales bank holidays from the bundled list, never
fetched from the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from govuk_bank_holidays.bank_holidays import BankHolidays

from app.services import decision_due
from app.services.decision_due import (
    decision_due_on,
    overdue_if_sent_before,
    uk_date,
)


def utc(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent_at", "working_days", "due"),
    [
        # A Friday send: the weekend is skipped.
        (utc(2026, 11, 27), 1, date(2026, 11, 30)),
        (utc(2026, 11, 27), 3, date(2026, 12, 2)),
        # Sent on a Saturday: counted from the Monday after.
        (utc(2026, 11, 28), 1, date(2026, 11, 30)),
        # Christmas 2026: Christmas Day (Friday 25), and Boxing Day on Monday 28 (the 26th is a
        # Saturday), are skipped.
        (utc(2026, 12, 24), 1, date(2026, 12, 29)),
        (utc(2026, 12, 24), 3, date(2026, 12, 31)),
        # New Year's Day 2027 (a Friday).
        (utc(2026, 12, 31), 1, date(2027, 1, 4)),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        (utc(2027, 3, 25), 1, date(2027, 3, 30)),
        (utc(2027, 3, 25), 3, date(2027, 4, 1)),
        # An ordinary Monday.
        (utc(2026, 11, 23), 1, date(2026, 11, 24)),
        (utc(2026, 11, 23), 30, date(2027, 1, 7)),
    ],
)
def test_the_due_date_skips_weekends_and_bank_holidays(
    sent_at: datetime, working_days: int, due: date
) -> None:
    assert decision_due_on(sent_at, working_days) == due


def test_a_send_late_in_the_evening_counts_on_the_uk_day() -> None:
    # 23:30 UTC on Thursday 1 July 2027 is 00:30 on Friday in the UK (summer time): a Friday
    # send, due on Monday, not on the Friday a Thursday send would be due.
    assert uk_date(utc(2027, 7, 1, 23, 30)) == date(2027, 7, 2)
    assert decision_due_on(utc(2027, 7, 1, 23, 30), 1) == date(2027, 7, 5)
    assert decision_due_on(utc(2027, 7, 1, 22, 59), 1) == date(2027, 7, 2)
    # In winter UK time is UTC: 23:30 on Thursday 24 December 2026 is still Thursday.
    assert decision_due_on(utc(2026, 12, 24, 23, 30), 1) == date(2026, 12, 29)
    # Sent at 23:59 on Sunday 28 March 2027 (BST began that morning): a Sunday send.
    assert decision_due_on(utc(2027, 3, 28, 22, 59), 1) == date(2027, 3, 30)


def hours(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    moment = start
    while moment < end:
        yield moment
        moment += step


@pytest.mark.parametrize("working_days", [1, 3])
@pytest.mark.parametrize(
    "today", [utc(2026, 12, 29, 9), utc(2027, 1, 4, 0, 30), utc(2027, 3, 30, 23, 30)]
)
def test_overdue_in_the_inbox_is_exactly_past_the_due_day(
    working_days: int, today: datetime
) -> None:
    """What the inbox filters on (sent before a moment) agrees with the due date, for every
    half hour of the weeks before, across Christmas and Easter and the clocks changing."""
    cutoff = overdue_if_sent_before(today, working_days)
    for sent_at in hours(today - timedelta(days=40), today, timedelta(minutes=30)):
        overdue = uk_date(today) > decision_due_on(sent_at, working_days)
        assert (sent_at < cutoff) is overdue, (sent_at, cutoff)


class NetworkGuard:
    """Every attempt to reach the network is written down and refused."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def refuse(self, what: str) -> Any:
        def refused(*args: object, **kwargs: object) -> None:
            self.attempts.append(f"{what}{args[:2]}")
            raise OSError("no network in this test")

        return refused


@pytest.fixture
def network_guard(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    guard = NetworkGuard()
    monkeypatch.setattr(socket.socket, "connect", guard.refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", guard.refuse("connect_ex"))
    monkeypatch.setattr(socket, "getaddrinfo", guard.refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", guard.refuse("create_connection"))
    return guard


def test_the_bank_holidays_come_from_the_bundled_list_without_the_network(
    network_guard: NetworkGuard,
) -> None:
    # The guard catches a download: the package's default would try one.
    BankHolidays()
    assert network_guard.attempts, "the guard did not see the package's download"
    network_guard.attempts.clear()

    decision_due.bank_holidays.cache_clear()
    try:
        holidays = decision_due.bank_holidays()
        assert decision_due_on(utc(2026, 12, 24), 1) == date(2026, 12, 29)
    finally:
        decision_due.bank_holidays.cache_clear()
    assert network_guard.attempts == []
    # England and Wales: Easter Monday is one, Scotland's 2 January is not.
    assert date(2027, 3, 29) in holidays and date(2027, 1, 2) not in holidays
