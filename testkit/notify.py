"""A real HTTP server standing in for GOV.UK Notify's email API, on 127.0.0.1 and a free port.

It answers `POST /v2/notifications/email` (and `GET /v2/notifications?reference=`) as Notify
does: it checks the Bearer token (HS256
signed with the key's secret, `iss` the key's service id, `iat` within 30 seconds; else 403
AuthError), the template id (one it was given, else 400 "Template not found") and the
personalisation (every placeholder of the template, else 400 "Missing personalisation: ..."),
and answers 201 with the notification. It keeps every email it accepted, and can be told to
fail the next requests: a status of Notify's choosing, or an answer that never comes in time.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from app.services.mail_templates import MailTemplate

# How far a token's iat may be from the server's clock, as Notify allows.
CLOCK_LEEWAY_SECONDS = 30
FROM_EMAIL = "childrens.portal@notifications.service.gov.uk"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ERROR_NAMES = {
    400: "BadRequestError",
    403: "AuthError",
    429: "RateLimitError",
    500: "Exception",
    503: "Exception",
}


def notify_api_key(name: str = "portal_test") -> str:
    """A new key in Notify's shape: "{name}-{service id}-{secret}"."""
    return f"{name}-{uuid.uuid4()}-{uuid.uuid4()}"


@dataclass(frozen=True)
class SentEmail:
    """An email the server accepted, as the client sent it."""

    id: str
    template_id: str
    email_address: str
    personalisation: dict[str, Any]
    reference: str | None
    email_reply_to_id: str | None
    subject: str
    body: str


@dataclass(frozen=True)
class Scripted:
    """What the server does with one coming request instead of its usual work."""

    status: int = 500
    error: str = ""
    message: str = "Internal server error"
    # Hold the request until the test lets go (or the server stops), then answer `status`:
    # longer than the client waits, as Notify would when slow.
    stall: bool = False
    # Take the email as usual, then hold the answer as `stall` does: Notify has it, but the
    # client never hears so.
    accept: bool = False


