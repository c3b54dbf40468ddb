"""Checking and normalising single answers: UK phone numbers, email, NHS numbers, UPNs,
postcodes and dates. Each `*_problem` returns a GOV.UK-style message or None; each `normalise_*`
returns the canonical form of a valid answer."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import phonenumbers
from stdnum.gb import nhs, upn

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The strict UK postcode format (outward code, space optional, inward code), upper-cased first.
POSTCODE_PATTERN = re.compile(
    r"^(GIR ?0AA|(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def phone_problem(value: str, label: str = "telephone number") -> str | None:
    if re.search(r"[^\d\s()+\-.]", value):
        # Letters would be read as keypad digits ("CALLME" -> 225563): refuse them instead.
        return f"Enter a {label} in the correct format, like 01895 250111 or 07700 900982"
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return f"Enter a {label} in the correct format, like 01895 250111 or 07700 900982"
    if not phonenumbers.is_valid_number(number) and not _fictional_uk_number(number):
        return f"Enter a {label} in the correct format, like 01895 250111 or 07700 900982"
    return None


def _fictional_uk_number(number: phonenumbers.PhoneNumber) -> bool:
    # Ofcom's ranges for drama (07700 900xxx, 01632 960xxx ...) are the right format, and
    # people do test with them; accept them rather than confuse.
    national = str(number.national_number)
    return number.country_code == 44 and (
        national.startswith("7700900") or national.startswith("1632960")
    )


def normalise_phone(value: str) -> str:
    number = phonenumbers.parse(value, "GB")
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def email_problem(value: str) -> str | None:
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        return "Enter an email address in the correct format, like name@example.com"
    return None


def nhs_number_problem(value: str) -> str | None:
    digits = re.sub(r"[\s-]", "", value)
    if not digits.isdigit() or len(digits) != 10:
        return "Enter an NHS number with 10 digits, like 943 476 5919"
    # A number of one repeated digit passes the check digit (0000000000) but is never issued.
    if not nhs.is_valid(digits) or len(set(digits)) == 1:
        return "Enter a valid NHS number: check it has been typed correctly"
    return None


def normalise_nhs_number(value: str) -> str:
    return str(nhs.format(re.sub(r"[\s-]", "", value)))


def upn_problem(value: str) -> str | None:
    compact = re.sub(r"\s", "", value).upper()
    if len(compact) != 13:
        return "Enter a UPN with 13 characters, like B801200005001"
    if not upn.is_valid(compact):
        return "Enter a valid UPN: check it has been typed correctly"
    return None


def normalise_upn(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def normalise_postcode(value: str) -> str | None:
    """The postcode in its standard form ("UB8 1UW"), or None if it is not a UK postcode."""
    compact = re.sub(r"\s", "", value).upper()
    if not POSTCODE_PATTERN.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def parse_date_parts(parts: Any) -> tuple[date | None, str | None, set[str]]:
    """(the date, a message, which of day/month/year are wrong) from the GOV.UK date input."""
    if not isinstance(parts, dict):
        parts = {}
    raw = {name: str(parts.get(name, "")).strip() for name in ("day", "month", "year")}
    missing = {name for name, text in raw.items() if not text}
    if missing == {"day", "month", "year"}:
        return None, None, set()
    if missing:
        names = [n for n in ("day", "month", "year") if n in missing]
        return None, f"The date must include a {' and '.join(names)}", missing
    numbers: dict[str, int] = {}
    wrong = set()
    longest = {"day": 2, "month": 2, "year": 4}
    for name, text in raw.items():
        # ASCII digits only (str.isdigit() also accepts "²", which int() refuses), and no more
        # of them than the part can have (a huge number would overflow date()).
        if not re.fullmatch(rf"[0-9]{{1,{longest[name]}}}", text):
            wrong.add(name)
        else:
            numbers[name] = int(text)
    if "month" not in wrong and not 1 <= numbers.get("month", 1) <= 12:
        wrong.add("month")
    if "year" not in wrong and (len(raw["year"]) != 4 or numbers["year"] < 1000):
        wrong.add("year")
    if wrong:
        return None, "The date must be a real date, like 27 3 2019", wrong
    try:
        return date(numbers["year"], numbers["month"], numbers["day"]), None, set()
    except (ValueError, OverflowError):
        return None, "The date must be a real date, like 27 3 2019", {"day"}


def date_range_problem(
    moment: date,
    *,
    today: date,
    allow_future: bool,
    allow_past: bool,
    max_years_ago: int | None,
    max_days_ahead: int | None,
    label: str,
) -> str | None:
    if not allow_future and moment > today:
        return f"{label} must be today or in the past"
    if not allow_past and moment < today:
        return f"{label} must be today or in the future"
    if max_years_ago is not None:
        try:
            earliest = today.replace(year=today.year - max_years_ago)
        except ValueError:  # 29 February
            earliest = today.replace(year=today.year - max_years_ago, day=28)
        if moment < earliest:
            if max_years_ago == 1:
                return f"{label} must be within the last year"
            return f"{label} must be within the last {max_years_ago} years"
    if max_days_ahead is not None and moment > today + timedelta(days=max_days_ahead):
        if max_days_ahead >= 60:
            return f"{label} must be within the next {round(max_days_ahead / 30.44)} months"
        return f"{label} must be within the next {max_days_ahead} days"
    return None
