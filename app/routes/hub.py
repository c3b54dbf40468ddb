"""Hub staff's pages (help guide 6): the referrals inbox, one referral with its timeline, and
the actions on it (status, urgency, allocation, messages, internal notes). Only users with the
hub role get anything here: everyone else gets 404, as if the pages did not exist. Hub staff
see sent referrals only, never drafts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.assessment.reference import REFERRAL_OPTIONS
from app.db import request_session
from app.form_handling import go_to, is_htmx, read_form, varies
from app.models import Referral, User
from app.plain_text import clean_text, visible_text
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.documents import document_download, referral_document_or_404
from app.routes.pdf import pdf_response
from app.routes.summary import referral_summary
from app.security.sessions import now_for, require_user, signed_in_user
from app.services import child_matches, decision_due, hub
from app.services import documents as store
from app.settings import Settings
from app.templating import render

Endpoint = Callable[[Request], Response]
NOTICE = "hub_notice"
# The inbox's allocation filter, besides a person's id; and what the allocation form posts.
MINE, UNALLOCATED = "mine", "unallocated"
TO_ME, TO_NOBODY = "me", "nobody"


def require_hub(endpoint: Endpoint) -> Endpoint:
    """Signed in (or off to sign in), and hub staff; 404 for everyone else."""

    @require_user
    @wraps(endpoint)
    def guarded(request: Request) -> Response:
        if not hub.is_hub(signed_in_user(request)):
            raise HTTPException(404)
        return endpoint(request)

    return guarded


def require_hub_manager(endpoint: Endpoint) -> Endpoint:
    """As `require_hub` for everyone but hub staff who are not managers of the hub: they are
    told the page is for managers (403), since they know the hub's pages exist. (The 403 page
    of ERROR_TEMPLATES is about a refused form.)"""

    @require_hub
    @wraps(endpoint)
    def guarded(request: Request) -> Response:
        if not hub.is_hub_manager(signed_in_user(request)):
            return render(request, "pages/errors/managers_only.html", status_code=403)
        return endpoint(request)

    return guarded


def sent_referral_or_404(request: Request) -> Referral:
    referral = hub.sent_referral(request_session(request), request.path_params["reference"])
    if referral is None:
        raise HTTPException(404)
    return referral


def referral_url(referral: Referral) -> str:
    return f"/hub/referrals/{referral.reference}"


def number(value: str | None, default: int = 1) -> int:
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    return int(value) if value and re.fullmatch(r"[0-9]{1,6}", value) else default


def inbox_filters(params: Mapping[str, str], staff: Sequence[User]) -> dict[str, str]:
    """The inbox's search, filters and order from a query string (nonsense ignored): the
    page's, and its CSV's (app/routes/hub_exports.py). `staff`: whom it can be allocated to."""
    allocated = params.get("allocated", "")
    if allocated not in {MINE, UNALLOCATED, *(str(user.id) for user in staff)}:
        allocated = ""
    return {
        "status": params.get("status", "") if params.get("status") in hub.STATUSES else "",
        "type": params.get("type", "") if params.get("type") in REFERRAL_OPTIONS else "",
        "urgency": (
            params.get("urgency", "") if params.get("urgency") in {*hub.URGENCIES, "none"} else ""
        ),
        "q": clean_text(params.get("q", ""))[:100].strip(),
        "allocated": allocated,
        "due": hub.OVERDUE if params.get("due") == hub.OVERDUE else "",
        "sort": params.get("sort", "") if params.get("sort") in hub.SORTS else "",
    }


def inbox_query(request: Request, filters: dict[str, str]) -> dict[str, Any]:
    """`hub.inbox`'s arguments for these filters, as the signed-in member of staff sees them."""
    allocated = filters["allocated"]
    settings: Settings = request.state.settings
    return {
        "status": filters["status"],
        "referral_option": filters["type"],
        "urgency": filters["urgency"],
        "query": filters["q"],
        "allocated_to": (
            signed_in_user(request).id
            if allocated == MINE
            else int(allocated)
            if allocated.isdigit()
            else None
        ),
        "unallocated": allocated == UNALLOCATED,
        "due": filters["due"],
        "sort": filters["sort"],
        "now": now_for(request),
        "working_days": settings.hub_decision_working_days,
    }


@require_hub
def inbox(request: Request) -> Response:
    """Newest first (or by due date); filter by status, type, urgency, overdue and whom it is
    allocated to (Mine, Unallocated or a person); search by reference, child's name or NHS
    number. With htmx the search and filters answer with the results only. A filter or order
    that is not one of ours is ignored."""
    params = request.query_params
    db = request_session(request)
    staff = hub.allocation_holders(db)
    filters = inbox_filters(params, staff)
    page = hub.inbox(db, **inbox_query(request, filters), page=number(params.get("page")))
    context = {
        "page": page,
        "filters": filters,
        "statuses": hub.STATUSES,
        "urgencies": hub.URGENCIES,
        "hub_staff": staff,
        "staff_names": hub.staff_names(staff),
        "referral_options": REFERRAL_OPTIONS,
        "sorts": hub.SORTS,
        "query_for": lambda **change: query_string({**filters, **change}),
    }
    if is_htmx(request):
        context["oob_count"] = True
        return varies(render(request, "partials/hub_inbox_results.html", context))
    return varies(render(request, "pages/hub/inbox.html", context))


