"""The user menu's "Recover a form" (help guide 10) and "Submitted Forms" pages, and deleting
a draft."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from app.db import request_session
from app.form_handling import go_to, redirect
from app.models import Referral, SectionAnswers
from app.plain_text import visible_text
from app.request_log import origin_of
from app.request_model import FormLimits, PortalRoute, posted_form
from app.routes.documents import (
    MAX_FILES_AT_ONCE,
    TOO_MANY_FILES,
    UploadRefused,
    files_from,
    form_problem,
    keep_uploads,
    size_refusal,
)
from app.routes.referrals import editable_referral_or_404, owned_referral_or_404
from app.routes.summary import referral_summary
from app.security.sessions import current_user, now_for, require_user, signed_in_user
from app.services import documents as store
from app.services import hub, referrals
from app.services.referrals import DRAFT, SUBMITTED
from app.services.retention import deletion_date, visible_until
from app.settings import Settings
from app.templating import render

DELETED_FLASH = "draft_deleted"
REPLIED_FLASH = "reply_sent"
NOT_SENT = (
    "Your reply has not been sent. Choose the files again, leaving out any named here, then "
    "select Send reply"
)
# Files a reply's form may hold before it cannot be read at all: more than MAX_FILES_AT_ONCE are
# refused with the words kept, as long as the form can still be read.
REPLY_FILES_READ = 5 * MAX_FILES_AT_ONCE


def last_saved_sections(request: Request, drafts: list[Referral]) -> dict[int, str]:
    """Where each draft was left: the section its owner saved last. Sections filled in when
    the draft was made (the child's name, services ticked by the tile) do not count; a tie
    goes to the section later in the form."""
    if not drafts:
        return {}
    created = {draft.id: draft.created_at for draft in drafts}
    order = {section.id: n for n, section in enumerate(request.state.assessment.sections)}
    rows = request_session(request).execute(
        select(
            SectionAnswers.referral_id, SectionAnswers.section_id, SectionAnswers.updated_at
        ).where(SectionAnswers.referral_id.in_(created))
    )
    best: dict[int, tuple[datetime, int, str]] = {}
    for referral_id, section_id, saved_at in rows:
        if saved_at <= created[referral_id]:
            continue
        candidate = (saved_at, order.get(section_id, -1), section_id)
        if referral_id not in best or candidate > best[referral_id]:
            best[referral_id] = candidate
    return {referral_id: entry[2] for referral_id, entry in best.items()}


@require_user
def recover_a_form(request: Request) -> Response:
    """The user's drafts, newest first: child, reference, started, last saved, when it will be
    deleted, and where to carry on (the section saved last)."""
    db = request_session(request)
    settings: Settings = request.state.settings
    user = signed_in_user(request)
    drafts = list(
        db.scalars(
            select(Referral)
            .where(Referral.owner_id == user.id, Referral.status == DRAFT)
            .order_by(Referral.updated_at.desc(), Referral.id.desc())
        )
    )
    last_section = last_saved_sections(request, drafts)
    visible_sections = {section.id for section in request.state.assessment.sections}
    return render(
        request,
        "pages/forms/recover.html",
        {
            "drafts": [
                {
                    "referral": draft,
                    "deleted_on": deletion_date(draft, settings),
                    "continue_url": (
                        f"/referrals/{draft.reference}/sections/{last_section[draft.id]}"
                        if last_section.get(draft.id) in visible_sections
                        else f"/referrals/{draft.reference}"
                    ),
                }
                for draft in drafts
            ],
            "retention_days": settings.draft_retention_days,
            "deleted": request.session.pop(DELETED_FLASH, None),
        },
    )


@require_user
def delete_draft(request: Request) -> Response:
    """GET: are you sure? POST: the draft, its answers and its documents are deleted now.
    Asked from the form itself (`?from=form`: the banner on a form started before signing in),
    "No, keep it" goes back to the form rather than to Recover a form."""
    referral = editable_referral_or_404(request)
    if request.method == "GET":
        back_url, back_text = (
            (f"/referrals/{referral.reference}/how-it-works", "Back to the form")
            if request.query_params.get("from") == "form"
            else ("/recover", "Back to Recover a form")
        )
        return render(
            request,
            "pages/forms/delete_draft.html",
            {"referral": referral, "back_url": back_url, "back_text": back_text},
        )
    settings: Settings = request.state.settings
    db = request_session(request)
    owner = signed_in_user(request)
    documents = referrals.delete_draft(
        db, referral, owner, origin_of(request), now=now_for(request)
    )
    db.commit()
    for document in documents:
        store.forget_file(settings, document)
    request.session[DELETED_FLASH] = referral.reference
    return redirect("/recover")


@require_user
def submitted_forms(request: Request) -> Response:
    """The "View Submitted Forms" tab: forms the user sent in the last SUBMITTED_VISIBLE_DAYS,
    newest first."""
    settings: Settings = request.state.settings
    since = now_for(request) - timedelta(days=settings.submitted_visible_days)
    sent = list(
        request_session(request).scalars(
            select(Referral)
            .where(
                Referral.owner_id == signed_in_user(request).id,
                Referral.status == SUBMITTED,
                Referral.submitted_at > since,
            )
            .order_by(Referral.submitted_at.desc(), Referral.id.desc())
        )
    )
    unread = hub.unread_for_referrer(request_session(request), [r.id for r in sent])
    return render(
        request,
        "pages/forms/submitted.html",
        {
            "forms": [
                {
                    "referral": referral,
                    "visible_until": visible_until(referral, settings),
                    "unread": unread.get(referral.id, 0),
                }
                for referral in sent
            ],
            "visible_days": settings.submitted_visible_days,
            "statuses": hub.STATUSES,
        },
    )


class NotSentYet(Exception):
    def __init__(self, referral: Referral) -> None:
        super().__init__(referral.reference)
        self.referral = referral


def sent_referral_of_owner(request: Request) -> Referral:
    """The signed-in user's own sent referral in the path (a draft: NotSentYet)."""
    referral = owned_referral_or_404(request)
    if referral.status == DRAFT:
        raise NotSentYet(referral)
    return referral


def submitted_view_context(request: Request, referral: Referral, **extra: Any) -> dict[str, Any]:
    db = request_session(request)
    user = signed_in_user(request)
    entries = hub.timeline(db, referral, for_role=hub.REFERRER)
    settings: Settings = request.state.settings
    return {
        **referral_summary(request, referral, user),
        "timeline": entries,
        "attachments": store.documents_by_message(db, referral),
        "authors": hub.authors_of(db, entries),
        "statuses": hub.STATUSES,
        "urgencies": hub.URGENCIES,
        "accept": store.ACCEPT,
        "max_document_mb": settings.max_document_mb,
        "errors": {},
        # One message for each file refused (the field is "documents").
        "file_problems": [],
        "reply": "",
        "replied": request.session.pop(REPLIED_FLASH, False),
        **extra,
    }


@require_user
def submitted_view(request: Request) -> Response:
    """A sent form as its referrer sees it: status, messages with the hub and a reply box, the
    answers sent (read-only) and the documents. Opening it marks the hub's messages read. A
    draft has neither: its owner goes to its task list."""
    try:
        referral = sent_referral_of_owner(request)
    except NotSentYet as draft:
        return go_to(request, f"/referrals/{draft.referral.reference}")
    db = request_session(request)
    hub.mark_read(db, referral, reader_role=hub.REFERRER, now=now_for(request))
    db.commit()
    return render(
        request, "pages/forms/submitted_view.html", submitted_view_context(request, referral)
    )


def reply_refused(
    request: Request,
    referral: Referral,
    status: int,
    *,
    text: str = "",
    errors: dict[str, str] | None = None,
    file_problems: list[str] | None = None,
) -> Response:
    """The sent form's page again with what was wrong, and the reply as it was typed."""
    file_problems = file_problems or []
    errors = {**(errors or {}), **({"documents": file_problems[0]} if file_problems else {})}
    context = submitted_view_context(
        request, referral, errors=errors, file_problems=file_problems, reply=text
    )
    return render(request, "pages/forms/submitted_view.html", context, status_code=status)


def reply_allowed(request: Request) -> Response | None:
    """Before a reply's body is read (it may carry files): only the owner of a sent form may
    send one, and only one within the document limits (refused at once, with nothing read)."""
    if current_user(request) is None:
        return require_user(reply)(request)
    try:
        referral = sent_referral_of_owner(request)
    except NotSentYet as draft:
        return go_to(request, f"/referrals/{draft.referral.reference}")
    refusal = size_refusal(request)
    if refusal is None:
        return None
    status, message = refusal
    # The body was not read, so the reply's words could not be kept: say so.
    problem = f"{message}. Your reply was not sent: type it again and choose smaller files"
    return reply_refused(request, referral, status, file_problems=[problem])


@require_user
def reply(request: Request) -> Response:
    """The referrer's reply to the hub, with any documents the hub asked for. A reply and its
    files go together or not at all: if a file is refused, nothing is sent and the words
    typed are kept."""
    try:
        referral = sent_referral_of_owner(request)
    except NotSentYet as draft:
        return go_to(request, f"/referrals/{draft.referral.reference}")
    form = posted_form(request)
    value = form.get("reply")
    text = visible_text(value).strip() if isinstance(value, str) else ""
    problem = form_problem(request)
    if problem is not None:
        return reply_refused(request, referral, 400, text=text, file_problems=[problem])
    uploads = files_from(request, "documents")
    if len(uploads) > MAX_FILES_AT_ONCE:
        return reply_refused(request, referral, 400, text=text, file_problems=[TOO_MANY_FILES])
    missing = "" if uploads else "Enter your reply, or choose a document to send"
    error = hub.message_problem(text, missing=missing, name="Your reply")
    if error:
        return reply_refused(request, referral, 422, text=text, errors={"reply": error})
    settings: Settings = request.state.settings
    user = signed_in_user(request)
    now = now_for(request)

    def send(db: Session) -> int:
        if uploads:
            store.lock_referral(db, referral)
        entry = hub.send_message(
            db, settings, referral, user, text, role=hub.REFERRER, now=now,
            origin=origin_of(request),
        )  # fmt: skip
        return entry.id

    if not uploads:
        db = request_session(request)
        send(db)
        db.commit()
    else:
        try:
            _added, problems = keep_uploads(
                request, referral, uploads, prepare=send, all_or_nothing=True
            )
        except UploadRefused as refused:
            problems = [refused.message, NOT_SENT]
            response = reply_refused(
                request, referral, refused.status, text=text, file_problems=problems
            )
            response.headers["Retry-After"] = "60"
            return response
        if problems:
            return reply_refused(
                request, referral, 422, text=text, file_problems=[*problems, NOT_SENT]
            )
    request.session[REPLIED_FLASH] = True
    return redirect(f"/referrals/{referral.reference}/view#timeline")


routes = [
    PortalRoute("/recover", recover_a_form, name="recover"),
    PortalRoute(
        "/referrals/{reference}/delete", delete_draft, methods=["GET", "POST"], name="delete"
    ),
    PortalRoute("/submitted", submitted_forms, name="submitted"),
    PortalRoute("/referrals/{reference}/view", submitted_view, name="submitted_view"),
    PortalRoute(
        "/referrals/{reference}/messages",
        reply,
        methods=["POST"],
        name="reply",
        before_body=reply_allowed,
        form_limits=FormLimits(max_files=REPLY_FILES_READ, max_fields=20, max_part_size=64 * 1024),
    ),
]
