"""A section page of the assessment, as a use case (help guide 5.1 to 5.9): what Next, "Save
and come back later", an address step (Find Address, choose one, Enter Address, copy another)
or a table step (add, remove) does to a draft, and what the page must show afterwards; and
autosave, which keeps the section as it stands without asking for what is missing.

Whatever the request looked like (a full post, htmx, a form kept over a sign-in), the route
parses it and hands over the posted fields; it gets back a `SectionOutcome` and only chooses
the response. Nothing here knows HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.assessment import engine
from app.assessment.answer_types import Address as AddressAnswer
from app.assessment.answer_types import Table
from app.assessment.answer_types import table as tables
from app.assessment.answer_types.base import FormData
from app.assessment.model import Assessment, Problem, Question, Section
from app.assessment.validators import normalise_postcode
from app.models import Referral, SectionAnswers
from app.services import answers as answer_store
from app.services.addresses import Address, AddressLookupUnavailable, AddressProvider

NEXT, SAVE = "next", "save"
ADDRESS_ACTIONS = frozenset({"find-address", "enter-address", "choose-address", "lookup-address"})
ITEM_ACTIONS = frozenset({"add-item", "remove-item", "confirm-remove", "keep-item"})
ANSWERS = dict[str, dict[str, Any]]


class NoSuchQuestion(LookupError):
    """An action names a question the section does not have (or not of that kind)."""


@dataclass(frozen=True)
class SectionState:
    """A draft's section as stored: every section's saved answers, hidden ones included."""

    referral: Referral
    section: Section
    rows: dict[str, SectionAnswers]
    answers: ANSWERS

    @property
    def version(self) -> int:
        row = self.rows.get(self.section.id)
        return row.version if row is not None else 0

    @property
    def stored_status(self) -> str | None:
        row = self.rows.get(self.section.id)
        return row.status if row is not None else None


def open_section(
    db: Session, referral: Referral, assessment: Assessment, section_id: str
) -> SectionState | None:
    """The section of the draft, or None when the answers so far do not show it."""
    rows = answer_store.stored_sections(db, referral)
    answers = answer_store.answers_by_section(rows)
    for section in engine.visible_sections(assessment, answers):
        if section.id == section_id:
            return SectionState(referral, section, rows, answers)
    return None


@dataclass(frozen=True)
class AddressStep:
    """What an address question shows after a step: the addresses found, a message, and the
    field in error when the step could not be done (a postcode that is not real, none chosen)."""

    question_id: str
    results: tuple[Address, ...] = ()
    message: str | None = None
    error_field: str | None = None


@dataclass(frozen=True)
class TableStep:
    """What a table shows after a step: the item acted on, where the focus goes, a question
    before removing, a notice once removed, or the problem of being at the limit."""

    table_id: str
    verb: str
    item_key: str | None = None
    focus_item: str | None = None
    confirm_remove: str | None = None
    notice: str | None = None
    problem: Problem | None = None


@dataclass
class SectionOutcome:
    """After a post: every section's answers with this one's as now on the page, the version
    the page must send next, the problems to show, and what the step did."""

    answers: ANSWERS
    version: int
    problems: list[Problem] = field(default_factory=list)
    completed: bool = False
    conflict: bool = False
    address: AddressStep | None = None
    table: TableStep | None = None

    @property
    def refused(self) -> bool:
        """The page comes back because something needs the user (a 422)."""
        return bool(
            self.problems
            or (self.address is not None and self.address.error_field)
            or (self.table is not None and self.table.problem)
        )


def post_section(
    db: Session,
    state: SectionState,
    assessment: Assessment,
    form: FormData,
    *,
    action: str,
    version: int,
    page: answer_store.PageStamp | None,
    today: date,
    now: datetime,
    addresses: AddressProvider,
) -> SectionOutcome:
    """Next (check everything, complete the section if nothing is missing), save for later,
    or an address or table step; saved unless the section changed elsewhere (`conflict`)."""
    section = state.section
    submitted = engine.answers_from_form(section, form)
    answers = {**state.answers, section.id: submitted}
    verb = action.partition(":")[0]
    address: AddressStep | None = None
    table: TableStep | None = None
    if verb in ADDRESS_ACTIONS:
        submitted, address = address_step(db, section, submitted, action, form, addresses)
        answers[section.id] = submitted
    elif verb in ITEM_ACTIONS:
        submitted, table = table_step(section, submitted, action)
        answers[section.id] = submitted

    full_check = engine.section_problems(
        section, engine.effective_answers(assessment, answers), today=today, check_required=True
    )
    problems: list[Problem] = []
    if action == NEXT:
        problems = full_check
        completed = not problems
        if completed:
            submitted = engine.normalised_answers(section, submitted, today=today)
            answers[section.id] = submitted
    else:
        # Saving for later (or an address or table step) keeps a completed section completed
        # while it still has no problems.
        completed = state.stored_status == engine.COMPLETED and not full_check
    saved, version = _save(
        db, state, answers, completed=completed, version=version, page=page, now=now
    )
    return SectionOutcome(
        answers=answers,
        version=version,
        problems=problems,
        completed=completed,
        conflict=not saved,
        address=address,
        table=table,
    )


@dataclass(frozen=True)
class AutosaveOutcome:
    saved: bool
    version: int
    sections_before: list[Section]
    sections_after: list[Section]
    # What is wrong with the answers as saved (a check digit, a date): kept as typed, but the
    # user is told at once (missing answers are not asked for until Next).
    problems: list[Problem] = field(default_factory=list)


def autosave_section(
    db: Session,
    state: SectionState,
    assessment: Assessment,
    form: FormData,
    *,
    version: int,
    page: answer_store.PageStamp | None,
    today: date,
    now: datetime,
) -> AutosaveOutcome:
    """The section as it stands, without required checks; a completed section stays so while
    it has no problems. Also which sections there are before and after (Request for Support
    decides some)."""
    section = state.section
    answers = {**state.answers, section.id: engine.answers_from_form(section, form)}
    shown = engine.effective_answers(assessment, answers)
    still_complete = state.stored_status == engine.COMPLETED and not engine.section_problems(
        section, shown, today=today, check_required=True
    )
    saved, new_version = _save(
        db, state, answers, completed=still_complete, version=version, page=page, now=now
    )
    return AutosaveOutcome(
        saved=saved,
        version=new_version,
        sections_before=engine.visible_sections(assessment, state.answers),
        sections_after=engine.visible_sections(assessment, answers),
        problems=engine.section_problems(section, shown, today=today, check_required=False),
    )


def page_view(
    state: SectionState,
    answers: ANSWERS,
    version: int,
    assessment: Assessment,
    *,
    outcome: SectionOutcome | None = None,
    account: Mapping[str, str],
    today: date,
    parked: bool = False,
) -> dict[str, Any]:
    """What a section page shows: its visible questions (those nested under an option apart),
    every table's items, the problems and the messages of the last step, the sections there
    are now. `answers` are every section's, this one's as on the page. A page opened afresh
    shows what is wrong with the answers saved as typed (missing ones wait for Next)."""
    section = state.section
    shown = engine.effective_answers(assessment, answers)
    visible = {q.id for q in engine.visible_questions(section, shown)}
    if outcome is None:
        problems = engine.section_problems(section, shown, today=today, check_required=False)
    else:
        problems = list(outcome.problems)
    table = outcome.table if outcome else None
    address = outcome.address if outcome else None
    if table is not None and table.problem is not None:
        problems = [table.problem, *problems]
    errors = {p.field_id: p.message for p in problems}
    if address is not None and address.error_field and address.message:
        errors = {address.error_field: address.message, **errors}
    return {
        "referral": state.referral,
        "section": section,
        "answers": answers.get(section.id, {}),
        "version": version,
        "top_level": [q for q in engine.top_level_questions(section) if q.id in visible],
        "nested": engine.nested_under(section),
        # Every table's items, whether or not the table is shown now (its reveal may open).
        "tables": {q.id: tables.item_views(section, q, answers) for q in tables.of(section)},
        "problems": {p.question_id: p for p in problems},
        # Required questions the answers so far make optional, and why a whole section is.
        "optional_now": {
            q.id for q in section.questions if q.required and not q.required_in(section, shown)
        },
        "optional_because": section.optional_because if section.optional_in(shown) else None,
        "started_for_you": state.stored_status == engine.STARTED_FOR_YOU and outcome is None,
        "errors": errors,
        "account": account,
        "navigation": engine.visible_sections(assessment, answers),
        "parked": parked,
        "conflict": bool(outcome and outcome.conflict),
        "address_step": address,
        "table_step": table,
        "focus_item": table.focus_item if table else None,
        "confirm_remove": table.confirm_remove if table else None,
        "table_notice": {"table": table.table_id, "text": table.notice}
        if table and table.notice
        else None,
    }


def _save(
    db: Session,
    state: SectionState,
    answers: ANSWERS,
    *,
    completed: bool,
    version: int,
    page: answer_store.PageStamp | None,
    now: datetime,
) -> tuple[bool, int]:
    """Save the section and commit: (True, the new version); or (False, the version it is at)
    when it was saved elsewhere since the page was loaded (another tab), nothing changed."""
    section = state.section
    try:
        new_version = answer_store.save_section(
            db,
            state.referral,
            section,
            answers[section.id],
            expected_version=version,
            status=answer_store.status_after_save(section, answers, completed=completed),
            now=now,
            page=page,
        )
    except answer_store.StaleAnswers as stale:
        db.rollback()
        return False, max(stale.current_version, 0)
    db.commit()
    return True, new_version


def next_section(assessment: Assessment, section: Section, answers: ANSWERS) -> Section | None:
    """The section after this one, as the answers now show them; None after the last."""
    sections = engine.visible_sections(assessment, answers)
    position = [s.id for s in sections].index(section.id)
    return sections[position + 1] if position + 1 < len(sections) else None


def sections_changed(before: list[Section], after: list[Section]) -> str:
    """ " The Participation Team section has been added to this form." and the like."""
    added = [s.title for s in after if s not in before]
    removed = [s.title for s in before if s not in after]
    words = ""
    for titles, change in ((added, "added to"), (removed, "taken out of")):
        if titles:
            names = " and ".join(titles)
            noun = "section has" if len(titles) == 1 else "sections have"
            words += f" The {names} {noun} been {change} this form."
    return words


# Address steps ------------------------------------------------------------------------------


def address_question(section: Section, question_id: str) -> Question:
    question = engine.find_question(section, question_id)
    if question is None or not isinstance(question.type, AddressAnswer):
        raise NoSuchQuestion(question_id)
    return question


def address_step(
    db: Session,
    section: Section,
    submitted: dict[str, Any],
    action: str,
    form: FormData,
    addresses: AddressProvider,
) -> tuple[dict[str, Any], AddressStep]:
    """Find, choose, or switch to typing: the section's answers, and what the address
    question shows."""
    verb, _, question_id = action.partition(":")
    question = address_question(section, question_id)
    stored = engine.get_answer(section, submitted, question.id)
    value = dict(stored) if isinstance(stored, dict) else {}
    results: list[Address] = []
    message: str | None = None
    error_field: str | None = None
    if verb == "enter-address":
        value["mode"] = "manual"
        postcode = normalise_postcode(value.get("lookup_postcode", ""))
        if postcode and not value.get("postcode"):
            value["postcode"] = postcode
        if value.get("house") and not value.get("line1"):
            value["line1"] = value["house"]
    elif verb == "lookup-address":
        # Search again, keeping the address there is until another is chosen or typed.
        value = {
            **value,
            "mode": "lookup",
            "house": "",
            "lookup_postcode": value.get("postcode", ""),
        }
    else:  # find-address, choose-address
        value["mode"] = "lookup"
        postcode = normalise_postcode(value.get("lookup_postcode", ""))
        if postcode is None:
            message = "Enter a real UK postcode, like UB8 1UW"
            error_field = f"{question.id}-lookup_postcode"
        else:
            try:
                results = addresses.find(db, value.get("house", ""), postcode)
            except AddressLookupUnavailable:
                message = "Address search is not working at the moment."
            if verb == "choose-address":
                chosen = next(
                    (a for a in results if a.uprn == form.get(f"{question.id}-uprn")), None
                )
                if chosen is None and results:
                    message = "Select an address"
                    error_field = f"{question.id}-uprn-1"
                if chosen is not None:
                    value = {
                        "mode": "manual",
                        "line1": chosen.line1,
                        "line2": chosen.line2,
                        "town": chosen.town,
                        "postcode": chosen.postcode,
                        "uprn": chosen.uprn,
                    }
                    results = []
            if not results and value.get("mode") == "lookup" and not message:
                message = f"No addresses found for {postcode}."
    step = AddressStep(question.id, tuple(results), message, error_field)
    return engine.with_answer(section, submitted, question.id, value), step


# Table steps --------------------------------------------------------------------------------


def table_question(section: Section, question_id: str) -> tuple[Question, Table]:
    question = engine.find_question(section, question_id)
    if question is None or not isinstance(question.type, Table):
        raise NoSuchQuestion(question_id)
    return question, question.type


def table_step(
    section: Section, submitted: dict[str, Any], action: str
) -> tuple[dict[str, Any], TableStep]:
    """Add an item, ask to remove one, remove it or keep it: the section's answers, and what
    the table shows. Removing takes two steps: "Remove", then "Yes, remove"."""
    verb, _, rest = action.partition(":")
    table_id, _, key = rest.partition(":")
    question, table = table_question(section, table_id)
    items = tables.table_items(submitted.get(question.id))
    if verb == "add-item":
        if len(items) >= table.max_items:
            noun = table.item_label.lower()
            message = table.limit_hint or f"You can add up to {table.max_items} ({noun})"
            problem = Problem(question.id, engine.field_id(question), message)
            return {**submitted, question.id: items}, TableStep(
                question.id, verb, item_key=key, problem=problem
            )
        key = tables.new_item_key()
        step = TableStep(question.id, verb, item_key=key, focus_item=f"{question.id}-{key}")
        return {**submitted, question.id: [*items, {"key": key}]}, step
    numbered = list(enumerate(items, 1))
    found = next(((n, item) for n, item in numbered if item["key"] == key), None)
    if found is None:
        # Removed already (another tab, or a second click): show the table as it is.
        notice = "That entry has already been removed."
        return submitted, TableStep(question.id, verb, notice=notice)
    number, item = found
    if verb == "remove-item":
        step = TableStep(question.id, verb, item_key=key, confirm_remove=f"{question.id}-{key}")
    elif verb == "keep-item":
        step = TableStep(question.id, verb, item_key=key, focus_item=f"{question.id}-{key}")
    else:  # confirm-remove
        items = [other for other in items if other["key"] != key]
        name = tables.item_name(question, item)
        removed = f"{table.item_label} {number}" + (f" ({name})" if name else "")
        step = TableStep(question.id, verb, item_key=key, notice=f"{removed} has been removed.")
    return {**submitted, question.id: items}, step