def query_string(values: dict[str, Any]) -> str:
    return urlencode({key: value for key, value in values.items() if value not in ("", None)})


def view_context(request: Request, referral: Referral, **extra: Any) -> dict[str, Any]:
    db = request_session(request)
    referrer = db.get(User, referral.owner_id)
    assert referrer is not None
    entries = hub.timeline(db, referral, for_role=hub.HUB)
    staff = hub.hub_staff(db)
    return {
        **referral_summary(request, referral, referrer),
        # Those sent later with a reply too: hub staff can remove any attached in error.
        "documents": store.documents_of(db, referral),
        "attachments": store.documents_by_message(db, referral),
        "referrer": referrer,
        "timeline": entries,
        "authors": hub.authors_of(db, entries),
        "viewers": hub.viewers(db, referral),
        "me": signed_in_user(request),
        "hub_staff": staff,
        "staff_names": hub.staff_names(staff),
        "allocated_to": (
            db.get(User, referral.allocated_to_id) if referral.allocated_to_id else None
        ),
        "allocated_before": hub.allocated_before(entries),
        "note_max": hub.NOTE_MAX,
        "other_referrals": child_matches.other_referrals(db, referral),
        "estimated_dob_tolerance": child_matches.ESTIMATED_DOB_TOLERANCE_TEXT,
        "outcomes": hub.OUTCOMES,
        "working_days": request.state.settings.hub_decision_working_days,
        "decision": decision_due.first_decision(
            referral, request.state.settings.hub_decision_working_days, now=now_for(request)
        ),
        "statuses": hub.STATUSES,
        "urgencies": hub.URGENCIES,
        "referral_option": REFERRAL_OPTIONS.get(referral.referral_option),
        "errors": {},
        "values": {},
        "notice": request.session.pop(NOTICE, None),
        **extra,
    }


@require_hub
def referral_view(request: Request) -> Response:
    """Every visible answer (as on check answers), documents, timeline, who has viewed it, and
    the actions. Opening it is audited and marks the referrer's replies read."""
    referral = sent_referral_or_404(request)
    db = request_session(request)
    hub.record_view(db, referral, signed_in_user(request), origin_of(request), now=now_for(request))
    db.commit()
    return render(request, "pages/hub/referral.html", view_context(request, referral))


def read_fields(request: Request, *names: str) -> dict[str, str]:
    """The named fields of the posted form, cleaned and trimmed ("" when absent)."""
    posted = read_form(request)
    return {name: visible_text(posted.get(name, "")).strip() for name in names}


def refused(
    request: Request, referral: Referral, errors: dict[str, str], values: dict[str, str]
) -> Response:
    context = view_context(request, referral, errors=errors, values=values)
    return render(request, "pages/hub/referral.html", context, status_code=422)


def done(request: Request, referral: Referral, notice: str) -> Response:
    """After an action (committed): any email it queued goes now; back to the referral."""
    request.session[NOTICE] = notice
    return go_to(request, referral_url(referral))


@require_hub
def change_status(request: Request) -> Response:
    referral = sent_referral_or_404(request)
    values = read_fields(request, "status", "status_message")
    errors = {}
    if values["status"] not in hub.STATUSES:
        errors["status"] = "Select a status"
    problem = hub.message_problem(values["status_message"], missing="", name="The message")
    if problem:
        errors["status_message"] = problem
    if errors:
        return refused(request, referral, errors, values)
    db = request_session(request)
    hub.set_status(
        db,
        request.state.settings,
        referral,
        signed_in_user(request),
        values["status"],
        values["status_message"],
        now=now_for(request),
        origin=origin_of(request),
    )
    db.commit()
    return done(request, referral, f"Status changed to {hub.STATUSES[values['status']]}")


@require_hub
def change_urgency(request: Request) -> Response:
    referral = sent_referral_or_404(request)
    values = read_fields(request, "urgency")
    if values["urgency"] not in hub.URGENCIES:
        return refused(request, referral, {"urgency": "Select the urgency"}, values)
    db = request_session(request)
    hub.set_urgency(
        db,
        referral,
        signed_in_user(request),
        values["urgency"],
        now=now_for(request),
        origin=origin_of(request),
    )
    db.commit()
    return done(request, referral, f"Urgency set to {hub.URGENCIES[values['urgency']]}")


