"""CSRF protection for every state-changing request, as pure ASGI middleware.

A random secret lives in the signed session. Pages carry it *masked* (a fresh random pad XORed
with the secret each render) so that compressed responses never repeat it byte for byte. A
request proves itself with the token in the `X-CSRF-Token` header (htmx, from `hx-headers` on
`<main>`) or in the `csrf_token` field, which every form places first so that a multipart upload
is checked from its first bytes without reading the file.

It also bounds every unsafe request's body: a form is at most MAX_FORM_BYTES (a body declared
larger is refused at once, one that grows larger is stopped as it is read), except on the routes
that take files, which set their own limits.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_KEY = "csrf"
FIELD_NAME = "csrf_token"
HEADER_NAME = b"x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SECRET_BYTES = 32
# A form larger than this is refused before it is parsed (the routes that take files excepted).
MAX_FORM_BYTES = 1024 * 1024
# The token field leads every multipart form: it must be complete within this many bytes.
MULTIPART_PREFIX_BYTES = 16 * 1024

Rejection = Callable[[Scope, int], Awaitable[Any]]
LargeBodies = Callable[[Scope], bool]
BearerOnly = Callable[[Scope], bool]


def _no_large_bodies(_scope: Scope) -> bool:
    return False


def _no_bearer_routes(_scope: Scope) -> bool:
    return False


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive`, stopping the request with 413 once its body passes `limit` bytes (a body sent
    without Content-Length, or longer than it said)."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413)
        return message

    return limited


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _b64decode(text: str | bytes) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text)
    except (binascii.Error, ValueError):
        return None


def session_secret(session: MutableMapping[str, Any]) -> bytes:
    """The session's CSRF secret, created on first use."""
    current = _b64decode(session.get(SESSION_KEY, ""))
    if current is None or len(current) != SECRET_BYTES:
        current = secrets.token_bytes(SECRET_BYTES)
        session[SESSION_KEY] = _b64encode(current)
    return current


def masked_token(session: MutableMapping[str, Any]) -> str:
    """A token for one page: different every render, valid for the whole session."""
    secret = session_secret(session)
    pad = secrets.token_bytes(SECRET_BYTES)
    return _b64encode(pad + bytes(a ^ b for a, b in zip(pad, secret, strict=True)))


def token_is_valid(session: MutableMapping[str, Any], submitted: str | bytes | None) -> bool:
    expected = _b64decode(session.get(SESSION_KEY, ""))
    if not submitted or expected is None or len(expected) != SECRET_BYTES:
        return False
    raw = _b64decode(submitted)
    if raw is None or len(raw) != 2 * SECRET_BYTES:
        return False
    pad, masked = raw[:SECRET_BYTES], raw[SECRET_BYTES:]
    unmasked = bytes(a ^ b for a, b in zip(pad, masked, strict=True))
    return hmac.compare_digest(unmasked, expected)


def _first_multipart_field(body: bytes, boundary: bytes) -> tuple[bytes, bytes] | None:
    """Name and value of the first part of a multipart body, if it is complete in `body`."""
    found: dict[str, bytes] = {}
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}
    data = bytearray()

    def on_header_field(chunk: bytes, start: int, end: int) -> None:
        header_field.extend(chunk[start:end])

    def on_header_value(chunk: bytes, start: int, end: int) -> None:
        header_value.extend(chunk[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_part_data(chunk: bytes, start: int, end: int) -> None:
        if "value" not in found:
            data.extend(chunk[start:end])

    def on_part_end() -> None:
        if "value" not in found:
            _, options = parse_options_header(headers.get(b"content-disposition", b""))
            found["name"] = options.get(b"name", b"")
            found["value"] = bytes(data)

    parser = MultipartParser(
        boundary,
        callbacks={
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        parser.write(body)
    except Exception:  # noqa: BLE001 - a malformed body has no valid token after the first part
        # The first part may have ended before the malformed one: its token still counts, and
        # the form's own handler says what is wrong with the rest.
        if "value" not in found:
            return None
    if "value" not in found:
        return None
    return found["name"], found["value"]


class CSRFMiddleware:
    """Refuses any unsafe request that does not carry the session's token (403), except on
    the routes `bearer_only` names, which never act on the session cookie (their bodies are
    bounded all the same)."""

    def __init__(
        self,
        app: ASGIApp,
        reject: Rejection,
        large_bodies: LargeBodies = _no_large_bodies,
        bearer_only: BearerOnly = _no_bearer_routes,
    ) -> None:
        self.app = app
        self.reject = reject
        self.large_bodies = large_bodies
        self.bearer_only = bearer_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        session = scope.get("session", {})
        headers = dict(scope["headers"])
        if not self.large_bodies(scope):
            declared = headers.get(b"content-length", b"")
            if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
                await self._reject(scope, receive, send, 413)
                return
            receive = _limited(receive, MAX_FORM_BYTES)
        if self.bearer_only(scope):
            await self.app(scope, receive, send)
            return
        header_token = headers.get(HEADER_NAME)
        if header_token is not None:
            if token_is_valid(session, header_token):
                await self.app(scope, receive, send)
            else:
                await self._reject(scope, receive, send, 403)
            return

        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        buffered: list[Message] = []
        body = bytearray()
        more_body = True
        if content_type == b"application/x-www-form-urlencoded":
            limit = MAX_FORM_BYTES
        elif content_type == b"multipart/form-data" and options.get(b"boundary"):
            limit = MULTIPART_PREFIX_BYTES
        else:
            await self._reject(scope, receive, send, 403)
            return

        submitted: bytes | None = None
        while more_body:
            try:
                message = await receive()
            except HTTPException as too_large:
                await self._reject(scope, receive, send, too_large.status_code)
                return
            buffered.append(message)
            if message["type"] != "http.request":
                break
            body.extend(message.get("body", b""))
            more_body = message.get("more_body", False)
            if content_type == b"multipart/form-data":
                first = _first_multipart_field(bytes(body), options[b"boundary"])
                if first is not None:
                    submitted = first[1] if first[0] == FIELD_NAME.encode() else b""
                    break
                if len(body) > limit:
                    break
            elif len(body) > limit:
                await self._reject(scope, receive, send, 413)
                return
        if content_type == b"application/x-www-form-urlencoded":
            values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD_NAME)
            submitted = values[0].encode("latin-1") if values else None

        if not token_is_valid(session, submitted):
            await self._reject(scope, receive, send, 403)
            return

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        response = await self.reject(scope, status)
        await response(scope, receive, send)
