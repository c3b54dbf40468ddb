"""The export's JSON Schema is generated from the form's declaration, and the published copy
(docs/referral-export.schema.json) is kept equal to it; cells of the inbox's CSV can never run
as formulas in a spreadsheet."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from app.assessment.answer_types import ANSWER_TYPES, Text
from app.assessment.model import Question
from app.assessment.schema import ASSESSMENT
from app.services.export import export_schema, spreadsheet_cell

PUBLISHED = Path(__file__).parents[2] / "docs" / "referral-export.schema.json"


def test_the_published_schema_is_the_one_the_declaration_generates() -> None:
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert published == export_schema(ASSESSMENT), (
        "docs/referral-export.schema.json and the form's declaration have drifted apart: "
        "regenerate it (python -m app.services.export > docs/referral-export.schema.json), and "
        "if a question id was renamed or removed or an answer's shape changed, raise "
        "EXPORT_VERSION (docs/EXPORT.md)"
    )
    jsonschema.Draft202012Validator.check_schema(published)


def test_a_question_added_to_the_declaration_is_in_the_schema_and_no_longer_published() -> None:
    """The drift test can fail: a new question changes the generated schema."""
    section = ASSESSMENT.sections[-1]
    added = Question("pets", "Pets at home", Text(max_length=100), required=False)
    changed = replace(
        ASSESSMENT,
        sections=(
            *ASSESSMENT.sections[:-1],
            replace(section, questions=(*section.questions, added)),
        ),
    )
    schema = export_schema(changed)
    shape = schema["properties"]["answers"]["properties"][section.id]["properties"]["pets"]
    assert shape == {"title": "Pets at home", "type": ["string", "null"], "maxLength": 100}
    assert schema != json.loads(PUBLISHED.read_text(encoding="utf-8"))


def test_every_answer_type_of_the_declaration_has_a_json_shape() -> None:
    used = {
        question.type.name
        for section in ASSESSMENT.sections
        for question in section.questions
        if question.type.exported
    }
    exported = {name for name, kind in ANSWER_TYPES.items() if kind.exported}
    assert used <= exported
    answers = export_schema(ASSESSMENT)["properties"]["answers"]["properties"]
    for section in ASSESSMENT.sections:
        declared = {q.id for q in section.questions if q.type.exported}
        assert set(answers[section.id]["properties"]) == declared, section.id


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        (
            '=HYPERLINK("http://evil.example","Click")',
            '\'=HYPERLINK("http://evil.example","Click")',
        ),
        ("+44 1895 250111", "'+44 1895 250111"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),
        ("Uxbridge Health Centre", "Uxbridge Health Centre"),
        ("St. Mary's = best", "St. Mary's = best"),
        ("", ""),
    ],
    ids=[
        "equals-formula",
        "plus",
        "minus",
        "at-sign",
        "tab",
        "carriage-return",
        "spaces-then-formula",
        "plain-text",
        "equals-inside",
        "empty",
    ],
)
def test_a_csv_cell_that_starts_like_a_formula_is_neutralised(cell: str, safe: str) -> None:
    assert spreadsheet_cell(cell) == safe