@require_hub
def allocate(request: Request) -> Response:
    """Assign to me, to a colleague (a member of hub staff), or to nobody."""
    referral = sent_referral_or_404(request)
    values = read_fields(request, "allocate_to")
    choice = values["allocate_to"]
    db = request_session(request)
    me = signed_in_user(request)
    to: User | None = me if choice == TO_ME else None
    if choice not in (TO_ME, TO_NOBODY):
        staff = {str(user.id): user for user in hub.hub_staff(db)}
        if choice not in staff:
            problem = "Select a member of hub staff" if choice else "Select who to allocate it to"
            return refused(request, referral, {"allocate_to": problem}, values)
        to = staff[choice]
    try:
        changed = hub.allocate(
            db, referral, me, to, now=now_for(request), origin=origin_of(request)
        )
    except hub.AllocationChanged:
        db.rollback()
        notice = "Someone else changed who it is allocated to a moment ago: check it below"
        return done(request, referral, notice)
    db.commit()
    if to is None:
        return done(request, referral, "Unallocated" if changed else "It was already unallocated")
    whom = "you" if to.id == me.id else to.full_name
    return done(
        request, referral, f"{'Allocated' if changed else 'It was already allocated'} to {whom}"
    )


@require_hub
def add_note(request: Request) -> Response:
    """An internal note: hub staff only, never the referrer, never emailed."""
    referral = sent_referral_or_404(request)
    values = read_fields(request, "note")
    problem = hub.note_problem(values["note"])
    if problem:
        return refused(request, referral, {"note": problem}, values)
    db = request_session(request)
    hub.add_note(
        db,
        referral,
        signed_in_user(request),
        values["note"],
        now=now_for(request),
        origin=origin_of(request),
    )
    db.commit()
    return done(request, referral, "Note added")


@require_hub
def send_message(request: Request) -> Response:
    referral = sent_referral_or_404(request)
    values = read_fields(request, "message")
    message = values["message"]
    problem = hub.message_problem(message, missing="Enter a message", name="The message")
    if problem:
        return refused(request, referral, {"message": problem}, values)
    db = request_session(request)
    hub.send_message(
        db,
        request.state.settings,
        referral,
        signed_in_user(request),
        message,
        role=hub.HUB,
        now=now_for(request),
        origin=origin_of(request),
    )
    db.commit()
    return done(request, referral, "Message sent to the referrer")


@require_hub
def download(request: Request) -> Response:
    referral = sent_referral_or_404(request)
    return document_download(request, referral, referral_document_or_404(request, referral))


@require_hub
def remove_document(request: Request) -> Response:
    """GET: why is it being removed? POST: its content is destroyed; the record stays."""
    referral = sent_referral_or_404(request)
    document = referral_document_or_404(request, referral)
    context: dict[str, Any] = {
        "referral": referral,
        "document": document,
        "human_size": store.human_size,
        "errors": {},
        "reason": "",
    }
    if request.method == "GET":
        return render(request, "pages/hub/remove_document.html", context)
    reason = (read_fields(request, "reason"))["reason"]
    error = None
    if not reason:
        error = "Enter why the document is being removed"
    elif len(reason) > hub.REASON_MAX:
        error = f"The reason must be {hub.REASON_MAX:,} characters or fewer"
    if error:
        context.update(errors={"reason": error}, reason=reason)
        return render(request, "pages/hub/remove_document.html", context, status_code=422)
    settings: Settings = request.state.settings
    db = request_session(request)
    try:
        hub.remove_document(
            db,
            referral,
            document,
            signed_in_user(request),
            reason,
            now=now_for(request),
            origin=origin_of(request),
        )
    except hub.AlreadyRemoved:
        db.rollback()
        return done(request, referral, f"{document.filename} had already been removed")
    db.commit()
    store.forget_file(settings, document)
    return done(request, referral, f"{document.filename} has been removed")


@require_hub
def referral_pdf(request: Request) -> Response:
    referral = sent_referral_or_404(request)
    db = request_session(request)
    referrer = db.get(User, referral.owner_id)
    assert referrer is not None
    entries = hub.timeline(db, referral, for_role=hub.HUB)
    return pdf_response(
        request,
        referral,
        referrer,
        back=f"/hub/referrals/{referral.reference}",
        timeline=[entry for entry in entries if entry.kind != hub.NOTE],
        notes=[entry for entry in entries if entry.kind == hub.NOTE],
    )


routes = [
    PortalRoute("/hub/referrals", inbox, name="hub_inbox"),
    PortalRoute("/hub/referrals/{reference}", referral_view, name="hub_referral"),
    PortalRoute("/hub/referrals/{reference}/status", change_status, methods=["POST"]),
    PortalRoute("/hub/referrals/{reference}/urgency", change_urgency, methods=["POST"]),
    PortalRoute("/hub/referrals/{reference}/allocation", allocate, methods=["POST"]),
    PortalRoute("/hub/referrals/{reference}/messages", send_message, methods=["POST"]),
    PortalRoute("/hub/referrals/{reference}/notes", add_note, methods=["POST"]),
    PortalRoute("/hub/referrals/{reference}/pdf", referral_pdf, name="hub_pdf", heavy=["GET"]),
    PortalRoute("/hub/referrals/{reference}/documents/{key}", download, name="hub_document"),
    PortalRoute(
        "/hub/referrals/{reference}/documents/{key}/remove",
        remove_document,
        methods=["GET", "POST"],
        name="hub_remove_document",
    ),
]
