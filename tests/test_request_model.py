"""The request model (app/request_model.py): handlers run in workers, never on the event loop.

The whole suite runs with the loop guard on (PORTAL_ENV=test): a handler that asked for a
database connection on the loop would fail every test that reaches it. These tests show the
guard itself, that every route of the app is a worker route (bar the few that stay on the loop
on purpose), that a full lane answers 503 quickly, and that HEAD is answered as GET.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory, request_session
from app.main import create_app
from app.models import Referral
from app.request_model import PortalRoute
from app.settings import Settings
from testkit.journeys import register, start_referral
from tests.conftest import make_settings

# Plain Starlette routes that stay on the event loop on purpose: they never touch the database
# (security.txt), or ask it from the shared thread pool (the health check).
ON_THE_LOOP = {"/healthz", "/.well-known/security.txt"}


async def asks_on_the_loop(request: Request) -> Response:
    request_session(request).execute(text("SELECT 1"))
    return PlainTextResponse("answered")


def test_every_route_runs_in_a_worker_but_the_few_on_the_loop(settings: Settings) -> None:
    app = create_app(make_settings(settings.database_url, environment="development"))
    on_loop = set()
    for route in app.routes:
        if isinstance(route, Mount):
            continue  # static files: no database
        assert isinstance(route, Route)
        if not isinstance(route, PortalRoute):
            on_loop.add(route.path)
    assert on_loop == ON_THE_LOOP


def test_the_database_asked_on_the_event_loop_fails_loudly(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    app.router.routes.append(Route("/on-the-loop", asks_on_the_loop))
    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/on-the-loop")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert any(
        "DatabaseOnEventLoop" in record.exc_text for record in caplog.records if record.exc_text
    )


def test_a_worker_route_may_ask_the_database(settings: Settings) -> None:
    def asks_in_a_worker(request: Request) -> Response:
        request_session(request).execute(text("SELECT 1"))
        return PlainTextResponse("answered")

    app = create_app(settings)
    app.router.routes.append(PortalRoute("/in-a-worker", asks_in_a_worker))
    with TestClient(app) as client:
        assert client.get("/in-a-worker").text == "answered"


@pytest.fixture
def one_slow_worker(settings: Settings) -> Iterator[tuple[TestClient, threading.Event]]:
    """An app with one worker for pages, a 0.3 s wait for it, and a page that holds its worker
    until the test lets it go."""
    release = threading.Event()

    def holds_its_worker(request: Request) -> Response:
        release.wait(10)
        return PlainTextResponse("done")

    app = create_app(
        make_settings(settings.database_url, request_workers=1, request_queue_seconds=0.3)
    )
    app.router.routes.append(PortalRoute("/slow", holds_its_worker))
    with TestClient(app) as client:
        yield client, release
        release.set()


def test_a_request_that_cannot_get_a_worker_soon_gets_the_503_page(
    one_slow_worker: tuple[TestClient, threading.Event],
) -> None:
    client, release = one_slow_worker
    answers: list[int] = []
    holder = threading.Thread(target=lambda: answers.append(client.get("/slow").status_code))
    holder.start()
    try:
        # The health check and security.txt stay on the loop: they answer while pages wait.
        while not answers and client.get("/healthz").status_code == 200:
            page = client.get("/cookies")
            if page.status_code == 503:
                break
        assert page.status_code == 503
        assert "Sorry, the service is unavailable" in page.text
        assert page.headers["retry-after"]
        assert client.get("/.well-known/security.txt").status_code == 200
    finally:
        release.set()
        holder.join(10)
    assert answers == [200]
    assert client.get("/cookies").status_code == 200  # the worker is free again


def test_head_is_answered_as_get_and_changes_nothing(
    client: TestClient, settings: Settings
) -> None:
    """HEAD on a page that also takes a form (delete a draft, send it) shows the page and
    changes nothing, with no CSRF token needed."""
    register(client, settings, "hana.head@school.example.org")
    reference = start_referral(client)
    for path in (f"/referrals/{reference}/delete", f"/referrals/{reference}/send"):
        response = client.head(path, follow_redirects=False)
        assert response.status_code == client.get(path, follow_redirects=False).status_code
        assert response.content == b""
    assert client.get(f"/referrals/{reference}").status_code == 200
    engine = create_database_engine(settings.database_url)
    with create_session_factory(engine)() as session:
        referral = session.scalars(select(Referral).where(Referral.reference == reference)).one()
        assert referral.status == "draft"
    engine.dispose()
