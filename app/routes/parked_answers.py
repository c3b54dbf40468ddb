"""Answers posted to a section page after the session ended are kept ("parked") for the user
whose session it was, and shown again, unsaved, on the same page once they have signed in
(app/services/parked_forms.py keeps them). Only the section page parks: `parks_answers` is its
guard, in place of `require_user`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.db import request_session
from app.form_handling import is_htmx
from app.plain_text import clean_text
from app.request_model import posted_form
from app.security.sessions import (
    LAST_USER,
    PARKED_FORM,
    RETURN_TO,
    current_user,
    now_for,
    signed_in_user,
)
from app.services.parked_forms import park_form, take_parked_form


def parks_answers(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """The section page's `require_user`: besides, Next or "Save and come back later" after
    the session ended keeps the posted answers for the user whose session it was, and brings
    them back to this page, answers and all, once they have signed in."""

    @wraps(endpoint)
    def guard(request: Request) -> Response:
        if current_user(request) is not None:
            return endpoint(request)
        if request.method == "POST":
            park_posted_form(request)
        else:
            request.session[RETURN_TO] = request.url.path
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    return guard


def park_posted_form(request: Request) -> None:
    user_id = request.session.get(LAST_USER)
    if not isinstance(user_id, int):
        return
    fields = [
        [key, clean_text(value)]
        for key, value in posted_form(request).multi_items()
        if isinstance(value, str) and key != "csrf_token"
    ]
    db = request_session(request)
    request.session[PARKED_FORM] = park_form(
        db, user_id=user_id, path=request.url.path, fields=fields, now=now_for(request)
    )
    db.commit()
    request.session[RETURN_TO] = request.url.path


def take_back_parked_form(request: Request) -> FormData | None:
    token = request.session.pop(PARKED_FORM, None)
    if not isinstance(token, str):
        return None
    db = request_session(request)
    fields = take_parked_form(
        db, token, user_id=signed_in_user(request).id, path=request.url.path, now=now_for(request)
    )
    db.commit()
    return FormData([(name, value) for name, value in fields]) if fields is not None else None
