"""Operational endpoints: the health check and security.txt.

These stay on the event loop (plain Starlette routes): two never touch the database, and the
health check asks it from the shared thread pool, not a lane, so that it answers even while
every worker is busy.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from app.db import database_answers
from app.security.sessions import now_for
from app.services.pdf import PdfRenderer
from app.services.virus_scan import Clamd

RETRY_AFTER_SECONDS = "30"
SECURITY_TXT_DAYS = 90


async def healthz(request: Request) -> Response:
    """200 only when the database answers, so a load balancer stops sending to a broken node.
    The virus scanner and PDFs are reported on the next lines: without either, one thing is
    refused (uploads "try again later", Create PDF "unavailable") but everything else works,
    so neither takes the node out. PDFs say what the last one made (or the start-up check)
    showed: `ok`, `unavailable` or `unchecked`."""
    if not await run_in_threadpool(database_answers, request.state.engine):
        return PlainTextResponse(
            "database unavailable", status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS}
        )
    scanner: Clamd | None = request.state.virus_scanner
    if scanner is None:
        scanning = "off"
    else:
        scanning = "ok" if await run_in_threadpool(scanner.answers) else "unavailable"
    pdfs: PdfRenderer = request.state.pdf_renderer
    return PlainTextResponse(f"ok\nvirus scanner: {scanning}\npdfs: {pdfs.status}")


async def security_txt(request: Request) -> Response:
    """RFC 9116: where to report a vulnerability. The expiry is 90 days ahead of now (the RFC
    asks for well under a year), so the file is always current while the council's contact
    (SECURITY_CONTACT) is; production refuses to start with the example contact."""
    settings = request.state.settings
    expires = (now_for(request) + timedelta(days=SECURITY_TXT_DAYS)).replace(microsecond=0)
    body = (
        f"Contact: {settings.security_contact}\n"
        f"Expires: {expires.astimezone(UTC).isoformat().replace('+00:00', 'Z')}\n"
        "Preferred-Languages: en\n"
        f"Canonical: {settings.base_url}/.well-known/security.txt\n"
    )
    return PlainTextResponse(body, headers={"Cache-Control": "public, max-age=86400"})


routes = [
    Route("/healthz", healthz, name="healthz", methods=["GET", "HEAD"]),
    Route("/.well-known/security.txt", security_txt, name="security_txt"),
]
