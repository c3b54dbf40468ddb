"""The portal's home page and the pages every service links from its footer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.request_model import PortalRoute
from app.templating import render


def home(request: Request) -> Response:
    return render(request, "pages/home.html")


def accessibility_statement(request: Request) -> Response:
    return render(request, "pages/accessibility.html")


def cookies(request: Request) -> Response:
    return render(request, "pages/cookies.html")


routes = [
    PortalRoute("/", home, name="home"),
    PortalRoute("/accessibility", accessibility_statement, name="accessibility"),
    PortalRoute("/cookies", cookies, name="cookies"),
]
