"""What every answer type does. A question's `type` is an instance of one of these classes,
holding that type's own options (a date's range, a table's fields); the engine asks it how to
read, check, normalise and show the question's answer, and the page draws it with its template.

A new answer type is a subclass in a module of this package, listed in `ANSWER_TYPES`
(`__init__.py`), and a template `partials/fields/<name>.html`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from app.assessment.model import AnswersBySection, Problem, Question, Section, plain

if TYPE_CHECKING:
    from app.assessment.answer_types.table import ItemSummary


class FormData(Protocol):
    """What a posted form offers (Starlette's FormData, or a parked form's fields)."""

    def get(self, key: str, /) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


class AnswerType:
    """A plain one-line answer; subclasses change what differs."""

    name: ClassVar[str]
    # Whether the answer is stored (not for what is only shown: guidance, account details).
    stores_answer: ClassVar[bool] = True
    # Answered by choosing: a missing answer says "Select ...", not "Enter ...".
    chosen: ClassVar[bool] = False
    # Its options can reveal questions nested under them (GOV.UK conditional reveals).
    reveals: ClassVar[bool] = False
    # Shown in check your answers, the hub's view and the PDF.
    summarised: ClassVar[bool] = True
    # Needs the page's whole width (a table's columns side by side).
    wide: ClassVar[bool] = False
    # In the case system's export (app/services/export.py): not for guidance, which says
    # something and holds nothing.
    exported: ClassVar[bool] = True

    @property
    def template(self) -> str:
        return f"partials/fields/{self.name}.html"

    def read(self, question: Question, form: FormData, section: Section) -> Any:
        """The answer from a posted form, as typed (trimmed)."""
        return plain(form.get(question.id))

    def is_answered(self, question: Question, answer: Any) -> bool:
        return bool(plain(answer))

    def field_id(self, question: Question) -> str:
        """The input an error-summary link moves to."""
        return question.id

    def problem(self, question: Question, answer: Any, *, today: date) -> Problem | None:
        """What is wrong with an answer that was given (a missing one is not asked here)."""
        return None

    def problems(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        today: date,
        check_required: bool,
    ) -> list[Problem]:
        """The question's problems on its page: missing (if asked), else what is wrong."""
        answer = answers.get(section.id, {}).get(question.id)
        if not self.is_answered(question, answer):
            if check_required and question.required_in(section, answers):
                return [Problem(question.id, self.field_id(question), question.missing_message())]
            return []
        found = self.problem(question, answer, today=today)
        return [found] if found is not None else []

    def normalised(self, section: Section, question: Question, answer: Any, *, today: date) -> Any:
        """A valid answer in its standard form (a phone number spaced, a postcode upper case)."""
        return answer

    def unanswered(self, answer: Any) -> Any:
        """An answer that does not count as one, as kept once the section is done."""
        return answer

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        """The answer as lines a person reads; called only for an answered question."""
        return [plain(answer)]

    def column_value(self, question: Question, answer: Any, *, today: date) -> Any:
        """What the referral's list column keeps of the answer (`Question.list_column`); None
        when there is nothing fit to keep."""
        return plain(answer) or None

    # The case system's export: each type says what its answer looks like in JSON (the JSON
    # Schema generated from the declaration, app/assessment/json_schema.py) and gives it so.

    def json_schema(self, question: Question) -> dict[str, Any]:
        """The JSON Schema of the answer in the export (null: not answered)."""
        return {"type": ["string", "null"]}

    def json_unanswered(self) -> Any:
        """What the export gives for a question shown but not answered."""
        return None

    def json_value(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> Any:
        """The answer as the export gives it; called only for an answered, visible question
        (`answers`: the effective ones)."""
        return plain(answers.get(section.id, {}).get(question.id))

    # Answers made of items (tables) hold questions of their own, under prefixed ids.

    def inner_question(
        self, section: Section, question: Question, question_id: str
    ) -> Question | None:
        return None

    def inner_answer(
        self, question: Question, answers: Mapping[str, Any], question_id: str
    ) -> tuple[bool, Any]:
        return False, None

    def with_inner_answer(
        self, question: Question, answers: Mapping[str, Any], question_id: str, value: Any
    ) -> dict[str, Any] | None:
        return None

    def item_summaries(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> list[ItemSummary] | None:
        return None


def question_json_schema(question: Question) -> dict[str, Any]:
    """A question's answer in the export, as JSON Schema: its label as the title, its hint as
    the description, and the shape its type gives."""
    described = {"description": question.hint} if question.hint else {}
    return {"title": question.label, **described, **question.type.json_schema(question)}


def problem_for(
    question: Question, message: str, field: str | None = None, parts: frozenset[str] = frozenset()
) -> Problem:
    return Problem(question.id, field or question.type.field_id(question), message, parts)
