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
