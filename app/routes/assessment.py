"""The Early Help Assessment's pages: the task list, each section (Next, "Save and come back
later", autosave, address lookup) and check your answers. Everything is drawn from the schema.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.assessment import engine
from app.assessment.engine import Problem
from app.assessment.model import Assessment, Question, Section
from app.assessment.validators import normalise_postcode
from app.db import request_session
from app.form_handling import go_to, is_htmx, varies
from app.models import Referral, SectionAnswers
from app.request_model import PortalRoute, posted_form
from app.routes.referrals import editable_referral_or_404, owned_referral_or_404
from app.security.sessions import (
    PARKED_FORM,
    now_for,
    require_user,
    seconds_until_idle_timeout,
    signed_in_user,
)
from app.services import answers as answer_store
from app.services.addresses import Address, AddressLookupUnavailable, provider_for
from app.services.documents import documents_of
from app.services.parked_forms import take_parked_form
from app.templating import UK_TIME, render, uk_time

SAVED_FLASH = "answers_saved"


def assessment_of(request: Request) -> Assessment:
    """The declared form (the app's; tests may give the app another)."""
    assessment: Assessment = request.state.assessment
    return assessment


def today_for(request: Request) -> date:
    return now_for(request).astimezone(UK_TIME).date()


def section_url(referral: Referral, section: Section) -> str:
    return f"/referrals/{referral.reference}/sections/{section.id}"


def account_details(request: Request) -> dict[str, str]:
    user = signed_in_user(request)
    return {"full_name": user.full_name, "email": user.email}


def load(
    request: Request, *, editable: bool = True
) -> tuple[Referral, dict[str, SectionAnswers], dict[str, dict[str, Any]]]:
    """The referral, its stored sections, and its answers as stored (hidden ones included).
    Pages that change it (`editable`) need a draft: a sent referral answers `referral_sent`."""
    referral = editable_referral_or_404(request) if editable else owned_referral_or_404(request)
    rows = answer_store.stored_sections(request_session(request), referral)
    return referral, rows, answer_store.answers_by_section(rows)


def counted(request: Request, answers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The answers that count for visibility and validation (hidden ones left out)."""
    return engine.effective_answers(assessment_of(request), answers)


def visible_section_or_404(request: Request, answers: dict[str, dict[str, Any]]) -> Section:
    section_id = request.path_params["section_id"]
    for section in engine.visible_sections(assessment_of(request), answers):
        if section.id == section_id:
            return section
    raise HTTPException(404)


@require_user
def task_list(request: Request) -> Response:
    referral, rows, answers = load(request)
    today = today_for(request)
    tasks = [
        {
            "section": section,
            "status": engine.section_status(
                section,
                counted(request, answers),
                rows[section.id].status if section.id in rows else None,
                today=today,
            ),
        }
        for section in engine.visible_sections(assessment_of(request), answers)
    ]
    completed = sum(task["status"] == engine.COMPLETED for task in tasks)
    return render(
        request,
        "pages/referrals/overview.html",
        {
            "referral": referral,
            "tasks": tasks,
            "completed_count": completed,
            "ready": completed == len(tasks),
            "document_count": len(documents_of(request_session(request), referral)),
            "saved": request.session.pop(SAVED_FLASH, False),
        },
    )


def section_context(
    request: Request,
    referral: Referral,
    section: Section,
    answers: dict[str, dict[str, Any]],
    version: int,
    problems: list[Problem] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    problems = problems or []
    visible = {q.id for q in engine.visible_questions(section, counted(request, answers))}
    if extra.get("table_problem"):
        problems = [extra["table_problem"], *problems]
    errors = {p.field_id: p.message for p in problems}
    if extra.get("lookup_error"):
        errors = {extra["lookup_field"]: extra["lookup_message"], **errors}
    return {
        "referral": referral,
        "section": section,
        "section_url": section_url(referral, section),
        "answers": answers.get(section.id, {}),
        "version": version,
        "top_level": [q for q in engine.top_level_questions(section) if q.id in visible],
        "nested": engine.nested_under(section),
        # Every table's items, whether or not the table is shown now (its reveal may open).
        "tables": {
            q.id: engine.item_views(section, q, answers)
            for q in section.questions
            if q.type == "table"
        },
        "problems": {p.question_id: p for p in problems},
        "errors": errors,
        "account": account_details(request),
        "navigation": engine.visible_sections(assessment_of(request), answers),
        "return_to_check": request.query_params.get("return") == "check",
        **extra,
    }


def next_location(
    request: Request,
    referral: Referral,
    section: Section,
    answers: dict[str, dict[str, Any]],
    form: FormData,
) -> str:
    if form.get("return") == "check":
        return f"/referrals/{referral.reference}/check-answers"
    sections = engine.visible_sections(assessment_of(request), answers)
    position = [s.id for s in sections].index(section.id)
    if position + 1 < len(sections):
        return section_url(referral, sections[position + 1])
    # After the last section: Upload Documents (5.10), then check answers and send (5.11).
    return f"/referrals/{referral.reference}/documents"


class KeptFields:
    """A parked form's fields, read the way a posted form is."""

    def __init__(self, fields: list[list[str]]) -> None:
        self.fields = fields

    def get(self, key: str, /) -> str | None:
        return next((value for name, value in self.fields if name == key), None)

    def getlist(self, key: str) -> list[str]:
        return [value for name, value in self.fields if name == key]


def take_back_parked_form(request: Request) -> KeptFields | None:
    token = request.session.pop(PARKED_FORM, None)
    if not isinstance(token, str):
        return None
    db = request_session(request)
    fields = take_parked_form(
        db, token, user_id=signed_in_user(request).id, path=request.url.path, now=now_for(request)
    )
    db.commit()
    return KeptFields(fields) if fields is not None else None


def posted_page(form: FormData) -> answer_store.PageStamp | None:
    """The page stamp static/js/enhancements.js adds to every save from a section page."""
    token, seq = form.get("page_token"), form.get("page_seq")
    if not isinstance(token, str) or not re.fullmatch(r"[0-9a-f]{32}", token):
        return None
    if not isinstance(seq, str) or not re.fullmatch(r"[0-9]{1,9}", seq):
        return None
    return answer_store.PageStamp(token, int(seq))


def posted_version(form: FormData | KeptFields) -> int:
    value = form.get("version")
    value = "0" if value is None else value
    # A version that is not a number cannot match: treated as a stale page, never a crash.
    return int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value) else -1


def with_session_time(request: Request, response: Response) -> Response:
    """Tell the timeout warning how long this session now has (a save is activity)."""
    response.headers["X-Session-Seconds-Left"] = str(seconds_until_idle_timeout(request))
    return response


@require_user
def section_page(request: Request) -> Response:
    referral, rows, answers = load(request)
    section = visible_section_or_404(request, answers)
    template = "pages/referrals/section.html"
    if request.method == "GET":
        version = rows[section.id].version if section.id in rows else 0
        parked = take_back_parked_form(request)
        if parked is not None:
            # Answers sent after the session had ended: shown again, not yet saved.
            answers = {**answers, section.id: engine.answers_from_form(section, parked)}
            version = posted_version(parked)
        context = section_context(
            request, referral, section, answers, version, parked=parked is not None
        )
        return render(request, template, context)

    form = posted_form(request)
    submitted = engine.answers_from_form(section, form)
    action = str(form.get("action") or "next")
    version = posted_version(form)
    answers = {**answers, section.id: submitted}
    db = request_session(request)
    today = today_for(request)
    now = now_for(request)
    address_extra: dict[str, Any] = {}
    verb = action.partition(":")[0]
    if verb in ADDRESS_ACTIONS:
        submitted, address_extra = apply_address_action(
            request, section, submitted, action, form, answers
        )
        answers[section.id] = submitted
    elif verb in ITEM_ACTIONS:
        submitted, address_extra = apply_item_action(section, submitted, action)
        answers[section.id] = submitted

    problems: list[Problem] = []
    full_check = engine.section_problems(
        section, counted(request, answers), today=today, check_required=True
    )
    if action == "next":
        problems = full_check
        completed = not problems
        if completed:
            submitted = engine.normalised_answers(section, submitted, today=today)
            answers[section.id] = submitted
    else:
        # Saving for later (or an address step) keeps a completed section completed while
        # it still has no problems.
        previous = rows[section.id].status if section.id in rows else None
        completed = previous == engine.COMPLETED and not full_check
    status = answer_store.status_after_save(section, answers, completed=completed)
    try:
        version = answer_store.save_section(
            db,
            referral,
            section,
            submitted,
            expected_version=version,
            status=status,
            now=now,
            page=posted_page(form),
        )
    except answer_store.StaleAnswers as stale:
        db.rollback()
        context = section_context(
            request,
            referral,
            section,
            answers,
            max(stale.current_version, 0),
            problems,
            conflict=True,
            **address_extra,
        )
        response = render(request, template, context, status_code=409)
        if is_htmx(request):
            # Whoever asked (an address button too), show the whole form with the banner.
            response.headers.update(
                {
                    "HX-Retarget": "#section-form",
                    "HX-Reselect": "#section-form",
                    "HX-Reswap": "outerHTML",
                }
            )
        return varies(response)
    db.commit()

    if action == "next" and completed:
        return go_to(request, next_location(request, referral, section, answers, form))
    if action == "save":
        request.session[SAVED_FLASH] = True
        return go_to(request, f"/referrals/{referral.reference}")
    context = section_context(
        request, referral, section, answers, version, problems, **address_extra
    )
    lookup_failed = bool(address_extra.get("lookup_error"))
    at_limit = bool(address_extra.get("table_problem"))
    if is_htmx(request) and verb in ITEM_ACTIONS:
        return varies(item_response(request, context, section, action))
    if is_htmx(request) and verb in ADDRESS_ACTIONS:
        return varies(
            render(
                request,
                "partials/address_lookup.html",
                address_partial_context(context, section, action),
                status_code=422 if lookup_failed else 200,
            )
        )
    status_code = 422 if problems or lookup_failed or at_limit else 200
    return varies(render(request, template, context, status_code=status_code))


@require_user
def autosave(request: Request) -> Response:
    """htmx: save the section as it stands, without required checks; answer in the live region."""
    referral, rows, answers = load(request)
    section = visible_section_or_404(request, answers)
    form = posted_form(request)
    submitted = engine.answers_from_form(section, form)
    version = posted_version(form)
    page = posted_page(form)
    sections_before = engine.visible_sections(assessment_of(request), answers)
    answers = {**answers, section.id: submitted}
    sections_after = engine.visible_sections(assessment_of(request), answers)
    today = today_for(request)
    previous = rows[section.id].status if section.id in rows else None
    still_complete = previous == engine.COMPLETED and not engine.section_problems(
        section, counted(request, answers), today=today, check_required=True
    )
    status = answer_store.status_after_save(section, answers, completed=still_complete)
    db = request_session(request)
    try:
        new_version = answer_store.save_section(
            db,
            referral,
            section,
            submitted,
            expected_version=version,
            status=status,
            now=now_for(request),
            page=page,
        )
    except answer_store.StaleAnswers:
        db.rollback()
        response = render(
            request,
            "partials/save_status.html",
            {
                "save_failed": True,
                "save_message": (
                    "Not saved: this section was changed in another tab or window. Your answer "
                    "is still on this page. Reload the page to see the latest answers."
                ),
            },
            status_code=409,
        )
    else:
        db.commit()
        message = f"Saved at {uk_time(now_for(request))}."
        message += sections_changed(sections_before, sections_after)
        response = render(
            request,
            "partials/save_status.html",
            {
                "save_message": message,
                "new_version": new_version,
                # Request for Support decides which sections there are: show the new list.
                "oob_navigation": sections_before != sections_after,
                "navigation": sections_after,
                "referral": referral,
                "section": section,
            },
        )
    return varies(with_session_time(request, response))


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


# Address lookup ----------------------------------------------------------------------------

ADDRESS_ACTIONS = {
    "find-address",
    "enter-address",
    "choose-address",
    "lookup-address",
    "same-address",
}


def address_question(section: Section, question_id: str) -> Question:
    question = engine.find_question(section, question_id)
    if question is None or question.type != "address":
        raise HTTPException(404)
    return question


def find_addresses(request: Request, house: str, postcode: str) -> list[Address]:
    provider = provider_for(request.state.settings)
    return provider.find(request_session(request), house, postcode)


def apply_address_action(
    request: Request,
    section: Section,
    submitted: dict[str, Any],
    action: str,
    form: FormData,
    answers: dict[str, dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Find, choose, copy or switch to manual entry: (the section's answers, what the page
    shows). `answers` are every section's, for copying another address."""
    verb, _, question_id = action.partition(":")
    question = address_question(section, question_id)
    stored = engine.get_answer(section, submitted, question.id)
    value = dict(stored) if isinstance(stored, dict) else {}
    extra: dict[str, Any] = {"address_results": [], "lookup_message": None, "lookup_error": False}
    if verb == "same-address":
        if question.same_as is None:
            raise HTTPException(404)
        source_section, source_id = question.same_as
        source = answers.get(source_section, {}).get(source_id)
        if isinstance(source, dict) and source.get("line1"):
            value = {part: source.get(part, "") for part in (*engine.ADDRESS_FIELDS, "uprn")}
            value["mode"] = "manual"
        else:
            extra["lookup_message"] = "The child's address has not been entered yet."
    elif verb == "enter-address":
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
    elif verb in {"find-address", "choose-address"}:
        value["mode"] = "lookup"
        postcode = normalise_postcode(value.get("lookup_postcode", ""))
        if postcode is None:
            extra.update(
                lookup_error=True,
                lookup_message="Enter a real UK postcode, like UB8 1UW",
                lookup_field=f"{question.id}-lookup_postcode",
            )
        else:
            try:
                found = find_addresses(request, value.get("house", ""), postcode)
            except AddressLookupUnavailable:
                found = []
                extra["lookup_message"] = "Address search is not working at the moment."
            if verb == "choose-address":
                chosen = next((a for a in found if a.uprn == form.get(f"{question.id}-uprn")), None)
                if chosen is None and found:
                    extra.update(
                        lookup_error=True,
                        lookup_message="Select an address",
                        lookup_field=f"{question.id}-uprn-1",
                    )
                if chosen is not None:
                    value = {
                        "mode": "manual",
                        "line1": chosen.line1,
                        "line2": chosen.line2,
                        "town": chosen.town,
                        "postcode": chosen.postcode,
                        "uprn": chosen.uprn,
                    }
                    found = []
            extra["address_results"] = found
            if not found and value.get("mode") == "lookup" and not extra["lookup_message"]:
                extra["lookup_message"] = f"No addresses found for {postcode}."
    return engine.with_answer(section, submitted, question.id, value), extra


def address_partial_context(
    context: dict[str, Any], section: Section, action: str
) -> dict[str, Any]:
    question = address_question(section, action.partition(":")[2])
    problem = context["problems"].get(question.id)
    label = question.label + ("" if question.required else " (optional)")
    return {
        **context,
        "question": question,
        "answer": engine.get_answer(section, context["answers"], question.id),
        "problem": problem,
        "label_text": label,
        "oob_version": context["version"],
    }


@require_user
def address_lookup(request: Request) -> Response:
    """htmx: Find Address / Enter Address / Use this address, answering with the address block.
    (Without JavaScript the same buttons post the whole section instead.) The question in the
    path is the one the button acts on."""
    form = posted_form(request)
    action = form.get("action")
    verb, _, question_id = str(action or "").partition(":")
    if verb not in ADDRESS_ACTIONS or question_id != request.path_params["question_id"]:
        raise HTTPException(404)
    return section_page(request)


# Tables: add and remove items ---------------------------------------------------------------

ITEM_ACTIONS = {"add-item", "remove-item", "confirm-remove", "keep-item"}


def table_question(section: Section, question_id: str) -> Question:
    question = engine.find_question(section, question_id)
    if question is None or question.type != "table":
        raise HTTPException(404)
    return question


def apply_item_action(
    section: Section, submitted: dict[str, Any], action: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add an item, ask to remove one, remove it or keep it: (the section's answers, what the
    page shows). Removing takes two steps: "Remove", then "Yes, remove"."""
    verb, _, rest = action.partition(":")
    table_id, _, key = rest.partition(":")
    table = table_question(section, table_id)
    items = engine.table_items(submitted.get(table.id))
    extra: dict[str, Any] = {"table_id": table.id}
    if verb == "add-item":
        if len(items) >= table.max_items:
            noun = table.item_label.lower()
            message = table.limit_hint or f"You can add up to {table.max_items} ({noun})"
            extra["table_problem"] = Problem(table.id, engine.field_id(table), message)
        else:
            key = engine.new_item_key()
            items = [*items, {"key": key}]
            extra["focus_item"] = f"{table.id}-{key}"
        extra["item_key"] = key
        return {**submitted, table.id: items}, extra
    numbered = list(enumerate(items, 1))
    found = next(((n, item) for n, item in numbered if item["key"] == key), None)
    if found is None:
        # Removed already (another tab, or a second click): show the table as it is.
        extra["table_notice"] = {"table": table.id, "text": "That entry has already been removed."}
        return submitted, extra
    number, item = found
    extra["item_key"] = key
    if verb == "remove-item":
        extra["confirm_remove"] = f"{table.id}-{key}"
    elif verb == "keep-item":
        extra["focus_item"] = f"{table.id}-{key}"
    else:  # confirm-remove
        items = [other for other in items if other["key"] != key]
        name = engine.item_name(table, item)
        removed = f"{table.item_label} {number}" + (f" ({name})" if name else "")
        extra["table_notice"] = {"table": table.id, "text": f"{removed} has been removed."}
    return {**submitted, table.id: items}, extra


def item_response(
    request: Request, context: dict[str, Any], section: Section, action: str
) -> Response:
    """htmx: just what changed. Adding answers with the new column (appended to the others)
    and the controls under them; asking to remove or keeping answers with that column;
    removing, reaching the limit, or a column already gone answer with the whole table."""
    verb = action.partition(":")[0]
    table = table_question(section, context["table_id"])
    views = {view.key: view for view in context["tables"][table.id]}
    item = views.get(context.get("item_key") or "")
    fragment = "table"
    if item is not None and verb == "add-item" and not context.get("table_problem"):
        fragment = "added"
    elif item is not None and verb in {"remove-item", "keep-item"}:
        fragment = "item"
    response = render(
        request,
        "partials/table_response.html",
        {**context, "fragment": fragment, "question": table, "item": item},
        status_code=422 if context.get("table_problem") else 200,
    )
    if fragment == "table" and verb != "confirm-remove":
        response.headers.update({"HX-Retarget": f"#{table.id}-table", "HX-Reswap": "outerHTML"})
    return response


# Check your answers --------------------------------------------------------------------------


routes = [
    PortalRoute("/referrals/{reference}", task_list, name="referral"),
    PortalRoute(
        "/referrals/{reference}/sections/{section_id}",
        section_page,
        methods=["GET", "POST"],
        name="section",
    ),
    PortalRoute(
        "/referrals/{reference}/sections/{section_id}/autosave",
        autosave,
        methods=["POST"],
        name="autosave",
    ),
    PortalRoute(
        "/referrals/{reference}/sections/{section_id}/address/{question_id}",
        address_lookup,
        methods=["POST"],
        name="address_lookup",
    ),
]
