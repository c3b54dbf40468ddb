"""Pages for managers of the hub only (`require_hub_manager`): hub staff who are not managers
are told the page is for managers; everyone else gets what `require_hub` gives them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.request_model import PortalRoute
from app.routes.hub import require_hub_manager
from app.services.accounts import grant_manager_by_operator, user_by_email
from app.settings import Settings
from testkit.journeys import make_hub_user, register, sign_in
from tests.conftest import Clock

HUB = "hub.worker@hillingdon.example.gov.uk"
PROFESSIONAL = "grace.hopper@school.example.org"
PAGE = "/hub/managers-only"


@require_hub_manager
def managers_only(_request: Request) -> Response:
    return PlainTextResponse("For managers")


@pytest.fixture
def guarded_app(app: Starlette) -> Starlette:
    """The portal with one page behind the guard."""
    app.router.routes.insert(0, PortalRoute(PAGE, managers_only))
    return app


@pytest.fixture
def hub_client(guarded_app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    make_hub_user(settings, HUB, now=clock())
    with TestClient(guarded_app, headers={"Accept-Encoding": "identity"}) as hub:
        sign_in(hub, HUB)
        yield hub


def make_manager(settings: Settings, email: str, clock: Clock) -> None:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            user = user_by_email(session, email)
            assert user is not None
            grant_manager_by_operator(session, user, now=clock())
            session.commit()
    finally:
        engine.dispose()


def test_hub_staff_who_are_not_managers_are_told_the_page_is_for_managers(
    hub_client: TestClient, settings: Settings, clock: Clock
) -> None:
    refused = hub_client.get(PAGE)
    assert refused.status_code == 403
    assert refused.template.name == "pages/errors/managers_only.html"  # type: ignore[attr-defined]
    assert "You cannot see this page" in refused.text and "For managers" not in refused.text
    make_manager(settings, HUB, clock)
    # From their next page, without signing in again.
    allowed = hub_client.get(PAGE)
    assert allowed.status_code == 200 and allowed.text == "For managers"


def test_everyone_else_gets_what_the_hub_pages_give_them(
    guarded_app: Starlette, settings: Settings
) -> None:
    with TestClient(guarded_app) as client:
        signed_out = client.get(PAGE, follow_redirects=False)
        assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
        register(client, settings, PROFESSIONAL)
        assert client.get(PAGE).status_code == 404
