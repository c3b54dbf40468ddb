"""Adding a question to the schema needs no other edit: a question declared only in a test's
Assessment is drawn on its section page, checked when missing, saved and read back on check
your answers, on each database."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from app.assessment.answer_types import Text
from app.assessment.model import Assessment, Question
from app.assessment.schema import ASSESSMENT
from app.main import create_app
from app.settings import Settings
from testkit.journeys import post, register
from tests.conftest import Clock

EMAIL = "ada.lovelace@school.example.org"
SECTION = "additional-details"
TOY = Question("favourite_toy", "The child's favourite toy", Text(max_length=100))


def with_favourite_toy() -> Assessment:
    sections = tuple(
        dataclasses.replace(section, questions=(*section.questions, TOY))
        if section.id == SECTION
        else section
        for section in ASSESSMENT.sections
    )
    return dataclasses.replace(ASSESSMENT, sections=sections)


@pytest.fixture
def toy_client(
    settings: Settings, clock: Clock, fast_password_hashing: None
) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, assessment=with_favourite_toy())
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as client:
        yield client


@pytest.fixture
def reference(toy_client: TestClient, settings: Settings) -> str:
    register(toy_client, settings, EMAIL)
    response = post(toy_client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    assert response.status_code == 303
    match = re.fullmatch(r"/referrals/([^/]+)/how-it-works", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def version_on(page: str) -> str:
    match = re.search(r'name="version"[^>]*value="(-?\d+)"', page)
    assert match, "no version field on the page"
    return match.group(1)


def submit(client: TestClient, reference: str, **answers: str) -> httpx.Response:
    url = f"/referrals/{reference}/sections/{SECTION}"
    page = client.get(url)
    assert page.status_code == 200
    return post(client, url, version=version_on(page.text), action="next", **answers)


def test_the_test_assessment_only_adds_the_question() -> None:
    assessment = with_favourite_toy()
    section = assessment.section(SECTION)
    original = ASSESSMENT.section(SECTION)
    assert section is not None and original is not None
    assert section.questions == (*original.questions, TOY)
    assert [s.id for s in assessment.sections] == [s.id for s in ASSESSMENT.sections]
    assert "favourite_toy" not in {q.id for s in ASSESSMENT.sections for q in s.questions}


def test_a_question_added_to_the_schema_works_everywhere(
    toy_client: TestClient, reference: str
) -> None:
    page = toy_client.get(f"/referrals/{reference}/sections/{SECTION}")
    assert page.status_code == 200
    assert "The child&#39;s favourite toy" in page.text or "The child's favourite toy" in page.text
    assert 'name="favourite_toy"' in page.text

    missing = submit(toy_client, reference, has_disability="no", has_sen="no")
    assert missing.status_code == 422
    body = missing.text
    unescaped = body.replace("&#39;", "'")
    assert "Enter the child's favourite toy" in unescaped
    assert re.search(r'href="#favourite_toy"[^>]*>\s*Enter the child', unescaped)

    saved = submit(
        toy_client, reference, has_disability="no", has_sen="no", favourite_toy="A blue teddy"
    )
    assert saved.status_code == 303, saved.text

    check = toy_client.get(f"/referrals/{reference}/check-answers")
    assert check.status_code == 200
    text = check.text.replace("&#39;", "'")
    assert "The child's favourite toy" in text
    assert "A blue teddy" in text
    assert text.index("The child's favourite toy") < text.index("A blue teddy")

    # The answer is kept: the section page shows it again.
    again = toy_client.get(f"/referrals/{reference}/sections/{SECTION}").text
    assert 'value="A blue teddy"' in again


def test_an_added_questions_answer_is_shown_as_text(toy_client: TestClient, reference: str) -> None:
    saved = submit(
        toy_client,
        reference,
        has_disability="no",
        has_sen="no",
        favourite_toy="<b>Rex</b>",
    )
    assert saved.status_code == 303
    check = toy_client.get(f"/referrals/{reference}/check-answers").text
    assert "&lt;b&gt;Rex&lt;/b&gt;" in check
    assert "<b>Rex</b>" not in check
