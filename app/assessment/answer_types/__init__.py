"""The answer types, in one registry: each is a class with its own options, how its answer is
read, checked, normalised and shown (`base.AnswerType`), and one widget template,
`partials/fields/<name>.html`. Questions are declared with an instance:
`Question("child_dob", "Date of birth", Date(max_years_ago=25))`.
"""

from __future__ import annotations

from app.assessment.answer_types.address import Address
from app.assessment.answer_types.base import AnswerType
from app.assessment.answer_types.choices import Checkboxes, Radios, Select, YesNo
from app.assessment.answer_types.date import Date
from app.assessment.answer_types.shown import Account, Guidance
from app.assessment.answer_types.table import Table
from app.assessment.answer_types.text import Email, NhsNumber, Phone, Text, Textarea, Upn

ANSWER_TYPES: dict[str, type[AnswerType]] = {
    kind.name: kind
    for kind in (
        Text,
        Email,
        Phone,
        Textarea,
        Radios,
        Checkboxes,
        YesNo,
        Date,
        NhsNumber,
        Upn,
        Address,
        Select,
        Account,
        Guidance,
        Table,
    )
}

__all__ = [
    "ANSWER_TYPES",
    "Account",
    "Address",
    "AnswerType",
    "Checkboxes",
    "Date",
    "Email",
    "Guidance",
    "NhsNumber",
    "Phone",
    "Radios",
    "Select",
    "Table",
    "Text",
    "Textarea",
    "Upn",
    "YesNo",
]
