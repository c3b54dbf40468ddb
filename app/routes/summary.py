"""A referral's answers and documents as people read them: one function behind check your
answers, the PDF and (later) the hub's view, so they can never disagree."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from app.assessment import engine
from app.assessment.model import Assessment
from app.db import request_session
from app.models import Referral, User
from app.services import answers as answer_store
from app.services import documents as store


def referral_summary(request: Request, referral: Referral, referrer: User) -> dict[str, Any]:
    """Every visible answer (engine.answers_summary), the stored answers, and the documents
    attached to the assessment (those sent later with a reply are in the timeline)."""
    db = request_session(request)
    assessment: Assessment = request.state.assessment
    answers = answer_store.answers_by_section(answer_store.stored_sections(db, referral))
    account = {"full_name": referrer.full_name, "email": referrer.email}
    return {
        "referral": referral,
        "answers": answers,
        "summary": engine.answers_summary(assessment, answers, account=account),
        "documents": store.assessment_documents(db, referral),
        "human_size": store.human_size,
    }
