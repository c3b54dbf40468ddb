"""Answers typed in one box: text, email, phone, NHS number, UPN, and the longer textarea."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from app.assessment import validators
from app.assessment.answer_types.base import AnswerType, FormData, problem_for
from app.assessment.model import Problem, Question, Section, Validator, plain


@dataclass(frozen=True)
class Text(AnswerType):
    name: ClassVar[str] = "text"
    # The longest answer allowed (a textarea shows a character count).
    max_length: int | None = None
    # An extra class for the input's width, e.g. "govuk-input--width-20".
    width: str | None = None
    # Further checks of the typed answer, each giving a message or None.
    validators: tuple[Validator, ...] = ()

    def problem(self, question: Question, answer: Any, *, today: date) -> Problem | None:
        text = plain(answer)
        if self.max_length is not None and len(text) > self.max_length:
            return problem_for(
                question, f"{question.label} must be {self.max_length:,} characters or fewer"
            )
        for check in (self.format_problem, *self.validators):
            message = check(text)
            if message:
                return problem_for(question, message)
        return None

    def format_problem(self, text: str) -> str | None:
        return None

    def json_schema(self, question: Question) -> dict[str, Any]:
        shape: dict[str, Any] = {"type": ["string", "null"]}
        if self.max_length is not None:
            shape["maxLength"] = self.max_length
        return shape

    def column_value(self, question: Question, answer: Any, *, today: date) -> Any:
        text = plain(answer)
        return (text[: self.max_length] if self.max_length else text) or None


@dataclass(frozen=True)
class Email(Text):
    name: ClassVar[str] = "email"

    def format_problem(self, text: str) -> str | None:
        return validators.email_problem(text)


@dataclass(frozen=True)
class Phone(Text):
    name: ClassVar[str] = "phone"

    def format_problem(self, text: str) -> str | None:
        return validators.phone_problem(text)

    def normalised(self, section: Section, question: Question, answer: Any, *, today: date) -> Any:
        return validators.normalise_phone(answer)


@dataclass(frozen=True)
class NhsNumber(Text):
    name: ClassVar[str] = "nhs-number"

    def format_problem(self, text: str) -> str | None:
        return validators.nhs_number_problem(text)

    def normalised(self, section: Section, question: Question, answer: Any, *, today: date) -> Any:
        return validators.normalise_nhs_number(answer)

    def column_value(self, question: Question, answer: Any, *, today: date) -> Any:
        # The hub searches by NHS number: kept only when it is a valid one, digits only.
        if not self.is_answered(question, answer) or self.problem(question, answer, today=today):
            return None
        return validators.normalise_nhs_number(answer).replace(" ", "")


@dataclass(frozen=True)
class Upn(Text):
    name: ClassVar[str] = "upn"

    def format_problem(self, text: str) -> str | None:
        return validators.upn_problem(text)

    def normalised(self, section: Section, question: Question, answer: Any, *, today: date) -> Any:
        return validators.normalise_upn(answer)


@dataclass(frozen=True)
class Textarea(Text):
    name: ClassVar[str] = "textarea"
    rows: int = 5

    def read(self, question: Question, form: FormData, section: Section) -> Any:
        value = form.get(question.id)
        # Keep the writer's line breaks; only trim the ends, and use one newline form.
        return plain(value.replace("\r\n", "\n")) if isinstance(value, str) else ""

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        return plain(answer).split("\n")
