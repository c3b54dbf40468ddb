"""Create PDF (help guide 7): the assessment as a PDF, at any time, for its owner."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from app.db import request_session
from app.models import Referral, ReferralMessage, User
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.referrals import owned_referral_or_404
from app.routes.summary import referral_summary
from app.security.sessions import now_for, require_user, signed_in_user
from app.services.documents import documents_by_message
from app.services.hub import STATUSES, URGENCIES, allocated_before, authors_of
from app.services.pdf import PdfRenderer, PdfUnavailable, record_pdf_created
from app.services.referrals import DRAFT
from app.templating import UK_TIME, render, uk_datetime

logger = logging.getLogger("portal.pdf")


def pdf_response(
    request: Request,
    referral: Referral,
    referrer: User,
    *,
    back: str,
    timeline: list[ReferralMessage] | None = None,
    notes: list[ReferralMessage] | None = None,
) -> Response:
    """`EH-2026-000123-2026-11-23.pdf` as a download, made now from the saved answers; with a
    `timeline` (the hub's view) its status changes and messages are included, and with `notes`
    (the hub's too) its internal notes, in a part marked for hub staff only. Where PDFs
    cannot be made (WeasyPrint's libraries missing), a page that says so and leads `back`."""
    now = now_for(request)
    draft = referral.status == DRAFT
    status_text = (
        "DRAFT — not submitted" if draft else f"Submitted on {uk_datetime(referral.submitted_at)}"
    )
    db = request_session(request)
    context = {
        **referral_summary(request, referral, referrer),
        "draft": draft,
        "status_text": status_text,
        "generated_at": now,
        "timeline": timeline,
        "attachments": documents_by_message(db, referral) if timeline is not None else {},
        "authors": authors_of(db, [*(timeline or []), *(notes or [])]),
        "allocated_before": allocated_before(timeline or []),
        "notes": notes,
        "statuses": STATUSES,
        "urgencies": URGENCIES,
    }
    templates = request.state.templates
    html = templates.get_template("pages/pdf/assessment.html").render(context)
    renderer: PdfRenderer = request.state.pdf_renderer
    reference = referral.reference
    # Reading is done: give the connection back while the PDF is drawn (it may wait its turn).
    db.rollback()
    try:
        pdf = renderer.render(html)
    except PdfUnavailable as error:
        # `portal serve` said what is missing when it started; one line more each time.
        logger.warning("pdf unavailable id=%s: %s", request.state.request_id, error)
        page = "pages/errors/pdf-unavailable.html"
        return render(request, page, {"back": back}, status_code=503)
    record_pdf_created(db, referral, signed_in_user(request), origin_of(request), draft=draft)
    db.commit()
    filename = f"{reference}-{now.astimezone(UK_TIME):%Y-%m-%d}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@require_user
def create_pdf(request: Request) -> Response:
    """The referrer's PDF of their own referral, draft or sent."""
    referral = owned_referral_or_404(request)
    return pdf_response(
        request, referral, signed_in_user(request), back=f"/referrals/{referral.reference}"
    )


routes = [PortalRoute("/referrals/{reference}/pdf", create_pdf, name="pdf", heavy=["GET"])]
