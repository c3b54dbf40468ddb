"""What the declaration means for one referral: visibility, nesting, reading a posted form,
problems, normalising, reading answers back and each section's status."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.assessment import engine
from app.assessment.answer_types import Checkboxes, Radios, Select, Text
from app.assessment.model import Assessment, Option, Question, Section, ShowIf
from app.assessment.schema import ASSESSMENT

TODAY = date(2026, 11, 23)


def declared(section_id: str) -> Section:
    section = ASSESSMENT.section(section_id)
    assert section is not None, section_id
    return section


YOUR_DETAILS = declared("your-details")
CONSENT = declared("consent")
ADDITIONAL = declared("additional-details")
ACCOUNT = {"full_name": "Mary Seacole", "email": "mary.seacole@health.example.org"}
YES_NO = (Option("yes", "Yes"), Option("no", "No"))


def complete_your_details(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "referrer_phone": "01895 250111",
        "referrer_job_title": "Health visitor",
        "referrer_organisation": "Uxbridge Health Centre",
        "professional_capacity": ["confirmed"],
        "relationship_to_child": "Health visitor",
        "child_forename": "Sam",
        "child_surname": "Smith",
        "child_dob": {"day": "27", "month": "3", "year": "2019"},
        "child_dob_estimated": [],
        "child_gender": "female",
        "child_ethnicity": "white-british",
        "child_email": "",
        "child_phone": "",
        "child_nhs_number": "",
        "child_address": {
            "line1": "3 Ashgrove Road",
            "line2": "",
            "town": "Uxbridge",
            "postcode": "UB8 9EP",
        },
    }
    answers.update(changes)
    return answers


def visible_ids(section: Section, answers: dict[str, Any]) -> list[str]:
    return [q.id for q in engine.visible_questions(section, answers)]


def problems_of(section: Section, own: dict[str, Any], *, check_required: bool) -> list[Any]:
    return engine.section_problems(
        section, {section.id: own}, today=TODAY, check_required=check_required
    )


# Visibility -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("child_born", "due_date_shown"),
    [
        pytest.param(None, False, id="unanswered"),
        pytest.param([], False, id="not-ticked"),
        pytest.param(["no"], True, id="not-born-yet"),
        pytest.param(["maybe"], False, id="not-option"),
    ],
)
def test_the_date_of_birth_is_always_asked_and_the_due_date_once_not_born_yet_is_ticked(
    child_born: list[str] | None, due_date_shown: bool
) -> None:
    ids = visible_ids(YOUR_DETAILS, {"your-details": {"child_born": child_born}})
    assert {"child_dob", "child_dob_estimated", "child_born"} <= set(ids)
    assert ("child_due_date" in ids) is due_date_shown


@pytest.mark.parametrize(
    ("consent_sought", "expected"),
    [
        pytest.param(
            "yes",
            ["consent_sought", "consent_type", "consent_given_by", "consent_date"],
            id="sought",
        ),
        pytest.param(
            "no",
            ["consent_sought", "consent_not_sought_reason", "consent_not_sought_details"],
            id="not-sought",
        ),
        pytest.param(None, ["consent_sought"], id="unanswered"),
    ],
)
def test_consent_questions_follow_whether_consent_was_sought(
    consent_sought: str | None, expected: list[str]
) -> None:
    assert visible_ids(CONSENT, {"consent": {"consent_sought": consent_sought}}) == expected


CHAIN = Section(
    "chain",
    "Chain",
    "9.9",
    (
        Question("first", "First?", Radios(options=YES_NO)),
        Question("second", "Second?", Radios(options=YES_NO), show_if=ShowIf("first", ("yes",))),
        Question("third", "Third", Text(), show_if=ShowIf("second", ("yes",))),
        Question(
            "kinds",
            "Kinds",
            Checkboxes(options=(Option("a", "A"), Option("b", "B"), Option("c", "C"))),
            required=False,
        ),
        Question("about_a_or_b", "About A or B", Text(), show_if=ShowIf("kinds", ("a", "b"))),
    ),
)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param({}, ["first", "kinds"], id="nothing-answered"),
        pytest.param({"first": "yes"}, ["first", "second", "kinds"], id="first-yes"),
        pytest.param(
            {"first": "yes", "second": "yes"},
            ["first", "second", "third", "kinds"],
            id="chain-open",
        ),
        pytest.param(
            {"first": "no", "second": "yes"}, ["first", "kinds"], id="hidden-condition-hides"
        ),
        pytest.param({"kinds": ["b"]}, ["first", "kinds", "about_a_or_b"], id="any-ticked"),
        pytest.param({"kinds": ["c"]}, ["first", "kinds"], id="other-ticked"),
        pytest.param({"kinds": []}, ["first", "kinds"], id="none-ticked"),
    ],
)
def test_conditions_in_a_section(answers: dict[str, Any], expected: list[str]) -> None:
    assert visible_ids(CHAIN, {"chain": answers}) == expected


LATER = Section(
    "later",
    "Later",
    "9.10",
    (Question("after", "After", Text(), show_if=ShowIf("second", ("yes",), section="chain")),),
)
GATED = Section(
    "gated",
    "Gated",
    "9.11",
    (Question("inside", "Inside", Text()),),
    show_if=ShowIf("second", ("yes",), section="chain"),
)
STALE_CHAIN = {"chain": {"first": "no", "second": "yes"}}


def test_a_condition_on_another_section_follows_its_answer() -> None:
    answers = {"chain": {"first": "yes", "second": "yes"}}
    assert visible_ids(LATER, answers) == ["after"]
    assert [s.id for s in engine.visible_sections(Assessment((CHAIN, GATED)), answers)] == [
        "chain",
        "gated",
    ]
    assert visible_ids(LATER, {"chain": {"first": "yes", "second": "no"}}) == []


def test_a_condition_on_a_hidden_question_of_another_section_hides_its_dependant() -> None:
    # Visibility is judged on the answers that count: the hidden "second" is left out.
    counted = engine.effective_answers(Assessment((CHAIN, LATER)), STALE_CHAIN)
    assert "second" not in counted["chain"]
    assert visible_ids(LATER, counted) == []


def test_a_section_conditional_on_a_hidden_question_is_hidden() -> None:
    sections = engine.visible_sections(Assessment((CHAIN, GATED)), STALE_CHAIN)
    assert [s.id for s in sections] == ["chain"]


def test_sections_for_particular_services_wait_for_request_for_support() -> None:
    shown = [s.id for s in engine.visible_sections(ASSESSMENT, {})]
    assert "participation-team" not in shown and "send-information" not in shown
    chosen = {"request-for-support": {"services": ["participation", "early-health-notification"]}}
    assert [s.id for s in engine.visible_sections(ASSESSMENT, chosen)] == [
        s.id for s in ASSESSMENT.sections
    ]


# Nesting --------------------------------------------------------------------------------------


def test_the_due_date_is_nested_under_not_born_yet() -> None:
    nested = engine.nested_under(YOUR_DETAILS)
    assert [q.id for q in nested[("child_born", "no")]] == ["child_due_date"]
    top = [q.id for q in engine.top_level_questions(YOUR_DETAILS)]
    assert top.index("child_dob") < top.index("child_dob_estimated") < top.index("child_born")
    assert "child_due_date" not in top


def test_consent_follow_ups_are_nested_under_their_answer() -> None:
    nested = engine.nested_under(CONSENT)
    assert [q.id for q in nested[("consent_sought", "yes")]] == [
        "consent_type",
        "consent_given_by",
        "consent_date",
    ]
    assert [q.id for q in engine.top_level_questions(CONSENT)] == ["consent_sought"]


def test_conditions_on_several_values_or_another_section_stay_at_the_top_level() -> None:
    assert engine.nested_under(CHAIN) == {
        ("first", "yes"): [CHAIN.question("second")],
        ("second", "yes"): [CHAIN.question("third")],
    }
    assert "about_a_or_b" in [q.id for q in engine.top_level_questions(CHAIN)]
    assert engine.nested_under(LATER) == {}
    assert engine.top_level_questions(LATER) == list(LATER.questions)


def test_a_question_conditional_on_a_select_is_drawn_somewhere() -> None:
    section = Section(
        "picker",
        "Picker",
        "9.12",
        (
            Question("colour", "Colour", Select(options=(Option("red", "Red"),))),
            Question("shade", "Shade", Text(), show_if=ShowIf("colour", ("red",))),
        ),
    )
    assert "shade" in [q.id for q in engine.top_level_questions(section)]


# Reading a posted form ------------------------------------------------------------------------


class FakeForm:
    """Just what a posted form offers the engine: get and getlist."""

    def __init__(self, **fields: str | list[str]) -> None:
        self.fields = {
            name: value if isinstance(value, list) else [value] for name, value in fields.items()
        }

    def get(self, key: str, /) -> Any:
        values = self.fields.get(key)
        return values[0] if values else None

    def getlist(self, key: str) -> list[Any]:
        return list(self.fields.get(key, []))


def test_answers_from_form_reads_every_kind_of_field() -> None:
    form = FakeForm(
        referrer_name="Someone Else",
        referrer_phone="  01895 250111 ",
        professional_capacity=["confirmed", ""],
        child_forename=" Sam ",
        child_born=["no", ""],
        **{
            "child_dob-day": " 27",
            "child_dob-month": "3 ",
            "child_dob-year": "2019",
            "child_address-line1": " 3 Ashgrove Road ",
            "child_address-town": "Uxbridge",
            "child_address-postcode": "ub8 9ep",
            "child_address-mode": "manual",
        },
    )
    answers = engine.answers_from_form(YOUR_DETAILS, form)
    assert "referrer_name" not in answers and "referrer_email" not in answers
    assert answers["referrer_phone"] == "01895 250111"
    assert answers["professional_capacity"] == ["confirmed"]
    assert answers["child_dob_estimated"] == []
    assert answers["child_born"] == ["no"]
    assert answers["child_forename"] == "Sam"
    assert answers["child_surname"] == ""
    assert answers["child_dob"] == {"day": "27", "month": "3", "year": "2019"}
    assert answers["child_due_date"] == {"day": "", "month": "", "year": ""}
    assert answers["child_address"] == {
        "line1": "3 Ashgrove Road",
        "line2": "",
        "town": "Uxbridge",
        "postcode": "ub8 9ep",
        "house": "",
        "lookup_postcode": "",
        "uprn": "",
        "mode": "manual",
    }
    assert set(answers) == {q.id for q in YOUR_DETAILS.questions if q.stores_answer}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param("Line one\r\nLine two", "Line one\nLine two", id="crlf-to-lf"),
        pytest.param("\r\n  Padded  \r\n", "Padded", id="trimmed"),
        pytest.param("One\n\nTwo", "One\n\nTwo", id="blank-line-kept"),
        pytest.param("   ", "", id="blank"),
    ],
)
def test_answers_from_form_keeps_a_textareas_lines(typed: str, stored: str) -> None:
    form = FakeForm(has_disability="yes", disability_details=typed)
    assert engine.answers_from_form(ADDITIONAL, form)["disability_details"] == stored


def test_answers_from_form_leaves_out_invisible_formatting_characters() -> None:
    """A right-to-left override or a zero-width space in an answer could disguise a name
    shown to hub staff: they are not kept, in short answers or long ones."""
    form = FakeForm(
        child_forename="Sam\u200b",
        child_surname="\u202eSmith",
        referrer_organisation="St\u2067 Mary\u2069's",
    )
    answers = engine.answers_from_form(YOUR_DETAILS, form)
    assert answers["child_forename"] == "Sam"
    assert answers["child_surname"] == "Smith"
    assert answers["referrer_organisation"] == "St Mary's"
    long = FakeForm(has_disability="yes", disability_details="Uses\u202e a wheelchair")
    assert engine.answers_from_form(ADDITIONAL, long)["disability_details"] == "Uses a wheelchair"


def test_answers_from_form_with_nothing_posted() -> None:
    answers = engine.answers_from_form(CONSENT, FakeForm())
    assert answers["consent_sought"] == ""
    assert answers["consent_not_sought_details"] == ""
    assert answers["consent_date"] == {"day": "", "month": "", "year": ""}
    assert not any(
        engine.is_answered(CONSENT.question(name), value) for name, value in answers.items()
    )


# Problems -------------------------------------------------------------------------------------


def test_an_empty_section_lists_each_visible_required_question_in_page_order() -> None:
    problems = problems_of(YOUR_DETAILS, {}, check_required=True)
    assert [(p.question_id, p.field_id, p.message) for p in problems] == [
        ("referrer_phone", "referrer_phone", "Enter your telephone number"),
        (
            "professional_capacity",
            "professional_capacity",
            "Confirm that you are completing this form in a professional capacity",
        ),
        ("relationship_to_child", "relationship_to_child", "Enter your relationship to the child"),
        ("child_forename", "child_forename", "Enter the child's forename"),
        ("child_surname", "child_surname", "Enter the child's surname"),
        ("child_dob", "child_dob-day", "Enter the child's date of birth"),
        ("child_gender", "child_gender", "Select the child's gender"),
        ("child_ethnicity", "child_ethnicity", "Select the child's ethnicity"),
        ("child_address", "child_address-line1", "Enter the child's home address"),
    ]


def test_without_required_checks_an_empty_section_has_no_problems() -> None:
    assert problems_of(YOUR_DETAILS, {}, check_required=False) == []


def test_a_complete_section_has_no_problems() -> None:
    assert problems_of(YOUR_DETAILS, complete_your_details(), check_required=True) == []


@pytest.mark.parametrize("check_required", [True, False], ids=["required", "not-required"])
def test_hidden_required_questions_are_never_reported(check_required: bool) -> None:
    answers = complete_your_details(
        child_born=[], child_due_date={"day": "99", "month": "x", "year": ""}
    )
    assert problems_of(YOUR_DETAILS, answers, check_required=check_required) == []


def test_a_newly_revealed_required_question_is_reported() -> None:
    answers = complete_your_details(child_born=["no"])
    problems = problems_of(YOUR_DETAILS, answers, check_required=True)
    assert [(p.question_id, p.field_id, p.message) for p in problems] == [
        ("child_due_date", "child_due_date-day", "Enter the expected due date")
    ]


def test_a_child_not_born_yet_needs_a_due_date_instead_of_a_date_of_birth() -> None:
    blank = {"day": "", "month": "", "year": ""}
    unborn = complete_your_details(
        child_born=["no"],
        child_dob=blank,
        child_due_date={"day": "1", "month": "3", "year": "2027"},
    )
    assert problems_of(YOUR_DETAILS, unborn, check_required=True) == []
    born = complete_your_details(child_born=[], child_dob=blank)
    assert [p.message for p in problems_of(YOUR_DETAILS, born, check_required=True)] == [
        "Enter the child's date of birth"
    ]
    # A date of birth given anyway is still checked.
    wrong = {**unborn, "child_dob": {"day": "31", "month": "2", "year": "2019"}}
    assert [p.question_id for p in problems_of(YOUR_DETAILS, wrong, check_required=True)] == [
        "child_dob"
    ]


@pytest.mark.parametrize(
    ("question_id", "answer", "field", "message"),
    [
        pytest.param(
            "child_phone",
            "123",
            "child_phone",
            "Enter a telephone number in the correct format, like 01895 250111 or 07700 900982",
            id="phone",
        ),
        pytest.param(
            "child_email",
            "sam@",
            "child_email",
            "Enter an email address in the correct format, like name@example.com",
            id="email",
        ),
        pytest.param(
            "child_nhs_number",
            "943 476 5918",
            "child_nhs_number",
            "Enter a valid NHS number: check it has been typed correctly",
            id="nhs-number",
        ),
        pytest.param(
            "child_dob_estimated",
            ["guessed"],
            "child_dob_estimated",
            "Select is the date of birth estimated",
            id="checkbox-not-an-option",
        ),
    ],
)
@pytest.mark.parametrize("check_required", [True, False], ids=["required", "not-required"])
def test_malformed_optional_answers_are_reported(
    question_id: str, answer: Any, field: str, message: str, check_required: bool
) -> None:
    answers = complete_your_details(**{question_id: answer})
    problems = problems_of(YOUR_DETAILS, answers, check_required=check_required)
    assert [(p.question_id, p.field_id, p.message) for p in problems] == [
        (question_id, field, message)
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"child_dob": {"day": "31", "month": "4", "year": "2020"}},
            (
                "child_dob",
                "child_dob-day",
                "Date of birth: the date must be a real date, like 27 3 2019",
                {"day"},
            ),
            id="unreal-date",
        ),
        pytest.param(
            {"child_dob": {"day": "1", "month": "", "year": ""}},
            (
                "child_dob",
                "child_dob-month",
                "Date of birth: the date must include a month and year",
                {"month", "year"},
            ),
            id="incomplete-date",
        ),
        pytest.param(
            {"child_dob": {"day": "24", "month": "11", "year": "2026"}},
            (
                "child_dob",
                "child_dob-day",
                "Date of birth must be today or in the past",
                {"day", "month", "year"},
            ),
            id="future-date-of-birth",
        ),
        pytest.param(
            {"child_dob": {"day": "22", "month": "11", "year": "2001"}},
            (
                "child_dob",
                "child_dob-day",
                "Date of birth must be within the last 25 years",
                {"day", "month", "year"},
            ),
            id="over-25-years",
        ),
        pytest.param(
            {"child_gender": "robot"},
            ("child_gender", "child_gender", "Select the child's gender", set()),
            id="radio-not-an-option",
        ),
        pytest.param(
            {"child_forename": "S" * 101},
            (
                "child_forename",
                "child_forename",
                "The child's forename must be 100 characters or fewer",
                set(),
            ),
            id="too-long",
        ),
        pytest.param(
            {"child_address": {"line1": "3 Ashgrove Road", "town": "", "postcode": "UB8 9EP"}},
            ("child_address", "child_address-town", "Enter the town or city", set()),
            id="address-without-town",
        ),
        pytest.param(
            {"child_address": {"line1": "3 Ashgrove Road", "town": "Uxbridge", "postcode": "UB8"}},
            (
                "child_address",
                "child_address-postcode",
                "Enter a real UK postcode, like UB8 1UW",
                set(),
            ),
            id="address-bad-postcode",
        ),
    ],
)
def test_problems_name_the_field_to_fix(
    changes: dict[str, Any], expected: tuple[str, str, str, set[str]]
) -> None:
    problems = problems_of(YOUR_DETAILS, complete_your_details(**changes), check_required=False)
    assert [(p.question_id, p.field_id, p.message, set(p.parts)) for p in problems] == [expected]


def test_a_textarea_over_its_limit_is_reported_with_the_limit() -> None:
    answers = {"has_disability": "yes", "disability_details": "x" * 2001, "has_sen": "no"}
    problems = problems_of(ADDITIONAL, answers, check_required=True)
    assert [p.message for p in problems] == [
        "Give details of the disabilities or special needs must be 2,000 characters or fewer"
    ]


def test_a_questions_own_validators_run_after_the_type_check() -> None:
    question = Question(
        "nickname",
        "Nickname",
        Text(validators=(lambda text: "Nickname must not be 'x'" if text == "x" else None,)),
    )
    section = Section("nick", "Nick", "9.13", (question,))
    assert [p.message for p in problems_of(section, {"nickname": "x"}, check_required=False)] == [
        "Nickname must not be 'x'"
    ]
    assert problems_of(section, {"nickname": "y"}, check_required=False) == []


# Normalising ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question_id", "typed", "normalised"),
    [
        pytest.param("referrer_phone", "01895250111", "01895 250111", id="phone"),
        pytest.param("child_phone", "+44 7911 123456", "07911 123456", id="phone-plus-44"),
        pytest.param("child_nhs_number", "9434765919", "943 476 5919", id="nhs-number"),
        pytest.param("child_phone", "123", "123", id="invalid-phone-as-typed"),
        pytest.param("child_nhs_number", "943 476 5918", "943 476 5918", id="invalid-nhs-as-typed"),
        pytest.param("child_email", "Sam@Example.com", "Sam@Example.com", id="email-as-typed"),
        pytest.param("child_forename", "sam", "sam", id="name-as-typed"),
    ],
)
def test_normalised_answers_formats_only_valid_answers(
    question_id: str, typed: str, normalised: str
) -> None:
    answers = complete_your_details(**{question_id: typed})
    result = engine.normalised_answers(YOUR_DETAILS, answers, today=TODAY)
    assert result[question_id] == normalised


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        pytest.param("b801200005001", "B801200005001", id="valid"),
        pytest.param("B 8012 0000 5001", "B801200005001", id="valid-spaced"),
        pytest.param("a801200005001", "a801200005001", id="invalid-as-typed"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalised_answers_formats_a_valid_upn(typed: str, normalised: str) -> None:
    answers = {"upn": typed, "has_disability": "no", "has_sen": "no"}
    assert engine.normalised_answers(ADDITIONAL, answers, today=TODAY)["upn"] == normalised


@pytest.mark.parametrize(
    ("address", "postcode"),
    [
        pytest.param(
            {"line1": "3 Ashgrove Road", "town": "Uxbridge", "postcode": "ub89ep"},
            "UB8 9EP",
            id="valid",
        ),
        pytest.param(
            {"line1": "3 Ashgrove Road", "town": "Uxbridge", "postcode": "ub8"},
            "ub8",
            id="invalid-as-typed",
        ),
        pytest.param(
            {"line1": "3 Ashgrove Road", "town": "", "postcode": "ub89ep"},
            "ub89ep",
            id="other-problem-as-typed",
        ),
    ],
)
def test_normalised_answers_formats_a_valid_addresss_postcode(
    address: dict[str, str], postcode: str
) -> None:
    answers = complete_your_details(child_address=address)
    result = engine.normalised_answers(YOUR_DETAILS, answers, today=TODAY)
    assert result["child_address"] == {**address, "postcode": postcode}


def test_normalised_answers_leaves_the_input_alone() -> None:
    answers = complete_your_details(referrer_phone="01895250111")
    engine.normalised_answers(YOUR_DETAILS, answers, today=TODAY)
    assert answers["referrer_phone"] == "01895250111"


# Reading answers back -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "question_id", "answer", "lines"),
    [
        pytest.param(YOUR_DETAILS, "child_gender", "female", ["Female"], id="radio"),
        pytest.param(
            YOUR_DETAILS, "child_born", ["no"], ["The child is not born yet"], id="checkbox"
        ),
        pytest.param(
            YOUR_DETAILS,
            "child_ethnicity",
            "white-british",
            ["English, Welsh, Scottish, Northern Irish or British"],
            id="select-grouped",
        ),
        pytest.param(
            YOUR_DETAILS,
            "professional_capacity",
            ["confirmed"],
            ["I am completing this form for someone else in a professional capacity"],
            id="checkboxes",
        ),
        pytest.param(
            YOUR_DETAILS,
            "child_dob",
            {"day": "27", "month": "3", "year": "2019"},
            ["27 March 2019"],
            id="date",
        ),
        pytest.param(
            YOUR_DETAILS,
            "child_dob",
            {"day": "03", "month": "03", "year": "2019"},
            ["3 March 2019"],
            id="date-no-leading-zero",
        ),
        pytest.param(
            YOUR_DETAILS,
            "child_dob",
            {"day": "31", "month": "4", "year": "2019"},
            ["31 4 2019"],
            id="unreal-date-as-typed",
        ),
        pytest.param(
            YOUR_DETAILS,
            "child_address",
            {"line1": "3 Ashgrove Road", "line2": "", "town": "Uxbridge", "postcode": "UB8 9EP"},
            ["3 Ashgrove Road", "Uxbridge", "UB8 9EP"],
            id="address-lines",
        ),
        pytest.param(
            ADDITIONAL,
            "disability_details",
            "First line\nSecond line",
            ["First line", "Second line"],
            id="textarea-lines",
        ),
        pytest.param(YOUR_DETAILS, "child_forename", " Sam ", ["Sam"], id="text"),
        pytest.param(YOUR_DETAILS, "referrer_name", None, ["Mary Seacole"], id="account-name"),
        pytest.param(
            YOUR_DETAILS,
            "referrer_email",
            "ignored@example.com",
            ["mary.seacole@health.example.org"],
            id="account-email",
        ),
        pytest.param(YOUR_DETAILS, "child_forename", "", [], id="empty-text"),
        pytest.param(YOUR_DETAILS, "child_forename", None, [], id="missing"),
        pytest.param(YOUR_DETAILS, "professional_capacity", [], [], id="no-boxes-ticked"),
        pytest.param(
            YOUR_DETAILS, "child_dob", {"day": "", "month": "", "year": ""}, [], id="empty-date"
        ),
        pytest.param(
            YOUR_DETAILS,
            "child_address",
            {"line1": "", "town": "", "postcode": "", "house": "3"},
            [],
            id="empty-address",
        ),
    ],
)
def test_display_answer(section: Section, question_id: str, answer: Any, lines: list[str]) -> None:
    question = section.question(question_id)
    assert engine.display_answer(question, answer, account=ACCOUNT) == lines


def test_display_answer_of_an_account_question_without_the_detail_is_empty() -> None:
    question = YOUR_DETAILS.question("referrer_name")
    assert engine.display_answer(question, None, account={}) == []


# Status ---------------------------------------------------------------------------------------


def status_of(
    section: Section, own: dict[str, Any], stored: str | None, today: date = TODAY
) -> str:
    return engine.section_status(section, {section.id: own}, stored, today=today)


VALID_CONSENT = {
    "consent_sought": "yes",
    "consent_type": "verbal",
    "consent_given_by": "Jo Smith, mother",
    "consent_date": {"day": "20", "month": "11", "year": "2026"},
}


@pytest.mark.parametrize(
    ("own", "stored", "today", "status"),
    [
        pytest.param({}, None, TODAY, engine.NOT_STARTED, id="nothing-saved"),
        pytest.param(
            {"consent_sought": "", "consent_date": {"day": "", "month": "", "year": ""}},
            "in-progress",
            TODAY,
            engine.NOT_STARTED,
            id="saved-blank",
        ),
        pytest.param(
            {"consent_sought": "yes"}, "in-progress", TODAY, engine.IN_PROGRESS, id="some"
        ),
        pytest.param(
            VALID_CONSENT, "in-progress", TODAY, engine.IN_PROGRESS, id="all-answered-not-next"
        ),
        pytest.param(VALID_CONSENT, "completed", TODAY, engine.COMPLETED, id="completed"),
        pytest.param(
            VALID_CONSENT,
            "completed",
            date(2027, 11, 21),
            engine.IN_PROGRESS,
            id="completed-but-consent-now-too-old",
        ),
        pytest.param(
            {**VALID_CONSENT, "consent_given_by": ""},
            "completed",
            TODAY,
            engine.IN_PROGRESS,
            id="completed-but-answer-removed",
        ),
        pytest.param({}, "completed", TODAY, engine.IN_PROGRESS, id="completed-but-empty"),
    ],
)
def test_section_status(own: dict[str, Any], stored: str | None, today: date, status: str) -> None:
    assert status_of(CONSENT, own, stored, today) == status


def test_a_completed_section_reopens_when_an_answer_reveals_a_new_question() -> None:
    answers = {"chain": {"first": "yes", "kinds": []}}
    # "second" is unanswered but only appears once "first" is yes.
    assert engine.section_status(CHAIN, {"chain": {"first": "no"}}, "completed", today=TODAY) == (
        engine.COMPLETED
    )
    assert engine.section_status(CHAIN, answers, "completed", today=TODAY) == engine.IN_PROGRESS


@pytest.mark.parametrize("check_required", [True, False], ids=["required", "not-required"])
def test_a_non_ascii_digit_in_a_date_is_reported_not_raised(check_required: bool) -> None:
    answers = complete_your_details(child_dob={"day": "²", "month": "1", "year": "2020"})
    problems = problems_of(YOUR_DETAILS, answers, check_required=check_required)
    assert [(p.question_id, p.field_id) for p in problems] == [("child_dob", "child_dob-day")]
