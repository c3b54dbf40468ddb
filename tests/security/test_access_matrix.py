"""Who may open what: every route that takes an id, and every route of two-factor sign-in,
for every kind of visitor.

A professional gets 404 for any referral, document or message that is not theirs and for every
hub route; hub staff see sent referrals only, never drafts; someone signed out is sent to sign
in. The second step of signing in acts only for a session that has just passed the password
step: for everyone else it leads back to sign in. The routes come from the app's own routing
table, so a new route with an id in its path, or under two-factor sign-in, fails here until it
has an entry in the expectations below.

The referrals are built once per database (module scope); each case is then one request, named
route-method-actor-state. The cases that change something (delete a draft, remove a document)
have a referral or document of their own, so the order the cases run in does not matter.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pypdf
import pytest
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.models import Document, Referral
from app.services import two_factor
from app.services.accounts import user_by_email
from app.settings import Settings
from testkit.handover import api_token, bearer
from testkit.journeys import (
    VERSION_FIELD,
    complete_referral,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from testkit.postgres import create_database
from tests.conftest import Clock, backends, csrf_token_from, make_settings

OWNER = "owner"
OTHER = "other-professional"
HUB = "hub"
SIGNED_OUT = "signed-out"
SIGNED_OUT_HTMX = "signed-out-htmx"
ACTORS = (OWNER, OTHER, HUB, SIGNED_OUT, SIGNED_OUT_HTMX)

OWNER_EMAIL = "olive.owner@school.example.org"
OTHER_EMAIL = "oscar.other@clinic.example.org"
HUB_EMAIL = "hattie.hub@hillingdon.example.gov.uk"

MADE_UP_REFERENCE = "EH-2026-999999"
MADE_UP_KEY = "A" * 32
# The children's surnames: never on a page shown to someone who may not see the referral.
DRAFT_SURNAME = "Draftling"
SENT_SURNAME = "Sentinel"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The section (and address question) each section route is tried with: a different section
# for each route that saves, so that no case depends on another having run.
SECTION_FOR_ROUTE = {
    "/referrals/{reference}/sections/{section_id}": "consent",
    "/referrals/{reference}/sections/{section_id}/autosave": "additional-details",
    "/referrals/{reference}/sections/{section_id}/address/{question_id}": "your-details",
}
ADDRESS_QUESTION = "child_address"


@dataclass(frozen=True)
class Expected:
    """A status, and where a redirect leads (`{reference}` is filled in)."""

    status: int
    location: str | None = None


def to(location: str) -> Expected:
    return Expected(303, location)


SENT_PAGE = to("/referrals/{reference}/sent")
TASK_LIST = to("/referrals/{reference}")
NOT_FOUND = Expected(404)

# Referrer routes: what the owner gets, by state of their referral. Everyone else signed in
# (another professional, hub staff) gets 404.
REFERRER_ROUTES: dict[tuple[str, str], dict[str, Expected]] = {
    ("/referrals/{reference}", "GET"): {"draft": Expected(200), "sent": SENT_PAGE},
    ("/referrals/{reference}/how-it-works", "GET"): {"draft": Expected(200), "sent": SENT_PAGE},
    ("/referrals/{reference}/sections/{section_id}", "GET"): {
        "draft": Expected(200),
        "sent": SENT_PAGE,
    },
    # "Next" with nothing answered: the section's errors. A sent referral cannot change.
    ("/referrals/{reference}/sections/{section_id}", "POST"): {
        "draft": Expected(422),
        "sent": Expected(409),
    },
    ("/referrals/{reference}/sections/{section_id}/autosave", "POST"): {
        "draft": Expected(200),
        "sent": Expected(409),
    },
    ("/referrals/{reference}/sections/{section_id}/address/{question_id}", "POST"): {
        "draft": Expected(200),
        "sent": Expected(409),
    },
    ("/referrals/{reference}/documents", "GET"): {"draft": Expected(200), "sent": SENT_PAGE},
    # An upload with no file chosen.
    ("/referrals/{reference}/documents", "POST"): {
        "draft": Expected(422),
        "sent": Expected(409),
    },
    ("/referrals/{reference}/documents/{key}", "GET"): {
        "draft": Expected(200),
        "sent": Expected(200),
    },
    ("/referrals/{reference}/documents/{key}/remove", "POST"): {
        "draft": to("/referrals/{reference}/documents"),
        "sent": Expected(409),
    },
    # What a document is: said, or changed, on a draft only.
    ("/referrals/{reference}/documents/{key}/description", "GET"): {
        "draft": Expected(200),
        "sent": SENT_PAGE,
    },
    ("/referrals/{reference}/documents/{key}/description", "POST"): {
        "draft": to("/referrals/{reference}/documents#documents-list"),
        "sent": Expected(409),
    },
    ("/referrals/{reference}/delete", "GET"): {"draft": Expected(200), "sent": SENT_PAGE},
    ("/referrals/{reference}/delete", "POST"): {"draft": to("/recover"), "sent": Expected(409)},
    # A draft has no sent view and no thread yet: its owner is taken to its task list (as
    # /sent does for a draft), never told that their own referral does not exist. A reply is
    # sent with a document attached (FILES).
    ("/referrals/{reference}/view", "GET"): {"draft": TASK_LIST, "sent": Expected(200)},
    ("/referrals/{reference}/messages", "POST"): {
        "draft": TASK_LIST,
        "sent": to("/referrals/{reference}/view#timeline"),
    },
    ("/referrals/{reference}/pdf", "GET"): {"draft": Expected(200), "sent": Expected(200)},
    ("/referrals/{reference}/check-answers", "GET"): {
        "draft": Expected(200),
        "sent": Expected(200),
    },
    # The draft has missing answers: they are listed, nothing is sent.
    ("/referrals/{reference}/send", "GET"): {"draft": Expected(422), "sent": SENT_PAGE},
    # Submit pressed again once sent: "This form has already been sent" (409), not the
    # completion page as though this press had sent it.
    ("/referrals/{reference}/send", "POST"): {"draft": Expected(422), "sent": Expected(409)},
    ("/referrals/{reference}/sent", "GET"): {"draft": TASK_LIST, "sent": Expected(200)},
}

HUB_PAGE = to("/hub/referrals/{reference}")
# Hub routes: what hub staff get, by state of the referral. Every professional gets 404.
HUB_ROUTES: dict[tuple[str, str], dict[str, Expected]] = {
    ("/hub/referrals/{reference}", "GET"): {"draft": NOT_FOUND, "sent": Expected(200)},
    ("/hub/referrals/{reference}/status", "POST"): {"draft": NOT_FOUND, "sent": HUB_PAGE},
    ("/hub/referrals/{reference}/urgency", "POST"): {"draft": NOT_FOUND, "sent": HUB_PAGE},
    ("/hub/referrals/{reference}/allocation", "POST"): {"draft": NOT_FOUND, "sent": HUB_PAGE},
    ("/hub/referrals/{reference}/messages", "POST"): {"draft": NOT_FOUND, "sent": HUB_PAGE},
    ("/hub/referrals/{reference}/notes", "POST"): {"draft": NOT_FOUND, "sent": HUB_PAGE},
    ("/hub/referrals/{reference}/pdf", "GET"): {"draft": NOT_FOUND, "sent": Expected(200)},
    ("/hub/referrals/{reference}/documents/{key}", "GET"): {
        "draft": NOT_FOUND,
        "sent": Expected(200),
    },
    ("/hub/referrals/{reference}/documents/{key}/remove", "GET"): {
        "draft": NOT_FOUND,
        "sent": Expected(200),
    },
    # No reason given: asked for one, nothing removed.
    ("/hub/referrals/{reference}/documents/{key}/remove", "POST"): {
        "draft": NOT_FOUND,
        "sent": Expected(422),
    },
    ("/hub/referrals/{reference}/export.json", "GET"): {"draft": NOT_FOUND, "sent": Expected(200)},
}

# The case system's API answers an API token only: every visitor with a session (or none) gets
# 401, whatever the referral; the tokens themselves are tried in
# `test_only_a_valid_api_token_reads_the_api`.
NO_TOKEN = Expected(401)
API_ROUTES: dict[tuple[str, str], Expected] = {
    ("/api/v1/referrals/{reference}", "GET"): NO_TOKEN,
    ("/api/v1/referrals/{reference}/documents/{key}", "GET"): NO_TOKEN,
}

# Pages open to everyone whose id is not a referral's: the same answer for every visitor.
PUBLIC_ROUTES: dict[tuple[str, str], dict[str, Expected]] = {
    ("/start/{option}", "GET"): {"early-help": Expected(200), "made-up-option": NOT_FOUND},
    # Confirm with no names: the names are asked for.
    ("/start/{option}", "POST"): {"early-help": Expected(422), "made-up-option": NOT_FOUND},
}

# Two-factor sign-in: no id in the path, so the answer depends on who asks alone. The owner has
# no authenticator app, the other professional has one, and so have hub staff (who must). None
# of them has just passed the password step: the second step leads everyone back to sign in.
# Someone signed out is sent to sign in for the account's pages, as for every page of their own.
TWO_FACTOR_PREFIXES = ("/login/two-factor", "/login/recovery-code", "/account/two-factor")
NO_PASSWORD_STEP = "no-password-step"
OWN_ACCOUNT = "own-account"
TO_SIGN_IN = to("/login")
MANAGE_PAGE = to("/account/two-factor")
SIGN_IN_STEPS: dict[tuple[str, str], Expected] = {
    ("/login/two-factor", "GET"): TO_SIGN_IN,
    ("/login/two-factor", "POST"): TO_SIGN_IN,
    ("/login/recovery-code", "GET"): TO_SIGN_IN,
    ("/login/recovery-code", "POST"): TO_SIGN_IN,
    ("/login/two-factor/set-up", "GET"): TO_SIGN_IN,
    ("/login/two-factor/set-up", "POST"): TO_SIGN_IN,
}
# The account's two-factor pages: what each signed-in visitor gets. Posts send no code, so
# they are asked for one (422) wherever the form is theirs to use, and nothing changes.
ACCOUNT_ROUTES: dict[tuple[str, str], dict[str, Expected]] = {
    ("/account/two-factor", "GET"): {
        OWNER: Expected(200),
        OTHER: Expected(200),
        HUB: Expected(200),
    },
    # Setting up is for someone without an app.
    ("/account/two-factor/set-up", "GET"): {
        OWNER: Expected(200),
        OTHER: MANAGE_PAGE,
        HUB: MANAGE_PAGE,
    },
    ("/account/two-factor/set-up", "POST"): {
        OWNER: Expected(422),
        OTHER: MANAGE_PAGE,
        HUB: MANAGE_PAGE,
    },
    # New recovery codes are for someone with an app.
    ("/account/two-factor/recovery-codes", "POST"): {
        OWNER: MANAGE_PAGE,
        OTHER: Expected(422),
        HUB: Expected(422),
    },
    # Turning it off is for a professional with an app: hub staff cannot.
    ("/account/two-factor/turn-off", "POST"): {
        OWNER: MANAGE_PAGE,
        OTHER: Expected(422),
        HUB: MANAGE_PAGE,
    },
}
EXPECTATION_TABLES = (
    REFERRER_ROUTES,
    HUB_ROUTES,
    PUBLIC_ROUTES,
    SIGN_IN_STEPS,
    ACCOUNT_ROUTES,
    API_ROUTES,
)

# What each POST sends besides the CSRF token.
POST_DATA: dict[str, dict[str, str]] = {
    "/referrals/{reference}/sections/{section_id}": {"version": "0", "action": "next"},
    "/referrals/{reference}/sections/{section_id}/autosave": {"version": "0"},
    "/referrals/{reference}/sections/{section_id}/address/{question_id}": {
        "version": "0",
        "action": f"enter-address:{ADDRESS_QUESTION}",
    },
    "/referrals/{reference}/documents": {},
    "/referrals/{reference}/documents/{key}/description": {"description": "Signed consent"},
    "/referrals/{reference}/messages": {"reply": "Thank you, I will call the family."},
    "/hub/referrals/{reference}/status": {"status": "in-triage", "status_message": ""},
    "/hub/referrals/{reference}/urgency": {"urgency": "amber"},
    "/hub/referrals/{reference}/allocation": {"allocate_to": "me"},
    "/hub/referrals/{reference}/messages": {"message": "Could you send the school reports?"},
    "/hub/referrals/{reference}/notes": {"note": "Called the school: known to the nurse."},
    "/hub/referrals/{reference}/documents/{key}/remove": {"reason": ""},
    "/start/{option}": {"child_forename": "", "child_surname": ""},
    "/login/two-factor": {"code": ""},
    "/login/recovery-code": {"code": ""},
    "/login/two-factor/set-up": {"code": ""},
    "/account/two-factor/set-up": {"code": ""},
    "/account/two-factor/recovery-codes": {"code": ""},
    "/account/two-factor/turn-off": {"code": ""},
}

# The files a POST sends with it (an upload to Upload Documents sends none: it is refused).
FILES: dict[str, list[tuple[str, tuple[str, bytes, str]]]] = {
    "/referrals/{reference}/messages": [("documents", ("letter.pdf", PDF, "application/pdf"))],
}


# The cases, from the routing table ----------------------------------------------------------


def routes_with_ids(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Every Route whose path takes a parameter, with its full path (inside Mounts too)."""
    for route in routes:
        if isinstance(route, Mount):
            yield from routes_with_ids(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and "{" in prefix + route.path:
            yield prefix + route.path, route


def every_route(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Every Route with its full path (inside Mounts too)."""
    for route in routes:
        if isinstance(route, Mount):
            yield from every_route(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def methods_of(routes: Iterator[tuple[str, Route]]) -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, route in routes
        for method in sorted(route.methods or {"GET"})
        if method != "HEAD"
    ]


def id_routes() -> list[tuple[str, str]]:
    """(path, method) of every route with an id, in the app as built for development (which
    has every route production has, and more)."""
    app = create_app(make_settings("sqlite://", environment="development"))
    return methods_of(routes_with_ids(list(app.routes)))


def two_factor_routes() -> list[tuple[str, str]]:
    """(path, method) of every route of two-factor sign-in, in the app as built for
    development."""
    app = create_app(make_settings("sqlite://", environment="development"))
    return methods_of(
        (path, route)
        for path, route in every_route(list(app.routes))
        if path.startswith(TWO_FACTOR_PREFIXES)
    )


def states_for(path: str) -> list[str]:
    if path.startswith("/login/"):
        return [NO_PASSWORD_STEP]
    if path.startswith("/account/"):
        return [OWN_ACCOUNT]
    if path.startswith("/start/"):
        return ["early-help", "made-up-option"]
    states = ["draft", "sent", "made-up-reference"]
    if "{key}" in path:
        states += ["made-up-key", "another-referrals-key"]
        if path.startswith("/referrals/"):
            states.append("key-under-own-referral")
    if "{section_id}" in path:
        states.append("made-up-section")
    return states


@dataclass(frozen=True)
class Case:
    path: str
    method: str
    actor: str
    state: str

    @property
    def id(self) -> str:
        return f"{self.path}-{self.method}-{self.actor}-{self.state}"


@dataclass(frozen=True)
class NoExpectation:
    path: str
    method: str

    @property
    def id(self) -> str:
        return f"{self.path}-{self.method}-no-expectation"


def known(path: str, method: str) -> bool:
    return any((path, method) in table for table in EXPECTATION_TABLES)


def all_cases() -> list[Case | NoExpectation]:
    cases: list[Case | NoExpectation] = []
    for path, method in id_routes() + two_factor_routes():
        if not known(path, method):
            cases.append(NoExpectation(path, method))
            continue
        for state in states_for(path):
            cases.extend(Case(path, method, actor, state) for actor in ACTORS)
    return cases


CASES = all_cases()


def expected_for(case: Case) -> Expected:
    """The answer this actor should get for this route and state."""
    key = (case.path, case.method)
    if key in API_ROUTES:
        return API_ROUTES[key]
    if key in PUBLIC_ROUTES:
        return PUBLIC_ROUTES[key][case.state]
    if key in SIGN_IN_STEPS:
        return SIGN_IN_STEPS[key]
    if case.actor == SIGNED_OUT:
        return to("/login")
    if case.actor == SIGNED_OUT_HTMX:
        # A section page answers htmx with a redirect to sign in (what was typed is kept for
        # the user to sign in again); everything else says 401 so the page can tell the user.
        is_section_page = case.path == "/referrals/{reference}/sections/{section_id}"
        return Expected(200, "/login") if is_section_page else Expected(401)
    if key in ACCOUNT_ROUTES:
        return ACCOUNT_ROUTES[key][case.actor]
    if case.state not in ("draft", "sent"):
        return NOT_FOUND
    if key in REFERRER_ROUTES:
        return REFERRER_ROUTES[key][case.state] if case.actor == OWNER else NOT_FOUND
    return HUB_ROUTES[key][case.state] if case.actor == HUB else NOT_FOUND


# The referrals, built once per database -----------------------------------------------------


@dataclass
class World:
    clients: dict[str, TestClient]
    draft: str
    draft_to_delete: str
    sent: str
    others_draft: str
    draft_document: str
    draft_document_to_remove: str
    sent_document: str
    # Sent later, with the referrer's reply to the hub's message.
    reply_document: str
    # Sent by the other professional about the same child as `sent`.
    same_child: str = ""


def turn_on_two_factor(settings: Settings, email: str, *, now: datetime) -> list[str]:
    """Turn on two-factor sign-in for a user, as setting up from My Account does, with the
    code their app showed one step before `now` (this moment's codes are left for signing in).
    Returns their recovery codes."""
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            user = user_by_email(session, email)
            assert user is not None, email
            secret = two_factor.pending_secret(session, user)
            earlier = now - timedelta(seconds=two_factor.STEP_SECONDS)
            code = pyotp.TOTP(secret).at(earlier)
            codes = two_factor.confirm_setup(session, user, code, now=now)
            assert codes is not None, f"the set-up of {email} did not take its own code"
            session.commit()
            return codes
    finally:
        engine.dispose()


def upload(client: TestClient, reference: str, filename: str) -> None:
    token = csrf_token_from(client.get(f"/referrals/{reference}/documents").text)
    response = client.post(
        f"/referrals/{reference}/documents",
        data={"csrf_token": token, "description": "consent"},
        files=[("documents", (filename, PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def reply_with_document(client: TestClient, reference: str, filename: str) -> None:
    token = csrf_token_from(client.get(f"/referrals/{reference}/view").text)
    response = client.post(
        f"/referrals/{reference}/messages",
        data={"csrf_token": token, "reply": "Here is the letter you asked for."},
        files=[("documents", (filename, PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def document_keys(settings: Settings, reference: str) -> dict[str, str]:
    """{file name: storage key} of a referral's documents."""
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            rows = session.execute(
                select(Document.filename, Document.key)
                .join(Referral, Referral.id == Document.referral_id)
                .where(Referral.reference == reference)
            )
            return {filename: key for filename, key in rows}
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=backends())
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("access") / "portal.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database_url = f"sqlite:///{path}"
    else:
        database_url = create_database(
            request.getfixturevalue("postgres_admin_url"),
            f"portal_access_{os.getpid()}",
            request.getfixturevalue("postgres_template"),
        )
    settings = make_settings(database_url)
    clock = Clock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.services.passwords.BCRYPT_COST", 4)
        app = create_app(settings, clock=clock)
        headers = {"Accept-Encoding": "identity"}
        with (
            TestClient(app, headers=headers) as owner,
            TestClient(app, headers=headers) as other,
            TestClient(app, headers=headers) as hub,
            TestClient(app, headers=headers) as signed_out,
        ):
            register(owner, settings, OWNER_EMAIL)
            sent = start_referral(owner, "Sam", SENT_SURNAME)
            complete_referral(owner, sent)
            upload(owner, sent, "sent.pdf")
            assert post(owner, f"/referrals/{sent}/send").status_code == 303
            reply_with_document(owner, sent, "asked-for.pdf")
            draft = start_referral(owner, "Dora", DRAFT_SURNAME)
            upload(owner, draft, "draft.pdf")
            upload(owner, draft, "to-remove.pdf")
            draft_to_delete = start_referral(owner, "Dora", DRAFT_SURNAME)

            register(other, settings, OTHER_EMAIL)
            others_draft = start_referral(other, "Olly", "Ownchild")
            same_child = start_referral(other, "Sam", SENT_SURNAME)
            complete_referral(other, same_child)
            assert post(other, f"/referrals/{same_child}/send").status_code == 303
            turn_on_two_factor(settings, OTHER_EMAIL, now=clock())

            make_hub_user(settings, HUB_EMAIL, now=clock())
            assert sign_in(hub, HUB_EMAIL).status_code == 303

            draft_keys = document_keys(settings, draft)
            yield World(
                clients={
                    OWNER: owner,
                    OTHER: other,
                    HUB: hub,
                    SIGNED_OUT: signed_out,
                    SIGNED_OUT_HTMX: signed_out,
                },
                draft=draft,
                draft_to_delete=draft_to_delete,
                sent=sent,
                others_draft=others_draft,
                draft_document=draft_keys["draft.pdf"],
                draft_document_to_remove=draft_keys["to-remove.pdf"],
                sent_document=document_keys(settings, sent)["sent.pdf"],
                reply_document=document_keys(settings, sent)["asked-for.pdf"],
                same_child=same_child,
            )


def path_for(case: Case, world: World) -> str:
    """The case's route with real ids (or made-up ones, as the state says)."""
    is_hub_route = case.path.startswith("/hub/")
    destructive = case.method == "POST" and case.path.startswith("/referrals/")
    reference, key = {
        "draft": (world.draft, world.draft_document),
        "sent": (world.sent, world.sent_document),
        "made-up-reference": (MADE_UP_REFERENCE, world.sent_document),
        # A real referral the actor might see, with a key that does not exist...
        "made-up-key": (world.sent if is_hub_route else world.draft, MADE_UP_KEY),
        # ... or the key of another referral's document.
        "another-referrals-key": (
            (world.sent, world.draft_document)
            if is_hub_route
            else (world.draft, world.sent_document)
        ),
        # The other professional's own draft with the owner's document's key.
        "key-under-own-referral": (world.others_draft, world.draft_document),
        "made-up-section": (world.draft, world.draft_document),
    }.get(case.state, (world.draft, world.draft_document))
    if case.state == "draft" and destructive and case.path.endswith("/delete"):
        reference = world.draft_to_delete
    if case.state == "draft" and destructive and case.path.endswith("/remove"):
        key = world.draft_document_to_remove
    section = SECTION_FOR_ROUTE.get(case.path, "")
    if case.state == "made-up-section":
        section = "no-such-section"
    option = "no-such-option" if case.state == "made-up-option" else "early-help"
    return (
        case.path.replace("{reference}", reference)
        .replace("{key}", key)
        .replace("{section_id}", section)
        .replace("{question_id}", ADDRESS_QUESTION)
        .replace("{option}", option)
    )


def request_for(case: Case, world: World) -> tuple[str, httpx.Response]:
    client = world.clients[case.actor]
    path = path_for(case, world)
    headers = {"HX-Request": "true"} if case.actor == SIGNED_OUT_HTMX else {}
    if case.method == "GET":
        return path, client.get(path, headers=headers, follow_redirects=False)
    # A token from the actor's own session, as their browser would send it.
    token = csrf_token_from(client.get("/").text)
    data = {"csrf_token": token, **POST_DATA.get(case.path, {})}
    if "version" in data:
        # The section's version as its page shows it, to whoever may open the page.
        page = client.get(path.split("/address/")[0].removesuffix("/autosave"))
        version = VERSION_FIELD.search(page.text) if page.status_code == 200 else None
        data["version"] = version.group(1) if version else "0"
    return path, client.request(
        case.method,
        path,
        data=data,
        files=FILES.get(case.path),
        headers=headers,
        follow_redirects=False,
    )


# The tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_access(case: Case | NoExpectation, world: World) -> None:
    if isinstance(case, NoExpectation):
        pytest.fail(
            f"route {case.path} ({case.method}) has no access expectation: add it to "
            "REFERRER_ROUTES, HUB_ROUTES or PUBLIC_ROUTES in tests/security/test_access_matrix.py"
        )
    expected = expected_for(case)
    path, response = request_for(case, world)
    got = response.status_code
    assert got == expected.status, (
        f"{case.actor} {case.method} {path} ({case.state}): expected {expected.status}, got "
        f"{got} {response.headers.get('location', '')}"
    )
    if expected.location is not None:
        reference = re.match(r"/(?:hub/)?referrals/([^/]+)", path)
        location = expected.location.format(reference=reference.group(1) if reference else "")
        where = response.headers.get("hx-redirect" if got == 200 else "location")
        assert where == location, f"{case.method} {path} led to {where}, not {location}"
    if expected.status in {303, 401, 404}:
        # Nobody learns anything about a child they may not see.
        for surname in (DRAFT_SURNAME, SENT_SURNAME):
            assert surname not in response.text, f"{case.method} {path} shows {surname}"


def test_documents_sent_with_a_reply_are_for_their_referrer_and_hub_staff_only(
    world: World,
) -> None:
    """The document the owner sent with a reply: theirs to download, and hub staff's; nobody
    else's, under any referral's address; and never something to describe or remove as a
    draft's document is."""
    sent, key = world.sent, world.reply_document
    expected = {
        (f"/referrals/{sent}/documents/{key}", OWNER): 200,
        (f"/hub/referrals/{sent}/documents/{key}", HUB): 200,
        (f"/hub/referrals/{sent}/documents/{key}/remove", HUB): 200,
        (f"/referrals/{sent}/documents/{key}", OTHER): 404,
        (f"/referrals/{sent}/documents/{key}", HUB): 404,
        (f"/hub/referrals/{sent}/documents/{key}", OWNER): 404,
        (f"/hub/referrals/{sent}/documents/{key}", OTHER): 404,
        (f"/referrals/{world.others_draft}/documents/{key}", OTHER): 404,
        (f"/referrals/{world.draft}/documents/{key}", OWNER): 404,
        (f"/hub/referrals/{world.draft}/documents/{key}", HUB): 404,
        (f"/referrals/{sent}/documents/{key}", SIGNED_OUT): 303,
    }
    for (path, actor), status in expected.items():
        response = world.clients[actor].get(path, follow_redirects=False)
        assert response.status_code == status, f"{actor} GET {path}: {response.status_code}"
        if status != 200:
            assert SENT_SURNAME not in response.text
    # On a sent form, its description is fixed like every other document's.
    described = world.clients[OWNER].get(
        f"/referrals/{sent}/documents/{key}/description", follow_redirects=False
    )
    assert described.headers["location"] == f"/referrals/{sent}/sent"


def test_a_referrers_pages_never_show_other_referrals_of_the_same_child(world: World) -> None:
    """Two professionals each sent a referral about the same child: hub staff see each from
    the other's page; neither referrer sees, on any page of their own, that the other exists."""
    hub_page = world.clients[HUB].get(f"/hub/referrals/{world.sent}").text
    assert "Other referrals for this child" in hub_page
    assert f'href="/hub/referrals/{world.same_child}"' in hub_page
    for actor, own, others in (
        (OWNER, world.sent, world.same_child),
        (OTHER, world.same_child, world.sent),
    ):
        client = world.clients[actor]
        for path in (f"/referrals/{own}/sent", f"/referrals/{own}/view", "/submitted", "/"):
            page = client.get(path)
            assert page.status_code == 200, f"{actor} GET {path}: {page.status_code}"
            assert own in page.text or path == "/", f"{actor} GET {path} is not their page"
            assert others not in page.text, f"{actor} GET {path} shows {others}"
            assert "Other referrals for this child" not in page.text
            assert "ossible match" not in page.text
        pdf = client.get(f"/referrals/{own}/pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "".join(
            page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
        )
        assert own in text.replace("\n", "") and others not in text.replace("\n", "")
        assert "Other referrals" not in text


def test_only_a_valid_api_token_reads_the_api(world: World) -> None:
    """A missing, wrong or revoked token gets 401 and no data from every API route; a valid
    one reads the sent referral (never a draft); and a valid token opens no page."""
    client = world.clients[SIGNED_OUT]
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    now = client.app.state.clock()  # type: ignore[attr-defined]
    valid = api_token(settings, "matrix-case-system", now=now)
    revoked = api_token(settings, "matrix-revoked", now=now, revoked=True)
    sent, key = world.sent, world.sent_document
    api_paths = [
        "/api/v1/referrals",
        f"/api/v1/referrals/{sent}",
        f"/api/v1/referrals/{sent}/documents/{key}",
    ]
    refused = {
        "no token": {},
        "wrong token": bearer(valid[:-4] + "AAAA"),
        "revoked token": bearer(revoked),
        "token as a cookie": {"Cookie": f"token={valid}"},
    }
    for visitor in (SIGNED_OUT, OWNER, HUB):
        for name, headers in refused.items():
            for path in api_paths:
                response = world.clients[visitor].get(path, headers=headers)
                assert response.status_code == 401, f"{visitor}, {name}: GET {path}"
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert SENT_SURNAME not in response.text and sent not in response.text
    for path in api_paths:
        response = client.get(path, headers=bearer(valid))
        assert response.status_code == 200, path
    assert client.get(f"/api/v1/referrals/{world.draft}", headers=bearer(valid)).status_code == 404
    listed = client.get("/api/v1/referrals", headers=bearer(valid)).json()["referrals"]
    # The sent ones (another professional's about the same child too), never the draft.
    assert sorted(item["reference"] for item in listed) == sorted([sent, world.same_child])
    # An API token is not a way into the pages, hub staff's or anyone's.
    for path in (
        "/hub/referrals",
        "/hub/referrals.csv",
        f"/hub/referrals/{sent}",
        f"/hub/referrals/{sent}/export.json",
        f"/hub/referrals/{sent}/documents/{key}",
        f"/referrals/{sent}/view",
        f"/referrals/{world.draft}",
    ):
        response = client.get(path, headers=bearer(valid), follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login", path


def test_every_expectation_is_for_a_route_that_exists() -> None:
    routes = set(id_routes() + two_factor_routes())
    stale = [
        f"{method} {path}"
        for table in EXPECTATION_TABLES
        for path, method in table
        if (path, method) not in routes
    ]
    assert not stale, f"expectations for routes the app no longer has: {stale}"


def test_the_matrix_covers_the_referral_hub_and_document_routes() -> None:
    paths = {path for path, _ in id_routes()}
    assert "/referrals/{reference}/documents/{key}" in paths
    assert "/hub/referrals/{reference}/documents/{key}/remove" in paths
    assert {path for path, _ in two_factor_routes()} >= {
        "/login/two-factor",
        "/account/two-factor/turn-off",
    }
    assert len(CASES) > 400
