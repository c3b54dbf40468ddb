"""How a request is handled: the event loop reads, a worker thread works.

Every route's handler is a plain function. On the event loop, the request's body is read (with
a deadline: `SlowBodyMiddleware`) and its form parsed; then the handler runs whole in a worker
thread, with the request's database session, and that session is closed in the same thread
before the response goes back to the loop. So the loop never waits on the database, on bcrypt,
on WeasyPrint or on SMTP, and no connection is held while a client sends or reads slowly.

Worker threads come in two lanes, each a bounded queue: `pages` for ordinary work, and `heavy`
(sized to the machine's cores) for password hashing, second-factor checks and PDFs, so that 40
sign-ins at once wait their turn there instead of starving everyone else. A request that cannot
get a worker within `REQUEST_QUEUE_SECONDS` gets the 503 page. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("portal.requests")

Handler = Callable[[Request], Response]
Check = Callable[[Request], Response | None]
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ServiceBusy(Exception):
    """No worker (or no database connection) could be had in time: the 503 page."""


class DatabaseOnEventLoop(RuntimeError):
    """Code running on the event loop asked for a database connection."""


def on_event_loop() -> bool:
    """True in the event loop's own thread; worker threads have no running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dataclass
class Lane:
    """A bounded queue of worker threads: at most `size` requests in it at once, each in one
    of its threads; the others wait their turn, on the loop, without a thread."""

    name: str
    size: int
    slots: asyncio.Semaphore
    threads: ThreadPoolExecutor

    @classmethod
    def create(cls, name: str, size: int) -> Lane:
        threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"portal-{name}")
        return cls(name, size, asyncio.Semaphore(size), threads)


@dataclass
class Lanes:
    """The two lanes of one app instance, and the uploads each user has on their way."""

    pages: Lane
    heavy: Lane
    queue_seconds: float
    uploads_per_user: int
    _uploads: Counter[int] = field(default_factory=Counter)
    _uploads_lock: Lock = field(default_factory=Lock)

    @classmethod
    def create(
        cls, *, pages: int, heavy: int, queue_seconds: float, uploads_per_user: int
    ) -> Lanes:
        return cls(
            pages=Lane.create("pages", pages),
            heavy=Lane.create("heavy", heavy),
            queue_seconds=queue_seconds,
            uploads_per_user=uploads_per_user,
        )

    def close(self) -> None:
        """Stop the threads once their work is done (the app is stopping)."""
        for lane in (self.pages, self.heavy):
            lane.threads.shutdown(wait=False)

    @contextmanager
    def upload_slot(self, user_id: int) -> Iterator[bool]:
        """Yields whether this user may start another upload now (at most `uploads_per_user`
        at once on this instance); the slot is given back afterwards."""
        with self._uploads_lock:
            allowed = self._uploads[user_id] < self.uploads_per_user
            if allowed:
                self._uploads[user_id] += 1
        try:
            yield allowed
        finally:
            if allowed:
                with self._uploads_lock:
                    self._uploads[user_id] -= 1
                    if not self._uploads[user_id]:
                        del self._uploads[user_id]


async def in_worker(request: Request, lane: Lane, work: Callable[[], Any]) -> Any:
    """Run `work` in a worker thread of `lane`, waiting at most the queue time for one; the
    request's database session is closed in that thread when the work ends."""
    lanes: Lanes = request.state.lanes
    if lane.slots.locked():
        try:
            await asyncio.wait_for(lane.slots.acquire(), lanes.queue_seconds)
        except TimeoutError:
            logger.warning("no %s worker free within %ss", lane.name, lanes.queue_seconds)
            raise ServiceBusy(lane.name) from None
    else:
        await lane.slots.acquire()  # free: no wait, no trip round the loop
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(lane.threads, _work_then_close, request, work)
    finally:
        lane.slots.release()


def _work_then_close(request: Request, work: Callable[[], Any]) -> Any:
    try:
        return work()
    finally:
        close_request_session(request)


def close_request_session(request: Request) -> None:
    """End the request's database session (rolling back what was not committed) and give its
    connection back to the pool; a later use in this request starts a new one."""
    session = getattr(request.state, "db", None)
    if session is not None:
        session.close()


@dataclass(frozen=True)
class FormLimits:
    """What a route's posted form may hold (Starlette's `request.form` options)."""

    max_files: int = 1000
    max_fields: int = 1000
    max_part_size: int = 1024 * 1024


