"""Operational endpoints: the health check and the council theme stylesheet."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from app.db import database_answers

RETRY_AFTER_SECONDS = "30"


async def healthz(request: Request) -> Response:
    """200 only when the database answers, so a load balancer stops sending to a broken node."""
    if await run_in_threadpool(database_answers, request.state.engine):
        return PlainTextResponse("ok")
    return PlainTextResponse(
        "database unavailable", status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS}
    )


async def theme_stylesheet(request: Request) -> Response:
    """The council's colours from settings; the URL carries a version, so it is cached long."""
    colour = request.state.settings.council_colour
    css = f":root{{--portal-brand:{colour};--portal-brand-text:#ffffff}}\n"
    return Response(
        css,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


routes = [
    Route("/healthz", healthz, name="healthz", methods=["GET", "HEAD"]),
    Route("/theme.css", theme_stylesheet, name="theme"),
]