@dataclass
class FakeNotify:
    """The server, its templates and its records. `start()` and `stop()` may be called again
    (the same port), so a test can take Notify away and bring it back."""

    api_key: str
    templates: dict[str, MailTemplate]  # template id -> the template it sends
    reply_to_ids: frozenset[str] = frozenset()
    port: int = 0
    sent: list[SentEmail] = field(default_factory=list)
    # Every request, as (status answered, reference): sent or not.
    answered: list[tuple[int, str | None]] = field(default_factory=list)
    # Every reference asked about (GET /v2/notifications?reference=...).
    looked_up: list[str] = field(default_factory=list)
    _script: deque[Scripted] = field(default_factory=deque)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    _released: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def service_id(self) -> str:
        return self.api_key[-73:-37]

    @property
    def secret(self) -> str:
        return self.api_key[-36:]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # Scripting --------------------------------------------------------------------------------

    def fail_next(self, status: int, message: str = "", *, error: str = "", times: int = 1) -> None:
        """Answer the next `times` requests with `status` and Notify's error JSON."""
        scripted = Scripted(
            status=status,
            error=error or _ERROR_NAMES.get(status, "Exception"),
            message=message or f"Error {status}",
        )
        with self._lock:
            self._script.extend([scripted] * times)

    def stall_next(self, times: int = 1) -> None:
        """Hold the next `times` requests until `release()` or `stop()`, then answer 504."""
        with self._lock:
            self._script.extend([Scripted(status=504, message="Timed out", stall=True)] * times)

    def accept_then_stall_next(self) -> None:
        """Accept the next email, then hold its answer until `release()` or `stop()`."""
        with self._lock:
            self._script.append(Scripted(status=201, accept=True, stall=True))

    def release(self) -> None:
        self._released.set()

    def to(self, address: str) -> list[SentEmail]:
        with self._lock:
            return [email for email in self.sent if email.email_address == address]

    def wait_for(self, address: str, *, timeout: float = 15) -> SentEmail:
        """The first email to `address`, waiting for it to arrive (without sleeping)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: self.to(address), timeout=timeout):
                raise AssertionError(f"no email to {address} reached Notify within {timeout}s")
            return self.to(address)[0]

    # Running ----------------------------------------------------------------------------------

    def start(self) -> FakeNotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read `sent` and `answered` instead

            def do_GET(self) -> None:
                status, answer = fake._look_up(self.path, self.headers.get("Authorization", ""))
                self._reply(status, answer)

            def _reply(self, status: int, answer: dict[str, Any]) -> None:
                body = json.dumps(answer).encode()
                # The client may have stopped waiting (a stalled request).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer, reference = fake._answer(
                    self.path, self.headers.get("Authorization", ""), raw
                )
                with fake._lock:
                    fake.answered.append((status, reference))
                self._reply(status, answer)

        self._released.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-notify", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # Answering --------------------------------------------------------------------------------

    def _answer(
        self, path: str, authorization: str, raw: bytes
    ) -> tuple[int, dict[str, Any], str | None]:
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            return (*_error(400, "BadRequestError", "Invalid JSON supplied in POST data"), None)
        reference = request.get("reference") if isinstance(request, dict) else None
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and scripted.accept:
            answered = self._answer_request(path, authorization, request, reference)
            self._released.wait(timeout=60)
            return answered
        if scripted is not None:
            if scripted.stall:
                self._released.wait(timeout=60)
            return (*_error(scripted.status, scripted.error, scripted.message), reference)
        return self._answer_request(path, authorization, request, reference)

    def _answer_request(
        self, path: str, authorization: str, request: Any, reference: str | None
    ) -> tuple[int, dict[str, Any], str | None]:
        if path != "/v2/notifications/email":
            return (*_error(404, "BadRequestError", "Not found"), reference)
        refused = self._check_token(authorization)
        if refused:
            return (*_error(403, "AuthError", refused), reference)
        if not isinstance(request, dict):
            return (*_error(400, "ValidationError", "Invalid JSON"), reference)
        status, answer = self._send(request)
        return status, answer, reference

    def _look_up(self, path: str, authorization: str) -> tuple[int, dict[str, Any]]:
        """`GET /v2/notifications?reference=...`: the emails it accepted with that reference."""
        url = urlsplit(path)
        if url.path != "/v2/notifications":
            return _error(404, "BadRequestError", "Not found")
        refused = self._check_token(authorization)
        if refused:
            return _error(403, "AuthError", refused)
        reference = parse_qs(url.query).get("reference", [""])[0]
        with self._lock:
            self.looked_up.append(reference)
            found = [email for email in self.sent if email.reference == reference]
        return 200, {
            "notifications": [
                {
                    "id": email.id,
                    "reference": email.reference,
                    "email_address": email.email_address,
                    "type": "email",
                    "status": "delivered",
                    "template": {"id": email.template_id, "version": 1},
                    "subject": email.subject,
                    "body": email.body,
                }
                for email in found
            ],
            "links": {"current": f"{self.base_url}{path}"},
        }

    def _check_token(self, authorization: str) -> str:
        """Why the token is refused, in Notify's words; empty when it is good."""
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            return "Unauthorized: authentication token must be provided"
        try:
            claims = jwt.decode(
                token,
                key=self.secret,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"], "verify_iat": False},
            )
        except jwt.InvalidTokenError:
            return "Invalid token: signature, api token not found"
        if claims["iss"] != self.service_id:
            return "Invalid token: service not found"
        if abs(time.time() - float(claims["iat"])) > CLOCK_LEEWAY_SECONDS:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return ""

    def _send(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        address = request.get("email_address")
        template_id = request.get("template_id")
        personalisation = request.get("personalisation") or {}
        reply_to = request.get("email_reply_to_id")
        if not isinstance(address, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            return _error(400, "ValidationError", "email_address Not a valid email address")
        if not isinstance(template_id, str) or not _UUID.fullmatch(template_id):
            return _error(400, "ValidationError", "template_id is not a valid UUID")
        template = self.templates.get(template_id)
        if template is None:
            return _error(400, "BadRequestError", "Template not found")
        if not isinstance(personalisation, dict):
            return _error(400, "ValidationError", "personalisation should be a dictionary")
        missing = [name for name in template.placeholders if name not in personalisation]
        if missing:
            return _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        if reply_to is not None and reply_to not in self.reply_to_ids:
            return _error(
                400,
                "BadRequestError",
                f"email_reply_to_id {reply_to} does not exist in database for service id "
                f"{self.service_id}",
            )
        rendered = template.render({key: str(value) for key, value in personalisation.items()})
        email = SentEmail(
            id=str(uuid.uuid4()),
            template_id=template_id,
            email_address=address,
            personalisation=dict(personalisation),
            reference=request.get("reference"),
            email_reply_to_id=reply_to,
            subject=rendered.subject,
            body=rendered.text.rstrip("\n"),
        )
        with self._arrived:
            with self._lock:
                self.sent.append(email)
            self._arrived.notify_all()
        return 201, {
            "id": email.id,
            "reference": email.reference,
            "content": {"subject": email.subject, "body": email.body, "from_email": FROM_EMAIL},
            "uri": f"{self.base_url}/v2/notifications/{email.id}",
            "template": {
                "id": template_id,
                "version": 1,
                "uri": f"{self.base_url}/services/{self.service_id}/templates/{template_id}",
            },
            "scheduled_for": None,
        }


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    """Notify's error answer."""
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


def start_fake_notify(
    templates: Mapping[str, MailTemplate],
    *,
    api_key: str | None = None,
    reply_to_ids: frozenset[str] = frozenset(),
    port: int = 0,
) -> FakeNotify:
    """Start the server on 127.0.0.1 (`port` 0: a free one); call `stop()` after."""
    return FakeNotify(
        api_key=api_key or notify_api_key(),
        templates=dict(templates),
        reply_to_ids=reply_to_ids,
        port=port,
    ).start()
