"""A date typed as day, month and year (GOV.UK's date input)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from app.assessment import validators
from app.assessment.answer_types.base import AnswerType, FormData, problem_for
from app.assessment.model import AnswersBySection, Problem, Question, Section, plain

DATE_PARTS = ("day", "month", "year")


def answer_date(answer: Any) -> date | None:
    """The date of a stored answer, if it is a real one."""
    moment, _message, _wrong = validators.parse_date_parts(answer)
    return moment


@dataclass(frozen=True)
class Date(AnswerType):
    name: ClassVar[str] = "date"
    # Whether dates after today are allowed, and how far back or forward a date may be.
    allow_future: bool = False
    allow_past: bool = True
    max_years_ago: int | None = None
    max_days_ahead: int | None = None

    def read(self, question: Question, form: FormData, section: Section) -> Any:
        return {part: plain(form.get(f"{question.id}-{part}")) for part in DATE_PARTS}

    def is_answered(self, question: Question, answer: Any) -> bool:
        return isinstance(answer, dict) and any(plain(answer.get(p)) for p in DATE_PARTS)

    def field_id(self, question: Question) -> str:
        return f"{question.id}-day"

    def problem(self, question: Question, answer: Any, *, today: date) -> Problem | None:
        moment, message, wrong = validators.parse_date_parts(answer)
        if message:
            first = next((p for p in DATE_PARTS if p in wrong), "day")
            return problem_for(
                question,
                f"{question.label}: {message[0].lower()}{message[1:]}",
                f"{question.id}-{first}",
                frozenset(wrong),
            )
        if moment is not None:
            message = validators.date_range_problem(
                moment,
                today=today,
                allow_future=self.allow_future,
                allow_past=self.allow_past,
                max_years_ago=self.max_years_ago,
                max_days_ahead=self.max_days_ahead,
                label=question.label,
            )
            if message:
                return problem_for(question, message, parts=frozenset(DATE_PARTS))
        return None

    def column_value(self, question: Question, answer: Any, *, today: date) -> Any:
        if not self.is_answered(question, answer) or self.problem(question, answer, today=today):
            return None
        return answer_date(answer)

    def json_schema(self, question: Question) -> dict[str, Any]:
        return {"type": ["string", "null"], "format": "date"}

    def json_value(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> Any:
        # ISO 8601 (2019-03-27); a sent form's dates were all checked, so None is a safeguard.
        moment = answer_date(answers.get(section.id, {}).get(question.id))
        return moment.isoformat() if moment is not None else None

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        moment = answer_date(answer)
        if moment is None:
            return [" ".join(plain(answer.get(p)) for p in DATE_PARTS)]
        return [f"{moment.day} {moment:%B %Y}"]
