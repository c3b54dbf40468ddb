"""The building blocks of the assessment's declaration: sections, questions, options, conditions.

Everything is frozen data. `app/assessment/schema.py` declares the form with these; the engine,
the templates, check answers, the hub view and the PDF iterate that one declaration. What a
question's answer is — how it is read, checked, normalised and shown, with its own options — is
its answer type (`app/assessment/answer_types/`); a question holds what every type shares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from app.plain_text import visible_text

if TYPE_CHECKING:
    from app.assessment.answer_types.base import AnswerType

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


class Condition(Protocol):
    """Something earlier answers make true or false (`ShowIf`, `OnlyChosen`, `AllOf`)."""

    def holds(self, answers: AnswersBySection, current_section: str) -> bool: ...


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
class OnlyChosen:
    """Holds when a checkbox question has something ticked and nothing but `values` (Request
    for Support is only the Participation Team)."""

    question: str
    values: tuple[str, ...]
    section: str | None = None

    def holds(self, answers: AnswersBySection, current_section: str) -> bool:
        answer = answers.get(self.section or current_section, {}).get(self.question)
        chosen = answer if isinstance(answer, list) else []
        return bool(chosen) and all(value in self.values for value in chosen)


@dataclass(frozen=True)
class AllOf:
    """Holds when every one of its conditions holds."""

    conditions: tuple[Condition, ...]

    def holds(self, answers: AnswersBySection, current_section: str) -> bool:
        return all(c.holds(answers, current_section) for c in self.conditions)


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    type: AnswerType
    hint: str | None = None
    required: bool = True
    show_if: ShowIf | None = None
    # The message when a required question is not answered (GOV.UK style: "Enter ...").
    required_message: str | None = None
    # The referral's column that keeps a copy of the answer for lists and search (the child's
    # name, date of birth, NHS number, the referrer's organisation).
    list_column: str | None = None
    # A required question that earlier answers can make optional (a date of birth, once "not
    # born yet" is ticked).
    optional_if: Condition | None = None
    # The referrer's own details, filled in on a new referral from their last one.
    remembered: bool = False

    @property
    def stores_answer(self) -> bool:
        return self.type.stores_answer

    def required_in(self, section: Section, answers: AnswersBySection) -> bool:
        """Whether the question must be answered, given the answers so far (`answers` as the
        engine passes them: the effective ones)."""
        return (
            self.required
            and not (self.optional_if and self.optional_if.holds(answers, section.id))
            and not section.optional_in(answers)
        )

    def missing_message(self) -> str:
        if self.required_message:
            return self.required_message
        label = self.label.rstrip("?")
        if label.split(" ", 1)[0] in IMPERATIVE_VERBS:
            return label  # "Give details of ..." is already an instruction
        verb = "Select" if self.type.chosen else "Enter"
        return f"{verb} {label[0].lower()}{label[1:]}"


@dataclass(frozen=True)
class Problem:
    """A message for one question, and the id of the field its error-summary link moves to."""

    question_id: str
    field_id: str
    message: str
    parts: frozenset[str] = frozenset()


def plain(value: Any) -> str:
    """A typed answer as text: trimmed, invisible formatting characters removed; "" if none."""
    return visible_text(value).strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    # Where the help guide describes it, e.g. "5.1".
    guide_ref: str
    questions: tuple[Question, ...]
    description: str | None = None
    show_if: ShowIf | None = None
    # What the help guide's walkthrough calls the page, where it differs from its contents'
    # name ("Your Details" for "Referrer and child details"): the page's heading, under a
    # caption with the section's title.
    heading: str | None = None
    # When earlier answers make the whole section optional (consent, for a referral only about
    # attendance or a child missing education), and what the page says then.
    optional_if: Condition | None = None
    optional_because: str | None = None

    def optional_in(self, answers: AnswersBySection) -> bool:
        """Whether the answers so far make every question of the section optional."""
        return bool(self.optional_if and self.optional_if.holds(answers, self.id))

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

    def listed(self, column: str) -> tuple[Section, Question]:
        """The question whose answer the referral's `column` keeps."""
        for section in self.sections:
            for question in section.questions:
                if question.list_column == column:
                    return section, question
        raise KeyError(column)