async def read_posted_form(request: Request, limits: FormLimits) -> None:
    """Parse the body of a form post on the loop (files spool to temporary files), before any
    database work. A form that cannot be read is kept as `request.state.form_error` for the
    handler to explain."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method in ("GET", "HEAD") or content_type not in FORM_TYPES:
        request.state.form = FormData()
        return
    try:
        request.state.form = await request.form(
            max_files=limits.max_files,
            max_fields=limits.max_fields,
            max_part_size=limits.max_part_size,
        )
    except HTTPException as error:
        if error.status_code != 400:
            raise
        request.state.form = FormData()
        request.state.form_error = error


def posted_form(request: Request) -> FormData:
    """The form read before the handler ran (empty for a GET)."""
    form: FormData | None = getattr(request.state, "form", None)
    return form if form is not None else FormData()


class PortalRoute(Route):
    """A route whose handler is a plain function, run as the module docstring says.

    `heavy` names the methods whose work is CPU-heavy (they go in the heavy lane); `before_body`
    is a check run in a worker before a large body is read (an upload: who may send it, and
    whether it fits), answering a response to refuse it or None to go on. HEAD is answered as
    GET without a body, so that no handler ever changes anything on HEAD.
    """

    def __init__(
        self,
        path: str,
        endpoint: Handler,
        *,
        methods: Collection[str] | None = None,
        name: str | None = None,
        heavy: Collection[str] = (),
        before_body: Check | None = None,
        form_limits: FormLimits = FormLimits(),
    ) -> None:
        super().__init__(path, endpoint, methods=methods, name=name)
        self.app = request_response(
            _worker_endpoint(endpoint, frozenset(heavy), before_body, form_limits)
        )


def _worker_endpoint(
    endpoint: Handler,
    heavy: frozenset[str],
    before_body: Check | None,
    form_limits: FormLimits,
) -> Callable[[Request], Any]:
    @functools.wraps(endpoint)
    async def endpoint_on_loop(request: Request) -> Response:
        if request.method == "HEAD":
            request = _as_get(request)
        lanes: Lanes = request.state.lanes
        lane = lanes.heavy if request.method in heavy else lanes.pages
        if before_body is None or request.method == "GET":
            return await _read_then_work(request, lane, endpoint, form_limits)
        refusal: Response | None = await in_worker(
            request, lanes.pages, lambda: before_body(request)
        )
        if refusal is not None:
            return refusal
        # A large body on its way: a few at a time per user (the check signed them in).
        user = request.state.user
        with lanes.upload_slot(user.id) as allowed:
            if not allowed:
                raise HTTPException(429)
            return await _read_then_work(request, lane, endpoint, form_limits)

    return endpoint_on_loop


async def _read_then_work(
    request: Request, lane: Lane, endpoint: Handler, form_limits: FormLimits
) -> Response:
    try:
        await read_posted_form(request, form_limits)
    except ClientDisconnect:
        # Nothing to answer and nothing kept: the spooled files go with the form.
        route = request.scope.get("route")
        logger.info("client went away while sending %s", getattr(route, "path", "?"))
        return Response(status_code=400)
    try:
        result: Response = await in_worker(request, lane, lambda: endpoint(request))
        return result
    finally:
        if request.headers.get("content-type", "").startswith("multipart/"):
            await posted_form(request).close()  # its files' temporary files


def _as_get(request: Request) -> Request:
    """The same request seen as a GET (the server still sends no body for HEAD)."""
    scope = {**request.scope, "method": "GET"}
    return Request(scope, request.receive)


# Slow and stalled bodies -------------------------------------------------------------------


class SlowBodyMiddleware:
    """Cuts off a request whose body stalls or trickles: no part for `idle_seconds`, or, after
    that long, less than `min_rate` bytes a second on average. The request ends with the 408
    page (its partial upload, in an anonymous temporary file, goes with it)."""

    def __init__(self, app: ASGIApp, *, idle_seconds: float, min_rate: int) -> None:
        self.app = app
        self.idle_seconds = idle_seconds
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        received = 0
        finished = False

        async def guarded() -> Message:
            nonlocal received, finished
            if finished:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.idle_seconds)
            except TimeoutError:
                logger.info("request body stalled for %ss: cut off", self.idle_seconds)
                raise HTTPException(408) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
                elapsed = time.monotonic() - started
                if (
                    not finished
                    and elapsed > self.idle_seconds
                    and received < self.min_rate * elapsed
                ):
                    logger.info("request body slower than %s bytes/s: cut off", self.min_rate)
                    raise HTTPException(408)
            return message

        await self.app(scope, guarded, send)
