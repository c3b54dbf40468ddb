"""The portal's home page and the pages every service links from its footer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.templating import render


async def home(request: Request) -> Response:
    return render(request, "pages/home.html")


async def accessibility_statement(request: Request) -> Response:
    return render(request, "pages/accessibility.html")


async def cookies(request: Request) -> Response:
    return render(request, "pages/cookies.html")


routes = [
    Route("/", home, name="home"),
    Route("/accessibility", accessibility_statement, name="accessibility"),
    Route("/cookies", cookies, name="cookies"),
]
