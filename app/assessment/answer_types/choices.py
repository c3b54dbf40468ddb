"""Answers chosen from options: radios, yes or no, a select list, and checkboxes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from app.assessment.answer_types.base import AnswerType, FormData, problem_for
from app.assessment.model import (
    AnswersBySection,
    Option,
    OptionGroup,
    Problem,
    Question,
    Section,
    plain,
)


def option_schemas(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    """Each option as a JSON Schema constant, its label as the title: the codes a case system
    receives, and what each one means."""
    return [{"const": option.value, "title": option.label} for option in options]


@dataclass(frozen=True)
class Radios(AnswerType):
    name: ClassVar[str] = "radios"
    chosen: ClassVar[bool] = True
    reveals: ClassVar[bool] = True
    options: tuple[Option, ...] = ()

    @property
    def all_options(self) -> tuple[Option, ...]:
        return self.options

    def option_label(self, value: str) -> str:
        return next((o.label for o in self.all_options if o.value == value), value)

    def problem(self, question: Question, answer: Any, *, today: date) -> Problem | None:
        if answer not in {o.value for o in self.all_options}:
            return problem_for(question, question.missing_message())
        return None

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        return [self.option_label(answer)]

    def column_value(self, question: Question, answer: Any, *, today: date) -> Any:
        # Only a code of the question's own: the column is counted by code, and short.
        return answer if any(answer == o.value for o in self.all_options) else None

    def json_schema(self, question: Question) -> dict[str, Any]:
        return {"oneOf": [*option_schemas(self.all_options), {"type": "null"}]}


@dataclass(frozen=True)
class YesNo(Radios):
    name: ClassVar[str] = "yes-no"


@dataclass(frozen=True)
class Select(Radios):
    """A select list, its options in labelled groups (e.g. the ethnicity categories)."""

    name: ClassVar[str] = "select"
    reveals: ClassVar[bool] = False
    option_groups: tuple[OptionGroup, ...] = ()

    @property
    def all_options(self) -> tuple[Option, ...]:
        grouped = tuple(option for group in self.option_groups for option in group.options)
        return self.options + grouped


@dataclass(frozen=True)
class Checkboxes(Radios):
    name: ClassVar[str] = "checkboxes"

    def read(self, question: Question, form: FormData, section: Section) -> Any:
        return [plain(v) for v in form.getlist(question.id) if isinstance(v, str) and v]

    def is_answered(self, question: Question, answer: Any) -> bool:
        return bool(answer)

    def problem(self, question: Question, answer: Any, *, today: date) -> Problem | None:
        allowed = {o.value for o in self.options}
        if any(value not in allowed for value in answer):
            return problem_for(question, question.missing_message())
        return None

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        return [self.option_label(value) for value in answer]

    def json_schema(self, question: Question) -> dict[str, Any]:
        return {
            "type": ["array", "null"],
            "items": {"oneOf": option_schemas(self.options)},
            "uniqueItems": True,
        }

    def json_value(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> Any:
        # The codes ticked, each once, in the order the form lists them.
        ticked = answers.get(section.id, {}).get(question.id) or []
        return [option.value for option in self.options if option.value in ticked]
