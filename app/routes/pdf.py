"""Create PDF (help guide 7): the assessment as a PDF, at any time, for its owner."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.db import request_session
from app.request_log import request_id_of
from app.routes.referrals import owned_referral_or_404
from app.routes.summary import referral_summary
from app.security.sessions import now_for, require_user, signed_in_user
from app.services.audit import record_event
from app.services.pdf import PdfRenderer
from app.services.referrals import DRAFT
from app.templating import UK_TIME, uk_datetime


@require_user
async def create_pdf(request: Request) -> Response:
    """`EH-2026-000123-2026-11-23.pdf` as a download, made now from the saved answers."""
    referral = owned_referral_or_404(request)
    user = signed_in_user(request)
    now = now_for(request)
    draft = referral.status == DRAFT
    status_text = (
        "DRAFT — not submitted" if draft else f"Submitted on {uk_datetime(referral.submitted_at)}"
    )
    context = {
        **referral_summary(request, referral, user),
        "draft": draft,
        "status_text": status_text,
        "generated_at": now,
    }
    templates = request.state.templates
    html = templates.get_template("pages/pdf/assessment.html").render(context)
    renderer: PdfRenderer = request.state.pdf_renderer
    pdf = await renderer.render(html)
    db = request_session(request)
    record_event(
        db,
        "referral.pdf-created",
        actor_user_id=user.id,
        subject_type="referral",
        subject_id=referral.reference,
        request_id=request_id_of(request),
        details={"draft": draft},
    )
    db.commit()
    filename = f"{referral.reference}-{now.astimezone(UK_TIME):%Y-%m-%d}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [Route("/referrals/{reference}/pdf", create_pdf, name="pdf")]
