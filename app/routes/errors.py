"""Error pages in GOV.UK style. Nothing here shows a stack trace; a reference links to the log."""

from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Scope

from app.assets import theme_css
from app.request_model import ServiceBusy, close_request_session
from app.routes.api import error_response, http_error_response, is_api_path
from app.routes.health import RETRY_AFTER_SECONDS
from app.routes.referrals import referral_sent
from app.security.headers import BASE_HEADERS, security_headers
from app.services.referrals import ReferralNotEditable
from app.templating import render

logger = logging.getLogger("portal.errors")

ERROR_TEMPLATES = {
    400: "pages/errors/400.html",
    403: "pages/errors/403.html",
    404: "pages/errors/404.html",
    405: "pages/errors/404.html",
    408: "pages/errors/408.html",
    413: "pages/errors/413.html",
    429: "pages/errors/429.html",
    503: "pages/errors/503.html",
}


# The handlers below are plain functions: Starlette runs them in its thread pool, so an error
# page may find out who is signed in (the header) without the event loop waiting on it. Each
# closes the request's database session before its page goes back to the loop.


def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if is_api_path(request.url.path):
        close_request_session(request)
        return http_error_response(exc.status_code, exc.headers)
    template = ERROR_TEMPLATES.get(exc.status_code, "pages/errors/404.html")
    try:
        response = render(request, template, status_code=exc.status_code)
    finally:
        close_request_session(request)
    if exc.status_code == 408:
        response.headers["Connection"] = "close"  # the rest of that body is not wanted
    return response


def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database, or a worker to reach it, could not be had in time: 503, try again."""
    logger.warning(
        "database unavailable: %s id=%s",
        type(exc).__name__,
        request.state.request_id,
    )
    close_request_session(request)
    if is_api_path(request.url.path):
        return http_error_response(503, {"Retry-After": RETRY_AFTER_SECONDS})
    # Who is signed in is not asked: the database may be what is missing.
    request.state.user = getattr(request.state, "user", None)
    response = render(request, ERROR_TEMPLATES[503], status_code=503)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def server_error(request: Request, exc: Exception) -> Response:
    """Last resort: the reference shown is the request id in the log line with the traceback."""
    reference = getattr(request.state, "request_id", "unknown")
    logger.error("unhandled error id=%s", reference, exc_info=exc)
    # The request's database session may be broken: the page must not need it.
    request.state.user = None
    response: Response
    try:
        if is_api_path(request.url.path):
            message = f"Sorry, there is a problem with the service. Reference: {reference}"
            response = error_response(500, "server_error", message)
        else:
            response = render(
                request, "pages/errors/500.html", {"reference": reference}, status_code=500
            )
    except Exception:
        logger.exception("error page failed id=%s", reference)
        response = HTMLResponse(
            "<!DOCTYPE html><html lang=en><title>Sorry, there is a problem with the service"
            "</title><h1>Sorry, there is a problem with the service</h1>"
            f"<p>Reference: {reference}</p></html>",
            status_code=500,
        )
    # This response is sent outside the middleware stack: add what the stack would have added.
    settings = getattr(request.state, "settings", None)
    response.headers.update(
        security_headers(
            hsts=settings.is_production, inline_styles=[theme_css(settings.council_colour)]
        )
        if settings is not None
        else BASE_HEADERS
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Request-ID"] = reference
    return response


async def render_request_rejection(scope: Scope, status: int) -> Response:
    """The page for a request refused before routing (CSRF failure, a form too large)."""
    request = Request(scope)
    if is_api_path(request.url.path):
        return http_error_response(status)
    return render(request, ERROR_TEMPLATES[status], status_code=status)


exception_handlers = {
    HTTPException: http_error,
    ReferralNotEditable: referral_sent,
    OperationalError: database_unavailable,
    InterfaceError: database_unavailable,
    PoolTimeoutError: database_unavailable,
    ServiceBusy: database_unavailable,
    Exception: server_error,
}
