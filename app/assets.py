"""The files under static/, as built by `make assets` (assets/build.mjs), and how they are served.

Each served file has two twins built beside it, `.br` (Brotli) and `.gz` (gzip), compressed
once at the highest levels when the assets are built; a request gets the smallest its browser
accepts, never a file compressed per request. A URL carrying the content hash (`?v=`, made by
`static_url`) may be cached for a year without being checked again
(`immutable`): a warm page loads no asset at all. Any other URL is checked each time.

Each built file begins with the SHA-256 of the sources it was built from (`sources_digest`,
as assets/build.mjs computes it), so that a test can tell a source changed without a build.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import cache
from pathlib import Path

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.settings import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"
# The encodings built beside each file, best first.
TWINS = (("br", ".br"), ("gzip", ".gz"))
YEAR = "public, max-age=31536000, immutable"


@cache
def static_url(path: str) -> str:
    """URL of a file under static/, with its content hash: cached for a year, never checked."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


@cache
def data_url(path: str, media_type: str) -> str:
    """A small file under static/ written into the page (the favicon): one request fewer on a
    first visit. The page's CSP allows data: images."""
    return f"data:{media_type};base64,{base64.b64encode((STATIC_DIR / path).read_bytes()).decode()}"


def theme_css(colour: str) -> str:
    """The council's colours (COUNCIL_COLOUR), inline in every page's head: a stylesheet of its
    own would cost a first visit a request. The page's CSP allows exactly this text."""
    return f":root{{--portal-brand:{colour};--portal-brand-text:#ffffff}}"


def sources_digest(folder: Path, extension: str) -> str:
    """SHA-256 over each source file's name and bytes, in name order, then the pinned package
    versions of package.json: the digest a built file's first line names."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob(f"*{extension}"), key=lambda p: p.name):
        digest.update(f"{path.name}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    versions: dict[str, str] = package["devDependencies"]
    for name in sorted(versions):
        digest.update(f"{name}@{versions[name]}\n".encode())
    return digest.hexdigest()


def accepted_encodings(header: str) -> set[str]:
    """The content codings an Accept-Encoding header accepts (q=0 refuses one)."""
    accepted = set()
    for part in header.split(","):
        name, _, parameters = part.strip().partition(";")
        quality = parameters.strip()
        if quality.startswith("q=") and quality[2:].strip() in {"0", "0.0", "0.00", "0.000"}:
            continue
        if name.strip():
            accepted.add(name.strip().lower())
    return accepted


class AssetFiles(StaticFiles):
    """Static files: the `.br` or `.gz` twin when the browser accepts it; a year's caching for
    a URL with its content hash, a check each time (ETag, 304) for any other."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.endswith(tuple(suffix for _, suffix in TWINS)):
            raise HTTPException(404)  # twins are encodings of a file, not files of their own
        response = await super().get_response(path, scope)
        if isinstance(response, FileResponse) and response.status_code == 200:
            response = self.encoded(response, scope)
        if b"v=" in scope.get("query_string", b""):
            response.headers["Cache-Control"] = YEAR
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response

    def encoded(self, response: FileResponse, scope: Scope) -> Response:
        original = str(response.path)
        twins = [(name, original + suffix) for name, suffix in TWINS]
        if not any(os.path.isfile(twin) for _, twin in twins):
            return response
        response.headers["Vary"] = "Accept-Encoding"
        accepted = accepted_encodings(Headers(scope=scope).get("accept-encoding", ""))
        for name, twin in twins:
            if name in accepted and os.path.isfile(twin):
                return FileResponse(
                    twin,
                    media_type=response.media_type,
                    headers={"Content-Encoding": name, "Vary": "Accept-Encoding"},
                )
        return response
