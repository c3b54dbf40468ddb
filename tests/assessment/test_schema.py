"""Self-tests of THE declaration (`ASSESSMENT`): the rules every section and question must keep
so that the engine, the widgets, check answers and the hub can follow it without other edits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from app.assessment.answer_types import ANSWER_TYPES, Account, Radios, Table, Textarea
from app.assessment.model import Question, Section
from app.assessment.schema import ASSESSMENT
from app.models import Referral

FIELDS_DIR = Path(__file__).resolve().parents[2] / "app" / "partials" / "fields"
QUESTION_TYPES = sorted(ANSWER_TYPES)
MESSAGE_VERBS = ("Enter", "Select", "Confirm", "Answer", "Give", "Explain", "Add", "Describe")
# Words that would make a message read as two instructions ("Enter give details ...").
IMPERATIVES = {"give", "explain", "describe", "enter", "select", "tell", "list", "please"}


def table_of(question: Question) -> Table:
    assert isinstance(question.type, Table)
    return question.type


def options_of(question: Question) -> list[str]:
    """The values a choice question offers (radios, yes or no, checkboxes, a select)."""
    assert isinstance(question.type, Radios), f"{question.id} is not a choice"
    return [option.value for option in question.type.all_options]


SECTIONS = ASSESSMENT.sections
QUESTIONS: list[tuple[Section, Question]] = [
    (section, question) for section in SECTIONS for question in section.questions
]
CONDITIONAL = [(s, q) for s, q in QUESTIONS if q.show_if is not None]
TABLES = [(s, q) for s, q in QUESTIONS if isinstance(q.type, Table)]
# The questions each item of a table answers (a family member's forename ...).
ITEM_FIELDS: list[tuple[Section, Question]] = [
    (section, field) for section, table in TABLES for field in table_of(table).fields
]
CHOICES = [(s, q) for s, q in QUESTIONS + ITEM_FIELDS if isinstance(q.type, Radios)]
REQUIRED = [(s, q) for s, q in QUESTIONS + ITEM_FIELDS if q.required and q.stores_answer]
# Messages built from a label that is itself an instruction: "Enter give details of ...".
GUIDE_5_9 = (
    "whats_happening",
    "circumstances_impact",
    "parenting_capacity",
    "help_required",
    "specific_risks",
    "child_wishes",
    "parent_views",
    "positive_change",
)


def ids(pairs: list[tuple[Section, Question]]) -> list[str]:
    return [f"{section.id}.{question.id}" for section, question in pairs]


def widget_types() -> set[str]:
    return {path.stem for path in FIELDS_DIR.glob("*.html") if not path.stem.startswith("_")}


def test_the_assessment_has_sections_and_every_section_has_questions() -> None:
    assert SECTIONS
    assert all(section.questions for section in SECTIONS)


def test_section_ids_are_unique() -> None:
    counts = Counter(section.id for section in SECTIONS)
    assert [name for name, count in counts.items() if count > 1] == []


def test_question_ids_are_unique_across_the_whole_assessment() -> None:
    counts = Counter(question.id for _section, question in QUESTIONS)
    assert [name for name, count in counts.items() if count > 1] == []


def _position(section_id: str, question_id: str) -> tuple[int, int] | None:
    for s_index, section in enumerate(SECTIONS):
        if section.id != section_id:
            continue
        for q_index, question in enumerate(section.questions):
            if question.id == question_id:
                return s_index, q_index
    return None


@pytest.mark.parametrize(("section", "question"), CONDITIONAL, ids=ids(CONDITIONAL))
def test_a_condition_refers_to_an_earlier_choice_question_and_its_options(
    section: Section, question: Question
) -> None:
    condition = question.show_if
    assert condition is not None
    target_section = condition.section or section.id
    target = _position(target_section, condition.question)
    assert target is not None, f"{condition.question} is not in {target_section}"
    own = _position(section.id, question.id)
    assert own is not None
    if target_section == section.id:
        assert target[1] < own[1], "the condition must be on an earlier question of the section"
    else:
        assert target[0] < own[0], "the condition must be on a question of an earlier section"
    referred = SECTIONS[target[0]].questions[target[1]]
    assert condition.values, "a condition with no values can never hold"
    assert set(condition.values) <= set(options_of(referred))


def test_a_section_condition_refers_to_a_choice_in_an_earlier_section() -> None:
    for own, section in enumerate(SECTIONS):
        condition = section.show_if
        if condition is None:
            continue
        assert condition.section is not None, section.id
        target = _position(condition.section, condition.question)
        assert target is not None and target[0] < own, section.id
        referred = SECTIONS[target[0]].questions[target[1]]
        assert set(condition.values) <= set(options_of(referred)), section.id


@pytest.mark.parametrize(("section", "table"), TABLES, ids=ids(TABLES))
def test_a_table_declares_its_items(section: Section, table: Question) -> None:
    own = table_of(table)
    assert own.fields and own.item_label and 1 <= own.max_items <= 50
    field_ids = [field.id for field in own.fields]
    assert len(field_ids) == len(set(field_ids)) and "key" not in field_ids
    assert set(own.names) <= set(field_ids), "an item is named by its own answers"
    assert not any(isinstance(field.type, Table) for field in own.fields), "no tables in tables"
    for position, field in enumerate(own.fields):
        condition = field.show_if
        if condition is None:
            continue
        # An item's condition is on an earlier choice of the same item.
        assert condition.section is None, field.id
        earlier = {f.id: f for f in own.fields[:position]}
        assert condition.question in earlier, field.id
        assert set(condition.values) <= set(options_of(earlier[condition.question]))
    if table.required:
        assert table.required_message, "say what to add: 'Add at least one ...'"
    assert own.limit_hint is None or str(own.max_items) in own.limit_hint


USED_TYPES = sorted({question.type.name for _section, question in QUESTIONS + ITEM_FIELDS})


@pytest.mark.parametrize("question_type", USED_TYPES, ids=USED_TYPES)
def test_every_question_type_used_has_a_widget(question_type: str) -> None:
    assert (FIELDS_DIR / f"{question_type}.html").is_file()


@pytest.mark.parametrize("question_type", QUESTION_TYPES, ids=QUESTION_TYPES)
def test_every_declared_question_type_has_a_widget(question_type: str) -> None:
    assert question_type in widget_types()


def test_every_widget_draws_a_declared_question_type() -> None:
    assert widget_types() - {"question"} == set(QUESTION_TYPES)


def test_the_dispatcher_draws_a_question_by_its_type() -> None:
    dispatcher = (FIELDS_DIR / "question.html").read_text()
    assert "{% include question.type.template %}" in dispatcher
    for name, answer_type in ANSWER_TYPES.items():
        assert answer_type().template == f"partials/fields/{name}.html"


@pytest.mark.parametrize(("section", "question"), CHOICES, ids=ids(CHOICES))
def test_choice_questions_have_options_with_unique_values(
    section: Section, question: Question
) -> None:
    values = options_of(question)
    assert values, "a choice question needs options"
    assert len(values) == len(set(values))
    assert isinstance(question.type, Radios)
    assert all(option.value and option.label for option in question.type.all_options)


@pytest.mark.parametrize(("section", "question"), REQUIRED, ids=ids(REQUIRED))
def test_a_required_question_has_a_gov_uk_style_missing_message(
    section: Section, question: Question
) -> None:
    message = question.missing_message()
    assert message.startswith(MESSAGE_VERBS), message
    assert not message.endswith("?")
    assert message == message.strip() and "  " not in message


@pytest.mark.parametrize(
    ("section", "question"),
    [
        pytest.param(
            s,
            q,
            id=f"{s.id}.{q.id}",
        )
        for s, q in REQUIRED
    ],
)
def test_a_missing_message_is_one_instruction(section: Section, question: Question) -> None:
    words = question.missing_message().split()
    assert words[1].lower().rstrip(":") not in IMPERATIVES, question.missing_message()


@pytest.mark.parametrize(("section", "question"), QUESTIONS, ids=ids(QUESTIONS))
def test_labels_have_no_asterisks(section: Section, question: Question) -> None:
    assert "*" not in question.label
    options = question.type.all_options if isinstance(question.type, Radios) else ()
    assert all("*" not in option.label for option in options)


@pytest.mark.parametrize(("section", "question"), QUESTIONS, ids=ids(QUESTIONS))
def test_account_questions_name_a_detail_of_the_account(
    section: Section, question: Question
) -> None:
    if isinstance(question.type, Account):
        assert question.type.source in {"full_name", "email"}


def test_the_5_9_section_has_exactly_the_eight_guide_questions_all_required() -> None:
    sections = [section for section in SECTIONS if section.guide_ref == "5.9"]
    assert len(sections) == 1
    questions = sections[0].questions
    assert tuple(question.id for question in questions) == GUIDE_5_9
    assert all(question.required for question in questions)
    assert all(isinstance(question.type, Textarea) for question in questions)


def test_list_columns_are_columns_of_the_referral_each_kept_by_one_question() -> None:
    """Lists and search read a copy of some answers kept on the referral; the questions say
    which (`list_column`), so no service names a question by hand."""
    columns = [question.list_column for _section, question in QUESTIONS if question.list_column]
    assert len(columns) == len(set(columns))
    assert set(columns) == {
        "child_forename",
        "child_surname",
        "child_date_of_birth",
        "child_nhs_number",
        "referrer_organisation",
        "referrer_organisation_type",
    }
    assert set(columns) <= set(Referral.__table__.c.keys())
    for column in columns:
        section, question = ASSESSMENT.listed(column)
        assert question in section.questions and question.list_column == column
