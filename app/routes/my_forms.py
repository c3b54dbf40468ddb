"""The user menu's "Recover a form" (help guide 10) and "Submitted Forms" pages, and deleting
a draft."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.db import request_session
from app.form_handling import redirect
from app.models import Document, Referral, SectionAnswers
from app.request_log import request_id_of
from app.routes.referrals import editable_referral_or_404
from app.security.sessions import now_for, require_user, signed_in_user
from app.services import documents as store
from app.services.audit import record_event
from app.services.referrals import DRAFT, SUBMITTED, lock_draft
from app.services.retention import deletion_date, visible_until
from app.settings import Settings
from app.templating import render

DELETED_FLASH = "draft_deleted"


@require_user
async def recover_a_form(request: Request) -> Response:
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
    last_section: dict[int, str] = {}
    if drafts:
        latest = (
            select(SectionAnswers.referral_id, func.max(SectionAnswers.updated_at).label("at"))
            .where(SectionAnswers.referral_id.in_([d.id for d in drafts]))
            .group_by(SectionAnswers.referral_id)
            .subquery()
        )
        rows = db.execute(
            select(SectionAnswers.referral_id, SectionAnswers.section_id).join(
                latest,
                (SectionAnswers.referral_id == latest.c.referral_id)
                & (SectionAnswers.updated_at == latest.c.at),
            )
        )
        last_section = {referral_id: section_id for referral_id, section_id in rows}
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
async def delete_draft(request: Request) -> Response:
    """GET: are you sure? POST: the draft, its answers and its documents are deleted now."""
    referral = editable_referral_or_404(request)
    if request.method == "GET":
        return render(request, "pages/forms/delete_draft.html", {"referral": referral})
    settings: Settings = request.state.settings
    db = request_session(request)
    now: datetime = now_for(request)
    lock_draft(db, referral, now=now)
    documents = list(db.scalars(select(Document).where(Document.referral_id == referral.id)))
    record_event(
        db,
        "referral.deleted",
        actor_user_id=signed_in_user(request).id,
        subject_type="referral",
        subject_id=referral.reference,
        request_id=request_id_of(request),
        details={"reason": "deleted-by-owner", "status": DRAFT, "documents": len(documents)},
    )
    db.execute(delete(Referral).where(Referral.id == referral.id))
    db.commit()
    for document in documents:
        store.forget_file(settings, document)
    request.session[DELETED_FLASH] = referral.reference
    return redirect("/recover")


@require_user
async def submitted_forms(request: Request) -> Response:
    """The "View Submitted Forms" tab: forms the user sent in the last SUBMITTED_VISIBLE_DAYS,
    newest first."""
    settings: Settings = request.state.settings
    since = now_for(request) - timedelta(days=settings.submitted_visible_days)
    sent = request_session(request).scalars(
        select(Referral)
        .where(
            Referral.owner_id == signed_in_user(request).id,
            Referral.status == SUBMITTED,
            Referral.submitted_at > since,
        )
        .order_by(Referral.submitted_at.desc(), Referral.id.desc())
    )
    return render(
        request,
        "pages/forms/submitted.html",
        {
            "forms": [
                {"referral": referral, "visible_until": visible_until(referral, settings)}
                for referral in sent
            ],
            "visible_days": settings.submitted_visible_days,
        },
    )


routes = [
    Route("/recover", recover_a_form, name="recover"),
    Route("/referrals/{reference}/delete", delete_draft, methods=["GET", "POST"], name="delete"),
    Route("/submitted", submitted_forms, name="submitted"),
]
