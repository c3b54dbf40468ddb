"""The answers of the case system's export, as JSON Schema, generated from the declaration.

Each section is an object keyed by its questions' ids, each question's shape asked of its
answer type (`AnswerType.json_schema`); a table is a list of items keyed by its fields' ids. A
section or question that earlier answers can hide says so in its description, and is absent
from an export where it is hidden. `app/services/export.py` wraps this in the whole export's
schema; docs/EXPORT.md describes it.
"""

from __future__ import annotations

from typing import Any

from app.assessment.answer_types.base import question_json_schema
from app.assessment.model import Assessment, Question, Section, ShowIf


def described(text: str | None, condition: ShowIf | None, section: Section) -> dict[str, str]:
    """A description: the text, and when the section or question is present, in words
    ("Present only when request-for-support.services is 'send'.")."""
    parts = [text] if text else []
    if condition is not None:
        values = " or ".join(repr(value) for value in condition.values)
        where = condition.section or section.id
        parts.append(f"Present only when {where}.{condition.question} is {values}.")
    return {"description": " ".join(parts)} if parts else {}


def question_schema(question: Question, section: Section) -> dict[str, Any]:
    schema = question_json_schema(question)
    schema.pop("description", None)
    return {
        "title": schema.pop("title"),
        **described(question.hint, question.show_if, section),
        **schema,
    }


def section_schema(section: Section) -> dict[str, Any]:
    guide = f"Help guide {section.guide_ref}." + (
        f" {section.description}" if section.description else ""
    )
    return {
        "type": "object",
        "title": section.title,
        **described(guide, section.show_if, section),
        "properties": {
            question.id: question_schema(question, section)
            for question in section.questions
            if question.type.exported
        },
        "additionalProperties": False,
    }


def answers_schema(assessment: Assessment) -> dict[str, Any]:
    """Every section of the declaration, in order, keyed by its id."""
    return {
        "type": "object",
        "title": "Answers",
        "description": (
            "Every visible answer, by section id and question id as the form declares them. A "
            "hidden section or question is absent; a visible one not answered is null (a "
            "table: an empty list)."
        ),
        "properties": {section.id: section_schema(section) for section in assessment.sections},
        "additionalProperties": False,
    }
