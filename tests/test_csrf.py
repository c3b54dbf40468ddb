"""Every state-changing request must carry the session's CSRF token (form field or header)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from app.routes.documents import takes_files
from app.security.csrf import MAX_FORM_BYTES
from tests.conftest import csrf_token_from


async def echo_form(request: Request) -> Response:
    fields = {}
    async with request.form() as form:
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields[key] = value
            else:
                fields[key] = f"file:{value.filename}:{len(await value.read())}"
    return JSONResponse(fields)


@pytest.fixture
def echo_client(app: Starlette) -> TestClient:
    """The real app with one extra route that echoes what reached it past the middleware."""
    app.router.routes.append(Route("/echo", echo_form, methods=["POST"]))
    with TestClient(app) as client:
        yield client


def token(client: TestClient) -> str:
    return csrf_token_from(client.get("/").text)


def test_form_with_the_token_first_reaches_the_handler_intact(echo_client: TestClient) -> None:
    response = echo_client.post(
        "/echo", data={"csrf_token": token(echo_client), "name": "Ada", "note": "a&b=c"}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Ada" and response.json()["note"] == "a&b=c"


def test_htmx_request_with_the_header_token_is_accepted(echo_client: TestClient) -> None:
    response = echo_client.post(
        "/echo", data={"name": "Ada"}, headers={"X-CSRF-Token": token(echo_client)}
    )
    assert response.status_code == 200 and response.json() == {"name": "Ada"}


def test_each_page_carries_a_different_token_and_all_of_them_work(echo_client: TestClient) -> None:
    first, second = token(echo_client), token(echo_client)
    assert first != second  # masked per render, so compression cannot reveal it
    for value in (first, second):
        assert echo_client.post("/echo", data={"csrf_token": value}).status_code == 200


def test_multipart_upload_is_checked_from_its_first_field(echo_client: TestClient) -> None:
    content = b"%PDF-1.7\n" + b"x" * 200_000
    response = echo_client.post(
        "/echo",
        data={"csrf_token": token(echo_client)},
        files={"document": ("consent.pdf", content, "application/pdf")},
    )
    assert response.status_code == 200
    assert response.json()["document"] == f"file:consent.pdf:{len(content)}"


@pytest.mark.parametrize(
    "bad",
    ["missing", "empty", "garbage", "wrong-length", "other-session", "secret-unmasked"],
)
def test_forms_without_a_valid_token_are_refused_with_a_clear_page(
    echo_client: TestClient, app: Starlette, bad: str
) -> None:
    good = token(echo_client)
    data = {"name": "Ada"}
    if bad == "empty":
        data["csrf_token"] = ""
    elif bad == "garbage":
        data["csrf_token"] = "not base64 !!"
    elif bad == "wrong-length":
        data["csrf_token"] = good[:20]
    elif bad == "other-session":
        with TestClient(app) as other:
            data["csrf_token"] = token(other)
    elif bad == "secret-unmasked":
        # The session's own secret, read from the (signed, not encrypted) cookie.
        payload = echo_client.cookies["portal-session"].split(".")[0]
        data["csrf_token"] = json.loads(base64.b64decode(payload))["csrf"]
    response = echo_client.post("/echo", data=data)
    assert response.status_code == 403
    assert "Sorry, we could not accept that form" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_header_token_that_is_wrong_is_refused(echo_client: TestClient) -> None:
    token(echo_client)
    response = echo_client.post("/echo", data={"x": "1"}, headers={"X-CSRF-Token": "nope"})
    assert response.status_code == 403


def test_multipart_with_the_token_after_the_file_is_refused(echo_client: TestClient) -> None:
    good = token(echo_client)
    boundary = "portalboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n{'x' * 20_000}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{good}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = echo_client.post(
        "/echo", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
def test_other_body_types_need_the_header(echo_client: TestClient, content_type: str) -> None:
    token(echo_client)
    response = echo_client.post(
        "/echo", content=b'{"csrf_token": "x"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 403


def test_an_oversized_urlencoded_form_gets_413_not_a_crash(echo_client: TestClient) -> None:
    response = echo_client.post(
        "/echo", data={"csrf_token": token(echo_client), "note": "x" * (1024 * 1024 + 10)}
    )
    assert response.status_code == 413
    assert "The form was too large to send" in response.text


def test_safe_methods_need_no_token(client: TestClient) -> None:
    assert client.get("/").status_code == 200
    assert client.head("/").status_code == 200


def test_every_form_body_is_bounded_however_it_is_sent(echo_client: TestClient) -> None:
    """Declared too large, or growing too large as it arrives (no Content-Length); urlencoded
    or multipart; the token in the field or the header: 413 with the GOV.UK page, and the
    handler never sees the form."""
    big = "y" * (MAX_FORM_BYTES + 1)
    csrf = token(echo_client)

    def arriving() -> Iterator[bytes]:
        body = f"note={big}".encode()
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    answers = [
        echo_client.post("/echo", data={"note": big}, headers={"X-CSRF-Token": csrf}),
        echo_client.post("/echo", data={"csrf_token": csrf}, files={"note": (None, big)}),
        echo_client.post("/echo", data={"csrf_token": csrf}, files={"f": ("a.txt", big)}),
        echo_client.post(
            "/echo",
            content=arriving(),
            headers={"X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 413
        assert "The form was too large to send" in answer.text


def test_only_the_routes_that_take_files_take_bodies_larger_than_a_form() -> None:
    """The upload, and the referrer's reply to the hub (which may carry documents): each checks
    its own Content-Length against the document limits."""

    def scope(method: str, path: str) -> dict[str, object]:
        return {"type": "http", "method": method, "path": path}

    assert takes_files(scope("POST", "/referrals/EH-2026-000001/documents"))  # type: ignore[arg-type]
    assert takes_files(scope("POST", "/referrals/EH-2026-000001/messages"))  # type: ignore[arg-type]
    for method, path in [
        ("GET", "/referrals/EH-2026-000001/documents"),
        ("POST", "/referrals/EH-2026-000001/documents/abc/remove"),
        ("POST", "/referrals/EH-2026-000001/documents/abc/description"),
        ("POST", "/hub/referrals/EH-2026-000001/messages"),
        ("POST", "/referrals/EH-2026-000001/sections/family/autosave"),
        ("POST", "/referrals/x/documents/../sections/family"),
    ]:
        assert not takes_files(scope(method, path))  # type: ignore[arg-type]


def test_a_malformed_part_after_a_valid_token_is_not_taken_for_a_missing_token(
    echo_client: TestClient,
) -> None:
    """The token part ended before the bad one: the token counts, and the form's own handling
    says what is wrong (here Starlette's 400 for a malformed body), not "could not accept"."""
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{token(echo_client)}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="f"; filename="a\rb.txt"\r\n\r\n'
        "text\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    response = echo_client.post(
        "/echo",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code != 403
    assert 400 <= response.status_code < 500
