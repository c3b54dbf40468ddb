"""Gzip for clients that ask for it (slow networks), and nothing in the way for those that don't."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class CompressionMiddleware:
    """Starlette's GZip, entered only when the request accepts gzip.

    Starlette's middleware wraps every response, even uncompressed ones, and in doing so drops
    the messages it does not know (such as the test client's template information).
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 500) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "gzip" in Headers(scope=scope).get("accept-encoding", ""):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
