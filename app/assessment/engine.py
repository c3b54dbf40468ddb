"""What the declaration means for one referral: which sections and questions are visible, how a
posted form becomes answers, which answers are missing or malformed, each section's status, and
how an answer reads back. Everything here iterates `app.assessment.schema.ASSESSMENT`; what
differs between answer types is asked of the question's type (`app/assessment/answer_types/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from app.assessment.model import AnswersBySection, Assessment, Problem, Question, Section

if TYPE_CHECKING:
    from app.assessment.answer_types.base import FormData
    from app.assessment.answer_types.table import ItemSummary

NOT_STARTED = "not-started"
IN_PROGRESS = "in-progress"
COMPLETED = "completed"
# Answered by the portal, not yet by the user: from the start page's tile and the child's
# names, or the referrer's details remembered from their last referral. The first save makes
# it in progress (or completed).
STARTED_FOR_YOU = "started-for-you"


def find_question(section: Section, question_id: str) -> Question | None:
    """A question of the section by id, including a table item's prefixed questions."""
    for question in section.questions:
        if question.id == question_id:
            return question
        inner = question.type.inner_question(section, question, question_id)
        if inner is not None:
            return inner
    return None


def get_answer(section: Section, answers: Mapping[str, Any], question_id: str) -> Any:
    """One answer of a section's answers by (possibly prefixed) question id."""
    if question_id in answers:
        return answers[question_id]
    for question in section.questions:
        found, value = question.type.inner_answer(question, answers, question_id)
        if found:
            return value
    return None


def with_answer(
    section: Section, answers: Mapping[str, Any], question_id: str, value: Any
) -> dict[str, Any]:
    """The section's answers with one (possibly prefixed) answer replaced."""
    for question in section.questions:
        changed = question.type.with_inner_answer(question, answers, question_id, value)
        if changed is not None:
            return changed
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
            and section.question(condition.question).type.reveals
        ):
            nested.setdefault((condition.question, condition.values[0]), []).append(question)
    return nested


def top_level_questions(section: Section) -> list[Question]:
    nested_ids = {q.id for questions in nested_under(section).values() for q in questions}
    return [q for q in section.questions if q.id not in nested_ids]


def answers_from_form(section: Section, form: FormData) -> dict[str, Any]:
    """The answers of a posted section form, kept exactly as typed (trimmed)."""
    return {
        question.id: question.type.read(question, form, section)
        for question in section.questions
        if question.stores_answer
    }


def is_answered(question: Question, answer: Any) -> bool:
    return question.type.is_answered(question, answer)


def field_id(question: Question) -> str:
    return question.type.field_id(question)


def question_problem(question: Question, answer: Any, *, today: date) -> Problem | None:
    """What is wrong with an answer that was given (missing answers are checked elsewhere)."""
    return question.type.problem(question, answer, today=today)


def section_problems(
    section: Section, answers: AnswersBySection, *, today: date, check_required: bool
) -> list[Problem]:
    """Problems with the visible questions, in page order; required ones only if asked."""
    problems: list[Problem] = []
    for question in visible_questions(section, answers):
        if question.stores_answer:
            problems.extend(
                question.type.problems(
                    section, question, answers, today=today, check_required=check_required
                )
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
        if not question.stores_answer:
            continue
        if not is_answered(question, answer):
            if question.id in result:
                result[question.id] = question.type.unanswered(answer)
            continue
        if question_problem(question, answer, today=today) is not None:
            continue
        result[question.id] = question.type.normalised(section, question, answer, today=today)
    return result


def display_answer(question: Question, answer: Any, *, account: Mapping[str, str]) -> list[str]:
    """The answer as lines of text a person reads (check answers, the hub view, the PDF);
    an empty list when there is no answer."""
    if question.stores_answer and not is_answered(question, answer):
        return []
    return question.type.display(question, answer, account=account)


def exported_answer(
    section: Section, question: Question, answers: AnswersBySection, *, account: Mapping[str, str]
) -> Any:
    """A visible question's answer as the case system's export gives it (`answers`: the
    effective ones)."""
    if question.stores_answer and not is_answered(
        question, answers.get(section.id, {}).get(question.id)
    ):
        return question.type.json_unanswered()
    return question.type.json_value(section, question, answers, account=account)


def exported_answers(
    assessment: Assessment, answers: AnswersBySection, *, account: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Every visible section's visible answers, keyed by section and question id, as the
    export gives them: what the hub sees, as data. Hidden sections and questions are absent."""
    shown = effective_answers(assessment, answers)
    return {
        section.id: {
            question.id: exported_answer(section, question, shown, account=account)
            for question in visible_questions(section, shown)
            if question.type.exported
        }
        for section in visible_sections(assessment, answers)
    }


def section_status(
    section: Section, answers: AnswersBySection, stored_status: str | None, *, today: date
) -> str:
    """Not started, started for you, in progress, or completed: completed only while it
    still has no problems (an answer elsewhere may have revealed a new question)."""
    if stored_status == STARTED_FOR_YOU:
        return STARTED_FOR_YOU
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
            if not question.type.summarised:
                continue
            items = question.type.item_summaries(section, question, shown, account=account)
            if items is not None:
                blocks.append(SummaryBlock([], question, tuple(items)))
                continue
            lines = display_answer(question, own.get(question.id), account=account)
            if not blocks or blocks[-1].table is not None:
                blocks.append(SummaryBlock([]))
            blocks[-1].rows.append((question, lines))
        summary.append((section, blocks))
    return summary
