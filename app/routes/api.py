"""The case system's API (docs/EXPORT.md): sent referrals changed since a moment, one
referral's export, and its documents. Read-only and JSON, errors too.

Every call but the schema's needs an API token an operator made (`portal create-api-token`),
sent as `Authorization: Bearer <token>`; a session cookie opens nothing here, and a token opens
nothing anywhere else. A missing, unknown or revoked token gets 401 with `WWW-Authenticate`.
Each call by a known token counts against its rate limit (API_CALLS_PER_MINUTE) and is audited
(`api.called`: the token's name, the path, the reference, the answer's status).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from app.assessment.model import Assessment
from app.db import request_session
from app.models import ApiToken, Document, Referral
from app.request_log import origin_of
from app.request_model import PortalRoute
from app.routes.documents import attachment
from app.security.sessions import now_for
from app.services import api_tokens, export, hub
from app.services import documents as store
from app.services.audit import Event, record_event
from app.settings import Settings
from app.templating import uk_datetime

logger = logging.getLogger("portal.api")

REALM = "childrens-portal"
DEFAULT_PAGE_SIZE = 50
# Answers for errors the router or the app raise on an API path (app/routes/errors.py).
ERROR_WORDS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read"),
    404: ("not_found", "There is nothing at this address: see docs/EXPORT.md for the API"),
    405: ("method_not_allowed", "The API only reads: use GET (or HEAD)"),
    408: ("request_timeout", "The request took too long to arrive"),
    413: ("too_large", "The request is too large"),
    429: ("rate_limited", "Too many requests: try again shortly"),
    503: ("unavailable", "The service is busy or unavailable: try again shortly"),
}


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def bearer_only(scope: Scope) -> bool:
    """Whether a request is for the API, whose calls are authenticated by a bearer token alone
    and never by the session cookie: a cross-site request cannot carry that credential, so
    there is nothing to forge and no CSRF token to ask for (app/security/csrf.py)."""
    return is_api_path(scope["path"])


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """An error as the API answers every one: JSON, with a code to act on and words to read."""
    body = {"error": {"status": status, "code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def http_error_response(status: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    code, message = ERROR_WORDS.get(status, ("error", "The request could not be answered"))
    return error_response(status, code, message, headers)


class ApiError(Exception):
    """A request the API answers with an error (a 4xx), raised by an endpoint's work."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message)


def unauthorised(message: str, *, error: str | None = None) -> JSONResponse:
    """401, with the challenge RFC 6750 asks for (an error code once a token was sent)."""
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}", error_description="{message}"'
    return error_response(
        401, error or "missing_token", message, headers={"WWW-Authenticate": challenge}
    )


def bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


Work = Callable[[Request, ApiToken], Response]


def api_call(allowed_parameters: frozenset[str] = frozenset()) -> Callable[[Work], Any]:
    """An API endpoint: the token checked, the call counted and audited, errors as JSON.
    Query parameters other than `allowed_parameters` are refused (a misspelt one would
    otherwise be ignored without a word)."""

    def wrap(work: Work) -> Callable[[Request], Response]:
        @wraps(work)
        def handle(request: Request) -> Response:
            db = request_session(request)
            settings: Settings = request.state.settings
            presented = bearer_token(request)
            if presented is None:
                return unauthorised("Send an API token: Authorization: Bearer <token>")
            token = api_tokens.token_for(db, presented)
            if token is None:
                logger.info("API call with a token that was never made")
                return unauthorised("The API token is not valid", error="invalid_token")
            now = now_for(request)
            response: Response
            if token.is_revoked:
                response = unauthorised("The API token has been revoked", error="invalid_token")
            else:
                allowance = api_tokens.take_call(
                    db, token, limit=settings.api_calls_per_minute, now=now
                )
                if not allowance.allowed:
                    response = error_response(
                        429,
                        "rate_limited",
                        f"More than {settings.api_calls_per_minute} calls in a minute: try "
                        f"again in {allowance.retry_after_seconds} seconds",
                        headers={"Retry-After": str(allowance.retry_after_seconds)},
                    )
                else:
                    try:
                        unknown = sorted(set(request.query_params) - allowed_parameters)
                        if unknown:
                            raise ApiError(
                                400,
                                "unknown_parameter",
                                f"Unknown query parameter {unknown[0]!r}: this address takes "
                                + (", ".join(sorted(allowed_parameters)) or "none"),
                            )
                        response = work(request, token)
                    except ApiError as refused:
                        response = refused.response()
            reference = request.path_params.get("reference")
            record_event(
                db,
                Event.API_CALLED,
                subject_type="referral" if reference else None,
                subject_id=str(reference)[:64] if reference else None,
                origin=origin_of(request),
                details={
                    "token": token.name,
                    "path": request.url.path[:300],
                    "status": response.status_code,
                },
            )
            db.commit()
            return response

        return handle

    return wrap


