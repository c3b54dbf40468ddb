"""A table: a list of items (family members, services), each answering the table's `fields`,
shown as columns that stack on narrow screens.

A table's answer is a list of items, each {"key": <8 hex>, <field id>: answer, ...}. The key is
made by the server and names the item's inputs: "<table>-<key>-<field>" (for example
family_members-3f9a0c21-forename), so adding or removing one item never renumbers another.
Each item is read, checked and drawn as a small section of its own: `item_section`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar

from app.assessment import engine
from app.assessment.answer_types.base import AnswerType, FormData, question_json_schema
from app.assessment.model import AnswersBySection, Problem, Question, Section, ShowIf, plain

ITEM_KEY = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True)
class Table(AnswerType):
    name: ClassVar[str] = "table"
    wide: ClassVar[bool] = True
    fields: tuple[Question, ...] = ()
    # What one item is called ("Family member"), and which fields' answers name it ("Ann Smith").
    item_label: str = "Item"
    names: tuple[str, ...] = ()
    max_items: int = 20
    # What the user reads at the limit, and when nothing is added yet.
    limit_hint: str | None = None
    empty_text: str | None = None

    def read(self, question: Question, form: FormData, section: Section) -> Any:
        """The items in page order: each item's key comes from its hidden "<table>-item"
        input; keys that are malformed or repeated, and items beyond the limit, are left out
        (the page never sends them)."""
        keys: list[str] = []
        for key in form.getlist(f"{question.id}-item"):
            if isinstance(key, str) and ITEM_KEY.fullmatch(key) and key not in keys:
                keys.append(key)
        items = []
        for key in keys[: self.max_items]:
            prefix = item_prefix(question, key)
            flat = engine.answers_from_form(item_section(section, question, key), form)
            items.append({"key": key, **{name[len(prefix) :]: v for name, v in flat.items()}})
        return items

    def is_answered(self, question: Question, answer: Any) -> bool:
        return any(not item_is_blank(question, item) for item in table_items(answer))

    def field_id(self, question: Question) -> str:
        return f"{question.id}-add"

    def problems(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        today: date,
        check_required: bool,
    ) -> list[Problem]:
        """Each item's problems, named by its number ("Family member 2: Enter ..."); blank
        items are ignored. A required table needs one item that is not blank: with none on the
        page, "Add ..."; with a blank column there, what that column is missing."""
        items = table_items(answers.get(section.id, {}).get(question.id))
        problems: list[Problem] = []
        blank = all(item_is_blank(question, item) for item in items)
        required_and_empty = check_required and question.required_in(section, answers) and blank
        if required_and_empty and not items:
            problems.append(
                Problem(question.id, self.field_id(question), question.missing_message())
            )
        for number, item in enumerate(items, 1):
            # The first blank column of an empty required table is checked as if filled in.
            if item_is_blank(question, item) and not (required_and_empty and number == 1):
                continue
            found = engine.section_problems(
                item_section(section, question, item["key"]),
                {**answers, section.id: flat_item(question, item)},
                today=today,
                check_required=check_required,
            )
            problems.extend(
                replace(problem, message=f"{self.item_label} {number}: {problem.message}")
                for problem in found
            )
        return problems

    def normalised(self, section: Section, question: Question, answer: Any, *, today: date) -> Any:
        # Blank items (a column added and left empty) are dropped once the section is done.
        return [
            normalised_item(section, question, item, today=today)
            for item in table_items(answer)
            if not item_is_blank(question, item)
        ]

    def unanswered(self, answer: Any) -> Any:
        # Only blank columns: none are kept.
        return []

    def display(self, question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
        return [
            item_title(question, item, number)
            for number, item in enumerate(table_items(answer), 1)
            if not item_is_blank(question, item)
        ]

    def json_schema(self, question: Question) -> dict[str, Any]:
        fields = {
            inner.id: question_json_schema(inner) for inner in self.fields if inner.type.exported
        }
        key = {
            "type": "string",
            "pattern": f"^{ITEM_KEY.pattern}$",
            "description": "Names the item for as long as the form exists",
        }
        return {
            "type": "array",
            "maxItems": self.max_items,
            "items": {
                "type": "object",
                "title": self.item_label,
                "properties": {"key": key, **fields},
                "required": ["key"],
                "additionalProperties": False,
            },
        }

    def json_unanswered(self) -> Any:
        return []

    def json_value(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> Any:
        """The items that are not blank, in order, each with its key and the answers of its
        visible fields under the fields' own ids."""
        exported = []
        items = table_items(answers.get(section.id, {}).get(question.id))
        for number, item in enumerate(items, 1):
            if item_is_blank(question, item):
                continue
            view = item_view(section, question, item, number, answers)
            prefix = item_prefix(question, item["key"])
            with_item = {**answers, section.id: view.answers}
            values: dict[str, Any] = {"key": item["key"]}
            for inner in engine.visible_questions(view.section, with_item):
                if inner.type.exported:
                    values[inner.id[len(prefix) :]] = engine.exported_answer(
                        view.section, inner, with_item, account=account
                    )
            exported.append(values)
        return exported

    def inner_question(
        self, section: Section, question: Question, question_id: str
    ) -> Question | None:
        start = len(question.id) + 1
        key = question_id[start : start + 8]
        if not (
            question_id.startswith(f"{question.id}-")
            and ITEM_KEY.fullmatch(key)
            and question_id[start + 8 : start + 9] == "-"
        ):
            return None
        own = item_section(section, question, key)
        return next((inner for inner in own.questions if inner.id == question_id), None)

    def inner_answer(
        self, question: Question, answers: Mapping[str, Any], question_id: str
    ) -> tuple[bool, Any]:
        for item in table_items(answers.get(question.id)):
            flat = flat_item(question, item)
            if question_id in flat:
                return True, flat[question_id]
        return False, None

    def with_inner_answer(
        self, question: Question, answers: Mapping[str, Any], question_id: str, value: Any
    ) -> dict[str, Any] | None:
        if not question_id.startswith(f"{question.id}-"):
            return None
        items = []
        for item in table_items(answers.get(question.id)):
            prefix = item_prefix(question, item["key"])
            if question_id.startswith(prefix):
                item = {**item, question_id[len(prefix) :]: value}
            items.append(item)
        return {**answers, question.id: items}

    def item_summaries(
        self,
        section: Section,
        question: Question,
        answers: AnswersBySection,
        *,
        account: Mapping[str, str],
    ) -> list[ItemSummary]:
        """The items that are not blank, each with its visible answers (pass effective
        answers)."""
        summaries = []
        items = table_items(answers.get(section.id, {}).get(question.id))
        for number, item in enumerate(items, 1):
            if item_is_blank(question, item):
                continue
            view = item_view(section, question, item, number, answers)
            visible = engine.visible_questions(view.section, {**answers, section.id: view.answers})
            rows = [
                (inner, engine.display_answer(inner, view.answers.get(inner.id), account=account))
                for inner in visible
                if inner.type.summarised
            ]
            summaries.append(ItemSummary(view.title, view.dom_id, rows))
        return summaries


