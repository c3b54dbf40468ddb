"""Odd input posted to a section page gets an answer, never a server error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from testkit.journeys import post, register
from tests.conftest import Clock

EMAIL = "grace.hopper@school.example.org"


@pytest.fixture
def lenient_client(
    settings: Settings, clock: Clock, fast_password_hashing: None
) -> Iterator[TestClient]:
    # Server errors come back as a 500 response rather than raising in the test.
    app = create_app(settings, clock=clock)
    with TestClient(
        app, headers={"Accept-Encoding": "identity"}, raise_server_exceptions=False
    ) as client:
        yield client


@pytest.fixture
def section_url(lenient_client: TestClient, settings: Settings) -> str:
    register(lenient_client, settings, EMAIL)
    response = post(
        lenient_client, "/start/early-help", child_forename="Sam", child_surname="Smith"
    )
    reference = response.headers["location"].split("/")[2]
    return f"/referrals/{reference}/sections/your-details"


def version_on(page: str) -> str:
    match = re.search(r'name="version"[^>]*value="(-?\d+)"', page)
    assert match, "no version field on the page"
    return match.group(1)


@pytest.mark.parametrize(
    ("day", "status"),
    [
        pytest.param("31", 422, id="unreal-date"),
        pytest.param("x", 422, id="letter"),
        pytest.param("²", 422, id="superscript-digit"),
    ],
)
def test_a_bad_date_of_birth_is_a_validation_error(
    lenient_client: TestClient, section_url: str, day: str, status: int
) -> None:
    version = version_on(lenient_client.get(section_url).text)
    response = post(
        lenient_client,
        section_url,
        version=version,
        action="next",
        child_born="yes",
        **{"child_dob-day": day, "child_dob-month": "2", "child_dob-year": "2020"},
    )
    assert response.status_code == status
    assert "Date of birth: the date must be a real date" in response.text


@pytest.mark.parametrize(
    "version",
    [
        pytest.param("abc", id="letters"),
        pytest.param("-5", id="negative"),
        pytest.param("²", id="superscript-digit"),
    ],
)
def test_a_malformed_version_is_treated_as_a_stale_page(
    lenient_client: TestClient, section_url: str, version: str
) -> None:
    response = post(
        lenient_client, section_url, version=version, action="save", child_forename="Sam"
    )
    assert response.status_code == 409
