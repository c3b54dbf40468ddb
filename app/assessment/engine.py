"""What the declaration means for one referral: which sections and questions are visible, how a
posted form becomes answers, which answers are missing or malformed, each section's status, and
how an answer reads back. Everything here iterates `app.assessment.schema.ASSESSMENT`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from app.assessment import validators
from app.assessment.model import AnswersBySection, Assessment, Question, Section
from app.plain_text import visible_text

ADDRESS_FIELDS = ("line1", "line2", "town", "postcode")
ADDRESS_LOOKUP_FIELDS = ("house", "lookup_postcode")
DATE_PARTS = ("day", "month", "year")

NOT_STARTED = "not-started"
IN_PROGRESS = "in-progress"
COMPLETED = "completed"


class FormData(Protocol):
    """What a posted form offers (Starlette's FormData, or a plain test double)."""

    def get(self, key: str, /) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


CHOICE_TYPES = frozenset({"radios", "checkboxes", "yes-no"})

# Tables -------------------------------------------------------------------------------------
# A table's answer is a list of items, each {"key": <8 hex>, <field id>: answer, ...}. The key
# is made by the server and names the item's inputs: "<table>-<key>-<field>" (for example
# family_members-3f9a0c21-forename), so adding or removing one item never renumbers another.
# Each item is read, checked and drawn as a small section of its own: `item_section`.

ITEM_KEY = re.compile(r"[0-9a-f]{8}")


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
        return replace(question, id=prefix + question.id, show_if=condition)

    return replace(section, questions=tuple(prefixed(q) for q in table.fields), show_if=None)


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
    return {prefix + q.id: item[q.id] for q in table.fields if q.id in item}


def item_is_blank(table: Question, item: Mapping[str, Any]) -> bool:
    return not any(
        is_answered(question, item.get(question.id))
        for question in table.fields
        if question.stores_answer
    )


def item_name(table: Question, item: Mapping[str, Any]) -> str:
    """What names an item, if anything does yet: "Ann Smith", "School nurse"."""
    names = [
        _text(item.get(q.id)) for q in table.fields if q.type == "text" and q.id in NAME_FIELDS
    ]
    return " ".join(part for part in names if part)


def item_title(table: Question, item: Mapping[str, Any], number: int) -> str:
    """The item's number, and its name when it has one: "Family member 2: Ann Smith"."""
    name = item_name(table, item)
    return f"{table.item_label} {number}" + (f": {name}" if name else "")


# The fields whose answers name an item in its title.
NAME_FIELDS = ("name", "forename", "surname", "service")


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
    shown = {q.id for q in visible_questions(own, {**answers, section.id: flat})}
    return ItemView(
        table=table,
        key=item["key"],
        number=number,
        title=item_title(table, item, number),
        name=item_name(table, item),
        section=own,
        answers=flat,
        top_level=[q for q in top_level_questions(own) if q.id in shown],
        nested=nested_under(own),
    )


def find_question(section: Section, question_id: str) -> Question | None:
    """A question of the section by id, including a table item's prefixed questions."""
    for question in section.questions:
        if question.id == question_id:
            return question
        if question.type == "table" and question_id.startswith(f"{question.id}-"):
            key = question_id[len(question.id) + 1 : len(question.id) + 9]
            if (
                ITEM_KEY.fullmatch(key)
                and question_id[len(question.id) + 9 : len(question.id) + 10] == "-"
            ):
                for inner in item_section(section, question, key).questions:
                    if inner.id == question_id:
                        return inner
    return None


def get_answer(section: Section, answers: Mapping[str, Any], question_id: str) -> Any:
    """One answer of a section's answers by (possibly prefixed) question id."""
    if question_id in answers:
        return answers[question_id]
    for table in section.questions:
        if table.type != "table":
            continue
        for item in table_items(answers.get(table.id)):
            flat = flat_item(table, item)
            if question_id in flat:
                return flat[question_id]
    return None


def with_answer(
    section: Section, answers: Mapping[str, Any], question_id: str, value: Any
) -> dict[str, Any]:
    """The section's answers with one (possibly prefixed) answer replaced."""
    for table in section.questions:
        if table.type != "table" or not question_id.startswith(f"{table.id}-"):
            continue
        items = []
        for item in table_items(answers.get(table.id)):
            prefix = item_prefix(table, item["key"])
            if question_id.startswith(prefix):
                item = {**item, question_id[len(prefix) :]: value}
            items.append(item)
        return {**answers, table.id: items}
    return {**answers, question_id: value}


def effective_answers(
    assessment: Assessment, answers: AnswersBySection
) -> dict[str, dict[str, Any]]:
    """The answers that count. A hidden question's answer stays in storage but is left out
    here, so any condition on it fails, in its own section or a later one; a hidden section's
    answers are left out whole. Visibility, validation and every view use these."""
    effective: dict[str, dict[str, Any]] = {}
    for section in assessment.sections:
        if section.show_if is not None and not section.show_if.holds(effective, section.id):
            continue
        own = answers.get(section.id, {})
        kept: dict[str, Any] = {}
        effective[section.id] = kept
        for question in section.questions:
            if question.show_if is not None and not question.show_if.holds(effective, section.id):
                continue
            if question.id in own:
                kept[question.id] = own[question.id]
    return effective


def visible_sections(assessment: Assessment, answers: AnswersBySection) -> list[Section]:
    shown = effective_answers(assessment, answers)
    return [section for section in assessment.sections if section.id in shown]


def visible_questions(section: Section, answers: AnswersBySection) -> list[Question]:
    """The questions that apply given the answers. Pass `effective_answers(...)`, so that a
    condition on a question hidden in another section fails too."""
    visible: list[Question] = []
    shown: set[str] = set()
    for question in section.questions:
        condition = question.show_if
        if condition is not None:
            same_section = condition.section in (None, section.id)
            if same_section and condition.question not in shown:
                continue
            if not condition.holds(answers, section.id):
                continue
        visible.append(question)
        shown.add(question.id)
    return visible


def nested_under(section: Section) -> dict[tuple[str, str], list[Question]]:
    """Questions shown as GOV.UK conditional reveals: under the one option of an earlier radio
    or checkbox question on the same page that shows them. Other questions (several options,
    another section, a select) are drawn at the top level."""
    nested: dict[tuple[str, str], list[Question]] = {}
    for question in section.questions:
        condition = question.show_if
        if (
            condition is not None
            and condition.section in (None, section.id)
            and len(condition.values) == 1
            and section.question(condition.question).type in CHOICE_TYPES
        ):
            nested.setdefault((condition.question, condition.values[0]), []).append(question)
    return nested


def top_level_questions(section: Section) -> list[Question]:
    nested_ids = {q.id for questions in nested_under(section).values() for q in questions}
    return [q for q in section.questions if q.id not in nested_ids]


def _text(value: Any) -> str:
    return visible_text(value).strip() if isinstance(value, str) else ""


def answers_from_form(section: Section, form: FormData) -> dict[str, Any]:
    """The answers of a posted section form, kept exactly as typed (trimmed)."""
    answers: dict[str, Any] = {}
    for question in section.questions:
        if not question.stores_answer:
            continue
        name = question.id
        if question.type == "checkboxes":
            answers[name] = [_text(v) for v in form.getlist(name) if isinstance(v, str) and v]
        elif question.type == "date":
            answers[name] = {part: _text(form.get(f"{name}-{part}")) for part in DATE_PARTS}
        elif question.type == "address":
            fields = ADDRESS_FIELDS + ADDRESS_LOOKUP_FIELDS + ("uprn", "mode")
            answers[name] = {part: _text(form.get(f"{name}-{part}")) for part in fields}
        elif question.type == "table":
            answers[name] = items_from_form(section, question, form)
        elif question.type == "textarea":
            value = form.get(name)
            # Keep the writer's line breaks; only trim the ends, and use one newline form.
            answers[name] = _text(value.replace("\r\n", "\n")) if isinstance(value, str) else ""
        else:
            answers[name] = _text(form.get(name))
    return answers


def items_from_form(section: Section, table: Question, form: FormData) -> list[dict[str, Any]]:
    """A table's items from a posted form, in page order: each item's key comes from its
    hidden "<table>-item" input; keys that are malformed or repeated, and items beyond the
    table's limit, are left out (the page never sends them)."""
    keys: list[str] = []
    for key in form.getlist(f"{table.id}-item"):
        if isinstance(key, str) and ITEM_KEY.fullmatch(key) and key not in keys:
            keys.append(key)
    items = []
    for key in keys[: table.max_items]:
        prefix = item_prefix(table, key)
        flat = answers_from_form(item_section(section, table, key), form)
        items.append({"key": key, **{name[len(prefix) :]: value for name, value in flat.items()}})
    return items


def is_answered(question: Question, answer: Any) -> bool:
    if question.type == "checkboxes":
        return bool(answer)
    if question.type == "date":
        return isinstance(answer, dict) and any(_text(answer.get(p)) for p in DATE_PARTS)
    if question.type == "address":
        return isinstance(answer, dict) and any(_text(answer.get(p)) for p in ADDRESS_FIELDS)
    if question.type == "table":
        return any(not item_is_blank(question, item) for item in table_items(answer))
    return bool(_text(answer))


@dataclass(frozen=True)
class Problem:
    """A message for one question, and the id of the field its error-summary link moves to."""

    question_id: str
    field_id: str
    message: str
    parts: frozenset[str] = frozenset()


def field_id(question: Question) -> str:
    if question.type == "date":
        return f"{question.id}-day"
    if question.type == "address":
        return f"{question.id}-line1"
    if question.type == "table":
        return f"{question.id}-add"
    return question.id


def question_problem(question: Question, answer: Any, *, today: date) -> Problem | None:
    """What is wrong with an answer that was given (missing answers are checked elsewhere)."""

    def problem(message: str, field: str | None = None, parts: Iterable[str] = ()) -> Problem:
        return Problem(question.id, field or field_id(question), message, frozenset(parts))

    kind = question.type
    if kind == "table":
        return None  # its items are checked one by one: table_problems
    if kind == "date":
        moment, message, wrong = validators.parse_date_parts(answer)
        if message:
            first = next((p for p in DATE_PARTS if p in wrong), "day")
            return problem(
                f"{question.label}: {message[0].lower()}{message[1:]}",
                f"{question.id}-{first}",
                wrong,
            )
        if moment is not None:
            message = validators.date_range_problem(
                moment,
                today=today,
                allow_future=question.allow_future,
                allow_past=question.allow_past,
                max_years_ago=question.max_years_ago,
                max_days_ahead=question.max_days_ahead,
                label=question.label,
            )
            if message:
                return problem(message, parts=DATE_PARTS)
        return None
    if kind == "address":
        return address_problem(question, answer)
    if kind in {"radios", "yes-no", "select"}:
        if answer not in {o.value for o in question.all_options}:
            return problem(question.missing_message())
        return None
    if kind == "checkboxes":
        allowed = {o.value for o in question.options}
        if any(value not in allowed for value in answer):
            return problem(question.missing_message())
        return None
    text = _text(answer)
    if question.max_length is not None and len(text) > question.max_length:
        return problem(f"{question.label} must be {question.max_length:,} characters or fewer")
    if kind == "phone":
        message = validators.phone_problem(text)
    elif kind == "email":
        message = validators.email_problem(text)
    elif kind == "nhs-number":
        message = validators.nhs_number_problem(text)
    elif kind == "upn":
        message = validators.upn_problem(text)
    else:
        message = None
    if message:
        return problem(message)
    for check in question.validators:
        message = check(text)
        if message:
            return problem(message)
    return None


def address_problem(question: Question, answer: Any) -> Problem | None:
    parts = answer if isinstance(answer, dict) else {}
    if not _text(parts.get("line1")):
        return Problem(question.id, f"{question.id}-line1", "Enter the first line of the address")
    if not _text(parts.get("town")):
        return Problem(question.id, f"{question.id}-town", "Enter the town or city")
    if validators.normalise_postcode(_text(parts.get("postcode"))) is None:
        return Problem(
            question.id,
            f"{question.id}-postcode",
            "Enter a real UK postcode, like UB8 1UW",
        )
    return None


def section_problems(
    section: Section, answers: AnswersBySection, *, today: date, check_required: bool
) -> list[Problem]:
    """Problems with the visible questions, in page order; required ones only if asked."""
    own = answers.get(section.id, {})
    problems: list[Problem] = []
    for question in visible_questions(section, answers):
        if not question.stores_answer:
            continue
        answer = own.get(question.id)
        if question.type == "table":
            problems.extend(
                table_problems(
                    section, question, answers, today=today, check_required=check_required
                )
            )
            continue
        if not is_answered(question, answer):
            if check_required and question.required:
                problems.append(
                    Problem(question.id, field_id(question), question.missing_message())
                )
            continue
        found = question_problem(question, answer, today=today)
        if found is not None:
            problems.append(found)
    return problems


def table_problems(
    section: Section,
    table: Question,
    answers: AnswersBySection,
    *,
    today: date,
    check_required: bool,
) -> list[Problem]:
    """A table's problems: each item's, named by its number ("Family member 2: Enter ...");
    blank items are ignored; a required table needs one item that is not blank."""
    items = table_items(answers.get(section.id, {}).get(table.id))
    problems: list[Problem] = []
    if check_required and table.required and all(item_is_blank(table, i) for i in items):
        # To the first field of the blank column on the page, or to Add when there is none.
        target = (
            field_id(item_section(section, table, items[0]["key"]).questions[0])
            if items
            else field_id(table)
        )
        problems.append(Problem(table.id, target, table.missing_message()))
    for number, item in enumerate(items, 1):
        if item_is_blank(table, item):
            continue
        own = item_section(section, table, item["key"])
        found = section_problems(
            own,
            {**answers, section.id: flat_item(table, item)},
            today=today,
            check_required=check_required,
        )
        problems.extend(
            replace(problem, message=f"{table.item_label} {number}: {problem.message}")
            for problem in found
        )
    return problems


def normalised_answers(
    section: Section, answers: Mapping[str, Any], *, today: date
) -> dict[str, Any]:
    """The answers with every valid one in its standard form (phone, postcode, NHS number,
    UPN); answers with problems stay exactly as typed."""
    result = dict(answers)
    for question in section.questions:
        answer: Any = result.get(question.id)
        if not question.stores_answer or not is_answered(question, answer):
            continue
        if question_problem(question, answer, today=today) is not None:
            continue
        if question.type == "phone":
            result[question.id] = validators.normalise_phone(answer)
        elif question.type == "nhs-number":
            result[question.id] = validators.normalise_nhs_number(answer)
        elif question.type == "upn":
            result[question.id] = validators.normalise_upn(answer)
        elif question.type == "address":
            postcode = validators.normalise_postcode(answer.get("postcode", ""))
            result[question.id] = {**answer, "postcode": postcode}
        elif question.type == "table":
            # Blank items (a column added and left empty) are dropped once the section is done.
            result[question.id] = [
                normalised_item(section, question, item, today=today)
                for item in table_items(answer)
                if not item_is_blank(question, item)
            ]
    return result


def normalised_item(
    section: Section, table: Question, item: dict[str, Any], *, today: date
) -> dict[str, Any]:
    prefix = item_prefix(table, item["key"])
    own = item_section(section, table, item["key"])
    flat = normalised_answers(own, flat_item(table, item), today=today)
    return {"key": item["key"], **{name[len(prefix) :]: value for name, value in flat.items()}}


def answer_date(answer: Any) -> date | None:
    moment, _message, _wrong = validators.parse_date_parts(answer)
    return moment


def display_answer(question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
    """The answer as lines of text a person reads (check answers, the hub view, the PDF);
    an empty list when there is no answer."""
    if question.type == "account":
        value = account.get(question.source or "", "")
        return [value] if value else []
    if not is_answered(question, answer):
        return []
    if question.type in {"radios", "yes-no", "select"}:
        return [question.option_label(answer)]
    if question.type == "checkboxes":
        return [question.option_label(value) for value in answer]
    if question.type == "date":
        moment = answer_date(answer)
        if moment is None:
            return [" ".join(_text(answer.get(p)) for p in DATE_PARTS)]
        return [f"{moment.day} {moment:%B %Y}"]
    if question.type == "address":
        return [_text(answer.get(p)) for p in ADDRESS_FIELDS if _text(answer.get(p))]
    if question.type == "textarea":
        return _text(answer).split("\n")
    if question.type == "table":
        return [
            item_title(question, item, number)
            for number, item in enumerate(table_items(answer), 1)
            if not item_is_blank(question, item)
        ]
    return [_text(answer)]


@dataclass(frozen=True)
class ItemSummary:
    """One item of a table as a person reads it: its title and its visible answers."""

    title: str
    dom_id: str
    rows: list[tuple[Question, list[str]]]


def item_summaries(
    section: Section,
    table: Question,
    answers: AnswersBySection,
    *,
    account: Mapping[str, str],
) -> list[ItemSummary]:
    """The items that are not blank, each with its visible answers (pass effective answers)."""
    summaries = []
    items = table_items(answers.get(section.id, {}).get(table.id))
    for number, item in enumerate(items, 1):
        if item_is_blank(table, item):
            continue
        view = item_view(section, table, item, number, answers)
        visible = visible_questions(view.section, {**answers, section.id: view.answers})
        rows = [
            (question, display_answer(question, view.answers.get(question.id), account=account))
            for question in visible
            if question.type != "guidance"
        ]
        summaries.append(ItemSummary(view.title, view.dom_id, rows))
    return summaries


def section_status(
    section: Section, answers: AnswersBySection, stored_status: str | None, *, today: date
) -> str:
    """Not started, in progress, or completed: completed only while it still has no problems
    (an answer elsewhere may have revealed a new question)."""
    own = answers.get(section.id, {})
    answered = any(
        is_answered(q, own.get(q.id))
        for q in visible_questions(section, answers)
        if q.stores_answer
    )
    if stored_status == COMPLETED and not section_problems(
        section, answers, today=today, check_required=True
    ):
        return COMPLETED
    return IN_PROGRESS if answered or stored_status == COMPLETED else NOT_STARTED


@dataclass(frozen=True)
class SummaryBlock:
    """Part of a section's summary: plain answers (`rows`), or a table and its items."""

    rows: list[tuple[Question, list[str]]]
    table: Question | None = None
    items: tuple[ItemSummary, ...] = ()


def answers_summary(
    assessment: Assessment, answers: AnswersBySection, *, account: Mapping[str, str]
) -> list[tuple[Section, list[SummaryBlock]]]:
    """Every visible section with its visible answers as text, for check your answers, the
    hub's view and the PDF. Hidden sections and questions are left out; so are blank items."""
    summary = []
    shown = effective_answers(assessment, answers)
    for section in visible_sections(assessment, answers):
        own = shown.get(section.id, {})
        blocks: list[SummaryBlock] = []
        for question in visible_questions(section, shown):
            if question.type == "guidance":
                continue
            if question.type == "table":
                items = item_summaries(section, question, shown, account=account)
                blocks.append(SummaryBlock([], question, tuple(items)))
                continue
            lines = display_answer(question, own.get(question.id), account=account)
            if not blocks or blocks[-1].table is not None:
                blocks.append(SummaryBlock([]))
            blocks[-1].rows.append((question, lines))
        summary.append((section, blocks))
    return summary
