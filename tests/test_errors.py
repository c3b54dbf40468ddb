"""Error pages: GOV.UK wording, the right status, no stack trace; 503 when the database fails."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.testclient import TestClient

from app.db import request_session
from app.main import create_app
from app.migrations import upgrade_to_head
from app.request_model import PortalRoute
from testkit.postgres import free_port
from tests.conftest import csrf_token_from, make_settings


def explode(request: Request) -> Response:
    raise RuntimeError("secret internal detail: child name Alice Example")


def query_database(request: Request) -> Response:
    request_session(request).execute(text("SELECT 1"))
    return PlainTextResponse("answered")


def test_unknown_page_gets_the_gov_uk_not_found_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<title>Page not found" in response.text
    assert "If you typed the web address, check it is correct." in response.text


def test_wrong_method_is_a_4xx_page_not_a_crash(client: TestClient) -> None:
    token = csrf_token_from(client.get("/").text)
    response = client.post("/", data={"csrf_token": token})
    assert response.status_code == 405
    assert "Page not found" in response.text


def test_unexpected_error_shows_a_reference_and_no_details(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(database_url))
    app.router.routes.append(PortalRoute("/explode", explode))
    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "Alice" not in response.text and "Traceback" not in response.text
    reference = response.headers["x-request-id"]
    assert reference in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert any(reference in record.getMessage() for record in caplog.records)


@pytest.fixture(params=["sqlite-missing-folder", "postgresql-closed-port"])
def unreachable_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'not-yet' / 'portal.db'}"
    return f"postgresql+psycopg://portal@127.0.0.1:{free_port()}/portal"


def test_database_unreachable_gives_503_and_healthz_fails(unreachable_database_url: str) -> None:
    app = create_app(make_settings(unreachable_database_url))
    app.router.routes.append(PortalRoute("/query", query_database))
    with TestClient(app) as client:
        page = client.get("/query")
        health = client.get("/healthz")
        home = client.get("/")
    assert page.status_code == 503
    assert "Sorry, the service is unavailable" in page.text
    assert page.headers["retry-after"] == "30"
    assert health.status_code == 503 and health.headers["retry-after"] == "30"
    assert home.status_code == 200  # pages that need no database still work


def test_service_recovers_by_itself_when_the_database_returns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'arrives-later' / 'portal.db'}"
    app = create_app(make_settings(url))
    app.router.routes.append(PortalRoute("/query", query_database))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 503
        upgrade_to_head(url)  # the database becomes available while the app keeps running
        assert client.get("/healthz").status_code == 200
        assert client.get("/query").text == "answered"


def test_healthz_answers_ok_when_the_database_does(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (
        response.status_code == 200 and response.text == "ok\nvirus scanner: off\npdfs: unchecked"
    )