def table_of(question: Question) -> Table:
    """The table a question is (the caller knows it is one)."""
    assert isinstance(question.type, Table), question.id
    return question.type


def of(section: Section) -> list[Question]:
    return [question for question in section.questions if isinstance(question.type, Table)]


def new_item_key() -> str:
    return secrets.token_hex(4)


def item_prefix(table: Question, key: str) -> str:
    return f"{table.id}-{key}-"


def item_section(section: Section, table: Question, key: str) -> Section:
    """One item of a table as a section whose questions carry the item's prefix, so the
    section machinery (conditions, reading a form, checking, drawing) works on it unchanged."""
    prefix = item_prefix(table, key)

    def prefixed(question: Question) -> Question:
        condition = question.show_if
        if condition is not None and condition.section is None:
            condition = replace(condition, question=prefix + condition.question)
        optional_if = question.optional_if
        if isinstance(optional_if, ShowIf) and optional_if.section is None:
            optional_if = replace(optional_if, question=prefix + optional_if.question)
        return replace(
            question, id=prefix + question.id, show_if=condition, optional_if=optional_if
        )

    fields = table_of(table).fields
    return replace(section, questions=tuple(prefixed(q) for q in fields), show_if=None)


def table_items(answer: Any) -> list[dict[str, Any]]:
    """The items of a stored table answer (anything malformed left out)."""
    if not isinstance(answer, list):
        return []
    return [
        item
        for item in answer
        if isinstance(item, dict)
        and isinstance(item.get("key"), str)
        and ITEM_KEY.fullmatch(item["key"])
    ]


