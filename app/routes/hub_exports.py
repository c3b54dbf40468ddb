"""What hub staff take away: the inbox, as filtered, as a CSV for their own spreadsheets, and
one referral's export (the JSON a case system gets from the API). Both are audited."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.assessment.model import Assessment
from app.db import request_session
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.hub import inbox_filters, inbox_query, require_hub, sent_referral_or_404
from app.security.sessions import now_for, signed_in_user
from app.services import export, hub
from app.services.audit import Event, record_event
from app.templating import uk_datetime

# Every referral the filters match, not a page of them; far more than a hub sends in years.
CSV_LIMIT = 100_000


@require_hub
def inbox_csv(request: Request) -> Response:
    """The inbox's referrals that match its search and filters, newest first, as CSV: no
    free-text answers, and no cell a spreadsheet would run as a formula."""
    db = request_session(request)
    filters = inbox_filters(request.query_params, hub.allocation_holders(db))
    page = hub.inbox(db, **inbox_query(request, filters), per_page=CSV_LIMIT)
    text = io.StringIO()
    csv.writer(text).writerows(export.csv_rows(page.rows, sent_at=uk_datetime))
    user = signed_in_user(request)
    record_event(
        db,
        Event.REFERRAL_LIST_DOWNLOADED,
        actor_user_id=user.id,
        subject_type="referral-list",
        origin=origin_of(request),
        # What was searched for may be a child's name: only whether there was a search.
        details={
            "status": filters["status"],
            "type": filters["type"],
            "urgency": filters["urgency"],
            "searched": bool(filters["q"]),
            "rows": len(page.rows),
        },
    )
    db.commit()
    today = now_for(request).date().isoformat()
    # With a byte order mark, so that spreadsheets read the names' accents as UTF-8.
    return Response(
        "\ufeff" + text.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="referrals-{today}.csv"'},
    )


@require_hub
def referral_json(request: Request) -> Response:
    """The referral's export, as the case system gets it, to download."""
    referral = sent_referral_or_404(request)
    db = request_session(request)
    assessment: Assessment = request.state.assessment
    body = export.referral_export(db, referral, assessment)
    record_event(
        db,
        Event.REFERRAL_EXPORTED,
        actor_user_id=signed_in_user(request).id,
        subject_type="referral",
        subject_id=referral.reference,
        origin=origin_of(request),
        details={"by": hub.HUB},
    )
    db.commit()
    return JSONResponse(
        body,
        headers={
            "Content-Disposition": f'attachment; filename="{referral.reference}.json"',
        },
    )


routes = [
    PortalRoute("/hub/referrals.csv", inbox_csv, name="hub_inbox_csv"),
    PortalRoute("/hub/referrals/{reference}/export.json", referral_json, name="hub_export"),
]
