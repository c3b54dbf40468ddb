"""A bare Starlette endpoint: reads a posted form and answers a few bytes, with nothing else.

The ceiling the load generator can reach on this machine with the same server and workers:
`bench.autosave` loads it exactly as it loads the portal's autosave, and `bench.pages` its page
as it loads the portal's pages, to say how much of the machine's capacity the portal's own work
(session, CSRF, database, template) leaves.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def save(request: Request) -> HTMLResponse:
    async with request.form() as form:
        size = len(form)
    return HTMLResponse(f'<span id="save-status">Saved {size} fields.</span>')


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse("<!DOCTYPE html><title>Bare</title><p>A bare page.</p>")


app = Starlette(routes=[Route("/save", save, methods=["POST"]), Route("/", page)])