def flat_item(table: Question, item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's answers under their prefixed ids, as its item section reads them."""
    prefix = item_prefix(table, item["key"])
    return {prefix + q.id: item[q.id] for q in table_of(table).fields if q.id in item}


def item_is_blank(table: Question, item: Mapping[str, Any]) -> bool:
    return not any(
        question.type.is_answered(question, item.get(question.id))
        for question in table_of(table).fields
        if question.stores_answer
    )


def item_name(table: Question, item: Mapping[str, Any]) -> str:
    """What names an item, if anything does yet: "Ann Smith", "School nurse"."""
    names = [plain(item.get(field)) for field in table_of(table).names]
    return " ".join(part for part in names if part)


def item_title(table: Question, item: Mapping[str, Any], number: int) -> str:
    """The item's number, and its name when it has one: "Family member 2: Ann Smith"."""
    name = item_name(table, item)
    return f"{table_of(table).item_label} {number}" + (f": {name}" if name else "")


def normalised_item(
    section: Section, table: Question, item: dict[str, Any], *, today: date
) -> dict[str, Any]:
    prefix = item_prefix(table, item["key"])
    own = item_section(section, table, item["key"])
    flat = engine.normalised_answers(own, flat_item(table, item), today=today)
    return {"key": item["key"], **{name[len(prefix) :]: value for name, value in flat.items()}}


@dataclass(frozen=True)
class ItemView:
    """What a page needs to draw one item of a table."""

    table: Question
    key: str
    number: int
    title: str
    name: str
    section: Section
    answers: dict[str, Any]
    top_level: list[Question]
    nested: dict[tuple[str, str], list[Question]]

    @property
    def dom_id(self) -> str:
        return f"{self.table.id}-{self.key}"


def item_views(
    section: Section, table: Question, answers: AnswersBySection, *, start_blank: bool = True
) -> list[ItemView]:
    """The items of a table on a section page, in order. A required table with no items yet
    starts with one blank item, so the user can begin typing."""
    items = table_items(answers.get(section.id, {}).get(table.id))
    if not items and start_blank and table.required:
        items = [{"key": new_item_key()}]
    return [
        item_view(section, table, item, number, answers) for number, item in enumerate(items, 1)
    ]


def item_view(
    section: Section,
    table: Question,
    item: Mapping[str, Any],
    number: int,
    answers: AnswersBySection,
) -> ItemView:
    own = item_section(section, table, item["key"])
    flat = flat_item(table, item)
    shown = {q.id for q in engine.visible_questions(own, {**answers, section.id: flat})}
    return ItemView(
        table=table,
        key=item["key"],
        number=number,
        title=item_title(table, item, number),
        name=item_name(table, item),
        section=own,
        answers=flat,
        top_level=[q for q in engine.top_level_questions(own) if q.id in shown],
        nested=engine.nested_under(own),
    )


@dataclass(frozen=True)
class ItemSummary:
    """One item of a table as a person reads it: its title and its visible answers."""

    title: str
    dom_id: str
    rows: list[tuple[Question, list[str]]]
