"""The user menu's "Recover a form" and "Submitted Forms" pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.security.sessions import require_user
from app.templating import render


@require_user
async def recover_a_form(request: Request) -> Response:
    return render(request, "pages/forms/recover.html")


@require_user
async def submitted_forms(request: Request) -> Response:
    return render(request, "pages/forms/submitted.html")


routes = [
    Route("/recover", recover_a_form, name="recover"),
    Route("/submitted", submitted_forms, name="submitted"),
]
