from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient


def test_one_line_per_request_with_the_route_template_and_no_query(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="portal.request"):
        response = client.get("/?child=Alice+Example")
        client.get("/static/css/portal.css?v=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.request"]
    assert len(lines) == 2
    method, path, status, duration, request_id = lines[0].split(" ")
    assert (method, path, status) == ("GET", "/", "200")
    assert duration.endswith("ms")
    assert request_id == f"id={response.headers['x-request-id']}"
    assert "Alice" not in lines[0]
    assert lines[1].startswith("GET /static 200 ")


def test_log_lines_are_in_utc_whatever_the_server_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from app.main import configure_logging
    from app.settings import Settings

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    root = logging.getLogger()
    kept = root.handlers[:]
    root.handlers = []
    try:
        configure_logging(Settings(environment="test"))
        [handler] = root.handlers
        assert handler.formatter is not None
        record = logging.LogRecord("portal.x", logging.INFO, __file__, 1, "hello", None, None)
        record.created = 1795000000.25  # 2026-11-18 11:06:40 UTC; 06:06:40 in New York
        record.msecs = 250
        assert handler.formatter.format(record).startswith("2026-11-18T11:06:40.250Z INFO")
    finally:
        root.handlers = kept
        monkeypatch.delenv("TZ")
        time.tzset()
