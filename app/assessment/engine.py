"""What the declaration means for one referral: which sections and questions are visible, how a
posted form becomes answers, which answers are missing or malformed, each section's status, and
how an answer reads back. Everything here iterates `app.assessment.schema.ASSESSMENT`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from app.assessment import validators
from app.assessment.model import AnswersBySection, Assessment, Question, Section
from app.plain_text import clean_text

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
    return clean_text(value).strip() if isinstance(value, str) else ""


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
        elif question.type == "textarea":
            value = form.get(name)
            # Keep the writer's line breaks; only trim the ends, and use one newline form.
            answers[name] = _text(value.replace("\r\n", "\n")) if isinstance(value, str) else ""
        else:
            answers[name] = _text(form.get(name))
    return answers


def is_answered(question: Question, answer: Any) -> bool:
    if question.type == "checkboxes":
        return bool(answer)
    if question.type == "date":
        return isinstance(answer, dict) and any(_text(answer.get(p)) for p in DATE_PARTS)
    if question.type == "address":
        return isinstance(answer, dict) and any(_text(answer.get(p)) for p in ADDRESS_FIELDS)
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
    return question.id


def question_problem(question: Question, answer: Any, *, today: date) -> Problem | None:
    """What is wrong with an answer that was given (missing answers are checked elsewhere)."""

    def problem(message: str, field: str | None = None, parts: Iterable[str] = ()) -> Problem:
        return Problem(question.id, field or field_id(question), message, frozenset(parts))

    kind = question.type
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
    return result


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
    return [_text(answer)]


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
