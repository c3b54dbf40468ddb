"""The single-answer checks: NHS numbers, UPNs, postcodes, UK phone numbers, email addresses
and dates, each with valid and invalid examples."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.assessment import validators

TODAY = date(2026, 11, 23)
PHONE_MESSAGE = "Enter a telephone number in the correct format, like 01895 250111 or 07700 900982"
NHS_LENGTH = "Enter an NHS number with 10 digits, like 943 476 5919"
NHS_CHECKSUM = "Enter a valid NHS number: check it has been typed correctly"
UPN_LENGTH = "Enter a UPN with 13 characters, like B801200005001"
UPN_CHECK = "Enter a valid UPN: check it has been typed correctly"
EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"
REAL_DATE = "The date must be a real date, like 27 3 2019"


# NHS numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        pytest.param("943 476 5919", "943 476 5919", id="spaced"),
        pytest.param("9434765919", "943 476 5919", id="digits-only"),
        pytest.param("943-476-5919", "943 476 5919", id="dashes"),
        pytest.param("943 4765919", "943 476 5919", id="odd-spacing"),
        pytest.param("401 023 2137", "401 023 2137", id="another-valid"),
    ],
)
def test_valid_nhs_numbers_are_accepted_and_normalised(typed: str, normalised: str) -> None:
    assert validators.nhs_number_problem(typed) is None
    assert validators.normalise_nhs_number(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        pytest.param("943 476 5918", NHS_CHECKSUM, id="wrong-check-digit"),
        pytest.param("943 476 5991", NHS_CHECKSUM, id="transposed-digits"),
        pytest.param("943 476 591", NHS_LENGTH, id="9-digits"),
        pytest.param("943 476 59190", NHS_LENGTH, id="11-digits"),
        pytest.param("94347659AB", NHS_LENGTH, id="letters"),
        pytest.param("943.476.5919", NHS_LENGTH, id="dots"),
        pytest.param("+943 476 5919", NHS_LENGTH, id="plus-sign"),
        pytest.param("NHS", NHS_LENGTH, id="word"),
        # These pass the check digit but are never issued.
        pytest.param("0000000000", NHS_CHECKSUM, id="all-zeros"),
        pytest.param("000 000 0000", NHS_CHECKSUM, id="all-zeros-spaced"),
        pytest.param("1111111111", NHS_CHECKSUM, id="all-ones"),
    ],
)
def test_invalid_nhs_numbers_are_refused(typed: str, message: str) -> None:
    assert validators.nhs_number_problem(typed) == message


# UPNs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        pytest.param("B801200005001", "B801200005001", id="as-issued"),
        pytest.param("b801200005001", "B801200005001", id="lower-case"),
        pytest.param("B 8012 0000 5001", "B801200005001", id="spaced"),
        pytest.param(" B801200005001 ", "B801200005001", id="padded"),
    ],
)
def test_valid_upns_are_accepted_and_normalised(typed: str, normalised: str) -> None:
    assert validators.upn_problem(typed) is None
    assert validators.normalise_upn(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        pytest.param("A801200005001", UPN_CHECK, id="wrong-check-letter"),
        pytest.param("C801200005001", UPN_CHECK, id="another-wrong-check-letter"),
        pytest.param("B80120000500", UPN_LENGTH, id="12-characters"),
        pytest.param("B8012000050011", UPN_LENGTH, id="14-characters"),
        pytest.param("B", UPN_LENGTH, id="one-character"),
        pytest.param("1801200005001", UPN_CHECK, id="digit-for-check-letter"),
    ],
)
def test_invalid_upns_are_refused(typed: str, message: str) -> None:
    assert validators.upn_problem(typed) == message


# Postcodes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        pytest.param("UB8 1UW", "UB8 1UW", id="standard"),
        pytest.param("ub8 1uw", "UB8 1UW", id="lower-case"),
        pytest.param("UB81UW", "UB8 1UW", id="no-space"),
        pytest.param(" ub8  1uw ", "UB8 1UW", id="extra-spaces"),
        pytest.param("SW1A1AA", "SW1A 1AA", id="A9A-outward-no-space"),
        pytest.param("EC1A 1BB", "EC1A 1BB", id="AA9A-outward"),
        pytest.param("W1A 0AX", "W1A 0AX", id="A9A-outward"),
        pytest.param("M1 1AE", "M1 1AE", id="A9-outward"),
        pytest.param("B33 8TH", "B33 8TH", id="A99-outward"),
        pytest.param("DN55 1PT", "DN55 1PT", id="AA99-outward"),
        pytest.param("GIR 0AA", "GIR 0AA", id="girobank"),
        pytest.param("gir0aa", "GIR 0AA", id="girobank-lower-no-space"),
    ],
)
def test_valid_postcodes_are_normalised(typed: str, normalised: str) -> None:
    assert validators.normalise_postcode(typed) == normalised


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("UB8", id="outward-only"),
        pytest.param("12345", id="zip-code"),
        pytest.param("QB8 1UW", id="Q-first-letter"),
        pytest.param("UB8 1UV", id="V-in-inward-code"),
        pytest.param("UB8 1UWX", id="too-long"),
        pytest.param("UB8 UW1", id="inward-letters-first"),
        pytest.param("", id="empty"),
        pytest.param("UB8-1UW", id="dash"),
    ],
)
def test_invalid_postcodes_are_refused(typed: str) -> None:
    assert validators.normalise_postcode(typed) is None


# Phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        pytest.param("01895 250111", "01895 250111", id="landline-spaced"),
        pytest.param("01895250111", "01895 250111", id="landline-unspaced"),
        pytest.param("020 7946 0958", "020 7946 0958", id="london-landline"),
        pytest.param("07911 123456", "07911 123456", id="mobile-spaced"),
        pytest.param("07911123456", "07911 123456", id="mobile-unspaced"),
        pytest.param("+44 7911 123456", "07911 123456", id="plus-44-mobile"),
        pytest.param("+441895250111", "01895 250111", id="plus-44-landline"),
        pytest.param("(01895) 250111", "01895 250111", id="brackets"),
        pytest.param("07700 900982", "07700 900982", id="ofcom-drama-mobile"),
        pytest.param("+44 7700 900982", "07700 900982", id="ofcom-drama-mobile-plus-44"),
        pytest.param("01632 960001", "01632 960001", id="ofcom-drama-landline"),
    ],
)
def test_uk_phone_numbers_are_accepted_and_normalised(typed: str, normalised: str) -> None:
    assert validators.phone_problem(typed) is None
    assert validators.normalise_phone(typed) == normalised


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("123", id="too-short"),
        pytest.param("abcdefghij", id="letters"),
        pytest.param("phone me", id="words"),
        pytest.param("0189525011A", id="trailing-letter"),
        pytest.param("018952501111111", id="too-long"),
        pytest.param("07911 1234567", id="mobile-one-digit-too-many"),
        pytest.param("", id="empty"),
        pytest.param("00000 000000", id="zeros"),
    ],
)
def test_invalid_phone_numbers_are_refused(typed: str) -> None:
    assert validators.phone_problem(typed) == PHONE_MESSAGE


def test_a_phone_problem_names_the_field() -> None:
    message = validators.phone_problem("123", label="mobile number")
    assert (
        message == "Enter a mobile number in the correct format, like 01895 250111 or 07700 900982"
    )


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("01895 CALLME", id="landline-vanity"),
        pytest.param("07911 ABCDEF", id="mobile-letters"),
    ],
)
def test_letters_in_a_phone_number_are_refused(typed: str) -> None:
    assert validators.phone_problem(typed) == PHONE_MESSAGE


# Email addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "valid"),
    [
        pytest.param("name@example.com", True, id="simple"),
        pytest.param("a.b+tag@sub.example.org", True, id="plus-and-subdomain"),
        pytest.param("jo.o'brien@school.sch.uk", True, id="apostrophe"),
        pytest.param("name@example", False, id="no-dot-in-domain"),
        pytest.param("name example@x.com", False, id="space"),
        pytest.param("@example.com", False, id="no-local-part"),
        pytest.param("name@@example.com", False, id="two-at-signs"),
        pytest.param("name.example.com", False, id="no-at-sign"),
        pytest.param("", False, id="empty"),
        pytest.param("a" * 250 + "@x.com", False, id="over-254-characters"),
    ],
)
def test_email_addresses(typed: str, valid: bool) -> None:
    assert validators.email_problem(typed) == (None if valid else EMAIL_MESSAGE)


# Dates ----------------------------------------------------------------------------------------


def parts(day: str, month: str, year: str) -> dict[str, str]:
    return {"day": day, "month": month, "year": year}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(parts("29", "2", "2024"), date(2024, 2, 29), id="29-feb-leap-year"),
        pytest.param(parts("27", "3", "2019"), date(2019, 3, 27), id="ordinary"),
        pytest.param(parts("01", "01", "2020"), date(2020, 1, 1), id="leading-zeros"),
        pytest.param(parts(" 5 ", "6 ", "2020"), date(2020, 6, 5), id="padded"),
        pytest.param(parts("31", "12", "2025"), date(2025, 12, 31), id="end-of-year"),
    ],
)
def test_real_dates_are_parsed(given: dict[str, str], expected: date) -> None:
    assert validators.parse_date_parts(given) == (expected, None, set())


@pytest.mark.parametrize(
    ("given", "message", "wrong"),
    [
        pytest.param(parts("29", "2", "2023"), REAL_DATE, {"day"}, id="29-feb-not-leap"),
        pytest.param(parts("31", "4", "2020"), REAL_DATE, {"day"}, id="31-april"),
        pytest.param(parts("0", "1", "2020"), REAL_DATE, {"day"}, id="day-zero"),
        pytest.param(parts("1", "13", "2020"), REAL_DATE, {"month"}, id="month-13"),
        pytest.param(parts("1", "0", "2020"), REAL_DATE, {"month"}, id="month-zero"),
        pytest.param(parts("1", "1", "20"), REAL_DATE, {"year"}, id="2-digit-year"),
        pytest.param(parts("a", "1", "2020"), REAL_DATE, {"day"}, id="letter-day"),
        pytest.param(parts("1", "Jan", "2020"), REAL_DATE, {"month"}, id="month-name"),
        pytest.param(parts("x", "y", "2020"), REAL_DATE, {"day", "month"}, id="two-letters"),
        pytest.param(parts("-1", "1", "2020"), REAL_DATE, {"day"}, id="negative-day"),
        pytest.param(parts("1.5", "1", "2020"), REAL_DATE, {"day"}, id="decimal-day"),
        pytest.param(
            parts("", "1", "2020"), "The date must include a day", {"day"}, id="missing-day"
        ),
        pytest.param(
            parts("", "", "2020"),
            "The date must include a day and month",
            {"day", "month"},
            id="missing-day-and-month",
        ),
        pytest.param(
            parts("1", "1", ""), "The date must include a year", {"year"}, id="missing-year"
        ),
    ],
)
def test_unreal_or_incomplete_dates_say_which_part_is_wrong(
    given: dict[str, str], message: str, wrong: set[str]
) -> None:
    assert validators.parse_date_parts(given) == (None, message, wrong)


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(parts("", "", ""), id="all-empty"),
        pytest.param(parts(" ", " ", " "), id="all-blank"),
        pytest.param({}, id="empty-dict"),
        pytest.param(None, id="none"),
        pytest.param("27/3/2019", id="not-a-dict"),
    ],
)
def test_no_date_given_is_not_a_problem(given: object) -> None:
    assert validators.parse_date_parts(given) == (None, None, set())


def test_a_superscript_digit_is_not_a_real_date() -> None:
    assert validators.parse_date_parts(parts("²", "1", "2020")) == (None, REAL_DATE, {"day"})


def test_year_zero_is_reported_against_the_year() -> None:
    assert validators.parse_date_parts(parts("1", "1", "0000")) == (None, REAL_DATE, {"year"})


def range_problem(moment: date, **options: object) -> str | None:
    settings: dict[str, object] = {
        "today": TODAY,
        "allow_future": False,
        "allow_past": True,
        "max_years_ago": None,
        "max_days_ahead": None,
        "label": "Date of birth",
        **options,
    }
    return validators.date_range_problem(moment, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("moment", "options", "message"),
    [
        pytest.param(TODAY, {}, None, id="today"),
        pytest.param(
            TODAY + timedelta(days=1),
            {},
            "Date of birth must be today or in the past",
            id="tomorrow-refused",
        ),
        pytest.param(TODAY + timedelta(days=1), {"allow_future": True}, None, id="future-allowed"),
        pytest.param(date(2001, 11, 23), {"max_years_ago": 25}, None, id="exactly-25-years"),
        pytest.param(
            date(2001, 11, 22),
            {"max_years_ago": 25},
            "Date of birth must be within the last 25 years",
            id="over-25-years",
        ),
        pytest.param(
            date(2025, 11, 22),
            {"max_years_ago": 1},
            "Date of birth must be within the last year",
            id="over-1-year-in-words",
        ),
        pytest.param(date(1900, 1, 1), {}, None, id="no-limit-on-the-past"),
        pytest.param(
            TODAY - timedelta(days=1),
            {"allow_future": True, "allow_past": False},
            "Date of birth must be today or in the future",
            id="past-refused",
        ),
        pytest.param(
            TODAY + timedelta(days=300),
            {"allow_future": True, "max_days_ahead": 300},
            None,
            id="300-days-ahead",
        ),
        pytest.param(
            TODAY + timedelta(days=301),
            {"allow_future": True, "max_days_ahead": 300},
            "Date of birth must be within the next 10 months",
            id="301-days-ahead",
        ),
        pytest.param(
            date(1999, 2, 28),
            {"today": date(2024, 2, 29), "max_years_ago": 25},
            None,
            id="today-29-feb-earliest-28-feb",
        ),
        pytest.param(
            date(1999, 2, 27),
            {"today": date(2024, 2, 29), "max_years_ago": 25},
            "Date of birth must be within the last 25 years",
            id="today-29-feb-day-before-earliest",
        ),
    ],
)
def test_date_ranges(moment: date, options: dict[str, object], message: str | None) -> None:
    assert range_problem(moment, **options) == message


def test_a_short_max_days_ahead_gives_a_meaningful_message() -> None:
    message = range_problem(TODAY + timedelta(days=20), allow_future=True, max_days_ahead=10)
    assert message is not None and "0 months" not in message
