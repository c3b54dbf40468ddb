"""A UK address: found by house and postcode ("Find Address"), or typed line by line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from app.assessment import validators
from app.assessment.answer_types.base import AnswerType, FormData
from app.assessment.model import AnswersBySection, Problem, Question, Section, plain

ADDRESS_FIELDS = ("line1", "line2", "town", "postcode")
ADDRESS_LOOKUP_FIELDS = ("house", "lookup_postcode")


@dataclass(frozen=True)
class Address(AnswerType):
    name: ClassVar[str] = "address"

    def read(self, question: Question, form: FormData, section: Section) -> Any:
        fields = ADDRESS_FIELDS + ADDRESS_LOOKUP_FIELDS + ("uprn", "mode")
        return {part: plain(form.get(f"{question.id}-{part}")) for part in fields}

    def is_answered(self, question: Question, answer: Any) -> bool:
        return isinstance(answer, dict) and any(plain(answer.get(p)) for p in ADDRESS_FIELDS)

    def field_id(self, question: Question) -> str:
        return f"{question.id}-line1"

    def problem(self, question: Question, answer: Any, *, today: date) -> Problem | None:
        parts = answer if isinstance(answer, dict) else {}
        if not plain(parts.get("line1")):
            return Problem(
                question.id, f"{question.id}-line1", "Enter the first line of the address"
            )
        if not plain(parts.get("town")):
            return Problem(question.id, f"{question.id}-town", "Enter the town or city")
        if validators.normalise_postcode(plain(parts.get("postcode"))) is None:
            return Problem(
                question.id, f"{question.id}-postcode", "Enter a real UK postcode, like UB8 1UW"
            )
        return None

    def normalised(self, section: Section, question: Question, answer: Any, *, today: date) -> Any:
        return {**answer, "postcode": validators.normalise_postcode(answer.get("postcode", ""))}

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        return [plain(answer.get(p)) for p in ADDRESS_FIELDS if plain(answer.get(p))]

    def json_schema(self, question: Question) -> dict[str, Any]:
        text = {"type": "string"}
        optional = {"type": ["string", "null"]}
        return {
            "type": ["object", "null"],
            "properties": {
                "line1": text,
                "line2": optional,
                "town": text,
                "postcode": text,
                "uprn": {**optional, "description": "Unique Property Reference Number, if found"},
            },
            "required": ["line1", "line2", "town", "postcode", "uprn"],
            "additionalProperties": False,
        }

    def json_value(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> Any:
        parts = answers.get(section.id, {}).get(question.id) or {}
        return {
            "line1": plain(parts.get("line1")),
            "line2": plain(parts.get("line2")) or None,
            "town": plain(parts.get("town")),
            "postcode": plain(parts.get("postcode")),
            "uprn": plain(parts.get("uprn")) or None,
        }
