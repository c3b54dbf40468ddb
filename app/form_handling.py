"""Reading a posted form and answering it: Post/Redirect/Get on success, the same page with
422 and every value kept on error."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.plain_text import clean_text
from app.request_model import posted_form
from app.templating import render


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment (not a boosted page load)."""
    return request.headers.get("HX-Request") == "true" and "HX-Boosted" not in request.headers


def redirect(path: str) -> RedirectResponse:
    """303 See Other: after a successful post, the browser GETs the next page."""
    return RedirectResponse(path, status_code=303)


def varies(response: Response) -> Response:
    """The same URL answers a fragment to htmx and a page to the browser: caches must know."""
    response.headers["Vary"] = "HX-Request"
    return response


def go_to(request: Request, location: str) -> Response:
    """To another page: a 303 for the browser; htmx is told to load it whole (a 303 would be
    followed inside the htmx request, and a whole page swapped into a part of this one)."""
    if is_htmx(request):
        return varies(Response(headers={"HX-Redirect": location}))
    return varies(redirect(location))


def form_page(
    request: Request,
    template: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """A form page; with errors it answers 422 and keeps what the user typed."""
    return render(
        request,
        template,
        {"errors": errors or {}, "values": values or {}, **context},
        status_code=422 if errors else 200,
    )


def read_form(request: Request) -> dict[str, str]:
    """The posted text fields, cleaned (files are not read here)."""
    form = posted_form(request)
    return {key: clean_text(value) for key, value in form.items() if isinstance(value, str)}
