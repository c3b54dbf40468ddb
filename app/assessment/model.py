"""The building blocks of the assessment's declaration: sections, questions, options, conditions.

Everything is frozen data. `app/assessment/schema.py` declares the form with these; the engine,
the templates, check answers, the hub view and the PDF iterate that one declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

QuestionType = Literal[
    "text",
    "email",
    "phone",
    "textarea",
    "radios",
    "checkboxes",
    "yes-no",
    "date",
    "nhs-number",
    "upn",
    "address",
    "select",
    "account",
    "guidance",
    "table",
]
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__  # type: ignore[attr-defined]

# Labels that already tell the user what to do: their "missing" message is the label itself.
IMPERATIVE_VERBS = frozenset({"Explain", "Give", "Describe", "List", "Tell", "Say", "Confirm"})

# answers_by_section: {section_id: {question_id: answer}}
AnswersBySection = Mapping[str, Mapping[str, Any]]
# A validator gets the answer as stored and returns a message, or None when it is fine.
Validator = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class OptionGroup:
    """A labelled group of options in a select (e.g. the ethnicity categories)."""

    label: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class ShowIf:
    """Show a question (or section) only when an earlier answer is one of `values`.

    For checkboxes the condition holds when any of `values` is ticked. `section` names another
    section; by default the question is in the same section. Conditions only ever look at
    earlier answers and never re-route.
    """

    question: str
    values: tuple[str, ...]
    section: str | None = None

    def holds(self, answers: AnswersBySection, current_section: str) -> bool:
        answer = answers.get(self.section or current_section, {}).get(self.question)
        if isinstance(answer, list):
            return any(value in answer for value in self.values)
        return answer in self.values


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    type: QuestionType
    hint: str | None = None
    required: bool = True
    options: tuple[Option, ...] = ()
    option_groups: tuple[OptionGroup, ...] = ()
    show_if: ShowIf | None = None
    validators: tuple[Validator, ...] = ()
    # Text and textarea: the longest answer allowed (textarea shows a character count).
    max_length: int | None = None
    # Date: whether dates after today are allowed, and how far back or forward a date may be.
    allow_future: bool = False
    allow_past: bool = True
    max_years_ago: int | None = None
    max_days_ahead: int | None = None
    # Account: which field of the signed-in user is shown (read-only, not stored).
    source: str | None = None
    # The message when a required question is not answered (GOV.UK style: "Enter ...").
    required_message: str | None = None
    # How the question appears: an extra class for the input width, textarea rows.
    width: str | None = None
    rows: int = 5
    # Address: another address question ("section", "question") the user may copy with one
    # button, e.g. a family member's "Same address as the child".
    same_as: tuple[str, str] | None = None
    same_as_label: str | None = None
    # Table: a list of items (family members, services), each answering `fields`; shown as
    # columns that stack on narrow screens. `item_label` names one ("Family member").
    fields: tuple[Question, ...] = ()
    item_label: str = "Item"
    max_items: int = 20
    # Table: what the user reads at the limit, and when nothing is added yet.
    limit_hint: str | None = None
    empty_text: str | None = None

    @property
    def stores_answer(self) -> bool:
        return self.type not in {"account", "guidance"}

    @property
    def all_options(self) -> tuple[Option, ...]:
        grouped = tuple(option for group in self.option_groups for option in group.options)
        return self.options + grouped

    def option_label(self, value: str) -> str:
        for option in self.all_options:
            if option.value == value:
                return option.label
        return value

    def missing_message(self) -> str:
        if self.required_message:
            return self.required_message
        label = self.label.rstrip("?")
        if label.split(" ", 1)[0] in IMPERATIVE_VERBS:
            return label  # "Give details of ..." is already an instruction
        verb = "Select" if self.type in {"radios", "checkboxes", "yes-no", "select"} else "Enter"
        return f"{verb} {label[0].lower()}{label[1:]}"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    # Where the help guide describes it, e.g. "5.1".
    guide_ref: str
    questions: tuple[Question, ...]
    description: str | None = None
    show_if: ShowIf | None = None

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


@dataclass(frozen=True)
class Assessment:
    sections: tuple[Section, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def section(self, section_id: str) -> Section | None:
        for section in self.sections:
            if section.id == section_id:
                return section
        return None
