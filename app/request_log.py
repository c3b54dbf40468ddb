"""One log line per request, and a request id that links a log line to an error page.

The line holds the method, the route's path *template* (never the concrete path or query, which
could carry a reference or a search for a child's name), the status, the duration and the id.
"""

from __future__ import annotations

import logging
import secrets
import time

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.services.audit import Origin

logger = logging.getLogger("portal.request")

REQUEST_ID_HEADER = "X-Request-ID"


def new_request_id() -> str:
    return secrets.token_hex(8)


def request_id_of(request: Request) -> str | None:
    """This request's id (for the audit log), if the logging middleware gave it one."""
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def origin_of(request: Request) -> Origin:
    """Where this request came from, for the audit log: its id and the client's address."""
    return Origin(request_id_of(request), request.client.host if request.client else None)


def route_template(scope: Scope) -> str:
    """The matched route's path template, e.g. `/referrals/{reference}`; never the real path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path or "/"
    return "<unmatched>"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info(
                "%s %s %d %.1fms id=%s",
                scope["method"],
                route_template(scope),
                status,
                (time.perf_counter() - started) * 1000,
                request_id,
            )