# Reading what was asked ---------------------------------------------------------------------

MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})")


def moment_parameter(name: str, value: str) -> datetime:
    """An ISO 8601 moment with its time zone: 2026-11-23T09:00:00Z, or +00:00. A "+" sent
    unencoded arrives as a space, and is read as the "+" it was."""
    text = value.strip().replace(" ", "+")
    if not MOMENT.fullmatch(text):
        raise ApiError(
            400,
            "bad_parameter",
            f"{name} must be an ISO 8601 moment with its time zone, like 2026-11-23T09:00:00Z",
        )
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "bad_parameter", f"{name} is not a real moment: {value}") from None


def page_size_parameter(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= export.MAX_PAGE_SIZE:
        raise ApiError(
            400,
            "bad_parameter",
            f"page_size must be a whole number from 1 to {export.MAX_PAGE_SIZE}",
        )
    return int(value)


def sent_referral(request: Request) -> Referral:
    """The sent referral in the path; a draft's reference is answered as an unknown one."""
    reference = request.path_params["reference"]
    referral = hub.sent_referral(request_session(request), reference)
    if referral is None:
        raise ApiError(404, "no_such_referral", f"There is no sent referral {reference[:40]}")
    return referral


# The endpoints ------------------------------------------------------------------------------


@api_call(frozenset({"changed_since", "page_size", "cursor"}))
def referrals(request: Request, _token: ApiToken) -> Response:
    """Sent referrals changed at or after `changed_since` (all, without it), oldest change
    first, a page at a time; `next` is the address of the next page (null on the last)."""
    params = request.query_params
    since_text = params.get("changed_since")
    since = moment_parameter("changed_since", since_text) if since_text is not None else None
    page_size = page_size_parameter(params.get("page_size"))
    after = None
    if params.get("cursor") is not None:
        after = export.Position.from_cursor(params["cursor"])
        if after is None:
            raise ApiError(400, "bad_parameter", "cursor must be one this API gave, as it gave it")
    page = export.changed_referrals(
        request_session(request), since=since, after=after, page_size=page_size
    )
    following = None
    if page.next is not None:
        query = {"page_size": str(page_size), "cursor": page.next.cursor()}
        if since is not None:
            query = {"changed_since": export.iso(since) or "", **query}
        following = f"{export.API_ROOT}/referrals?{urlencode(query)}"
    return JSONResponse(
        {
            "referrals": [export.listed(referral, moment) for referral, moment in page.referrals],
            "page_size": page_size,
            "next_cursor": page.next.cursor() if page.next else None,
            "next": following,
        }
    )


@api_call()
def referral(request: Request, _token: ApiToken) -> Response:
    """One sent referral's export (docs/EXPORT.md)."""
    found = sent_referral(request)
    assessment: Assessment = request.state.assessment
    return JSONResponse(export.referral_export(request_session(request), found, assessment))


@api_call()
def document(request: Request, _token: ApiToken) -> Response:
    """One document of a sent referral, as its owner attached it; 410 once the hub removed it.
    `Repr-Digest` carries its SHA-256, as the export lists it."""
    found = sent_referral(request)
    db = request_session(request)
    key = request.path_params["key"]
    attached = db.scalar(
        select(Document).where(Document.referral_id == found.id, Document.key == key)
    )
    if attached is None:
        raise ApiError(404, "no_such_document", f"{found.reference} has no document {key[:40]}")
    if attached.removed_at is not None:
        raise ApiError(
            410,
            "document_removed",
            f"The hub removed this document on {uk_datetime(attached.removed_at)} as attached "
            "in error: it no longer exists",
        )
    settings: Settings = request.state.settings
    try:
        content = store.read_content(db, settings, attached)
    except FileNotFoundError:
        logger.warning("document %s has no content", attached.key)
        raise ApiError(404, "no_such_document", "The document's content is missing") from None
    response = attachment(attached, content)
    digest = base64.b64encode(bytes.fromhex(attached.sha256)).decode("ascii")
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    return response


def schema(request: Request) -> Response:
    """The export's JSON Schema: the form's structure, no one's data, so open to anyone."""
    assessment: Assessment = request.state.assessment
    return JSONResponse(
        export.export_schema(assessment),
        media_type="application/schema+json",
        headers={"Cache-Control": "no-cache"},
    )


routes = [
    PortalRoute(f"{export.API_ROOT}/schema.json", schema, name="api_schema"),
    PortalRoute(f"{export.API_ROOT}/referrals", referrals, name="api_referrals"),
    PortalRoute(f"{export.API_ROOT}/referrals/{{reference}}", referral, name="api_referral"),
    PortalRoute(
        f"{export.API_ROOT}/referrals/{{reference}}/documents/{{key}}",
        document,
        name="api_document",
    ),
]
