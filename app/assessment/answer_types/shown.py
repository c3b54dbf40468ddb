"""What a page only shows, storing nothing: the signed-in person's own details, and guidance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from app.assessment.answer_types.base import AnswerType
from app.assessment.model import AnswersBySection, Question, Section


@dataclass(frozen=True)
class Account(AnswerType):
    """A detail of the signed-in person's account (`source`: "full_name", "email"), read-only."""

    name: ClassVar[str] = "account"
    stores_answer: ClassVar[bool] = False
    source: str = ""

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        value = account.get(self.source, "")
        return [value] if value else []

    def json_value(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> Any:
        return account.get(self.source) or None


@dataclass(frozen=True)
class Guidance(AnswerType):
    """Words on the page between questions."""

    name: ClassVar[str] = "guidance"
    stores_answer: ClassVar[bool] = False
    summarised: ClassVar[bool] = False
    exported: ClassVar[bool] = False
