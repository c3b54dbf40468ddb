"""The form's contents page (help guide 5): every section the form has now, with its status
(Not started, Started for you, In progress, Completed) and how many of its answers need
checking, the documents, and Send when every section is done."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.assessment import engine
from app.db import request_session
from app.request_model import PortalRoute
from app.routes.assessment import SAVED_FLASH, assessment_of, today_for
from app.routes.referrals import editable_referral_or_404
from app.security.sessions import require_user
from app.services import answers as answer_store
from app.services.documents import documents_of
from app.templating import render


@require_user
def task_list(request: Request) -> Response:
    referral = editable_referral_or_404(request)
    db = request_session(request)
    rows = answer_store.stored_sections(db, referral)
    answers = answer_store.answers_by_section(rows)
    assessment = assessment_of(request)
    shown = engine.effective_answers(assessment, answers)
    today = today_for(request)
    tasks = [
        {
            "section": section,
            "status": engine.section_status(
                section, shown, rows[section.id].status if section.id in rows else None, today=today
            ),
            # Answers saved as typed that are not right yet (a check digit, a date).
            "to_check": len(
                engine.section_problems(section, shown, today=today, check_required=False)
            ),
        }
        for section in engine.visible_sections(assessment, answers)
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
            "to_check": sum(task["to_check"] for task in tasks),
            "document_count": len(documents_of(db, referral)),
            "saved": request.session.pop(SAVED_FLASH, False),
        },
    )


routes = [PortalRoute("/referrals/{reference}", task_list, name="referral")]
