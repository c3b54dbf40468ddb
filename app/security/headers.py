"""Security headers on every response, as pure ASGI middleware."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(inline_styles: Iterable[str] = ()) -> str:
    """No inline script anywhere, no eval: htmx runs with allowEval=false and
    includeIndicatorStyles=false, and GOV.UK Frontend is started from our own module file. The
    only inline style is the council's colours (`app.assets.theme_css`), allowed by its hash."""
    hashes = "".join(f" '{style_hash(style)}'" for style in inline_styles)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self'{hashes}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def style_hash(style: str) -> str:
    """A CSP source for exactly this `<style>` element's text."""
    digest = hashlib.sha256(style.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


CONTENT_SECURITY_POLICY = content_security_policy()

BASE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"
DOCUMENT_ONLY = frozenset(
    {
        "Content-Security-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
        "Permissions-Policy",
    }
)
# Scripts and stylesheets (app.assets): never documents. Images (an SVG can be a document
# opened on its own) keep every header.
ASSET_PATHS = ("/static/js/", "/static/css/", "/static/vendor/")


def security_headers(*, hsts: bool, inline_styles: Iterable[str] = ()) -> dict[str, str]:
    headers = {**BASE_HEADERS, "Content-Security-Policy": content_security_policy(inline_styles)}
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeadersMiddleware:
    """Adds the headers above; pages holding personal data are never stored by caches.

    A response that sets its own Cache-Control (static files) keeps it; everything else gets
    `no-store`, because a shared office computer must not keep a child's details in its cache.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool, inline_styles: Iterable[str] = ()) -> None:
        self.app = app
        self.headers = security_headers(hsts=hsts, inline_styles=inline_styles)
        # A script or stylesheet is never a document: the policies that govern documents
        # (CSP, framing, permissions, opener) do nothing on it, and a first visit on a slow
        # line pays for every header byte.
        self.asset_headers = {
            name: value for name, value in self.headers.items() if name not in DOCUMENT_ONLY
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own = self.headers
        if scope["path"].startswith(ASSET_PATHS):
            own = self.asset_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in own.items():
                    headers.setdefault(name, value)
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
