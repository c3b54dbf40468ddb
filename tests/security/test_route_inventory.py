"""Every route in the routing table, classified: who uses it and what it may change.

A request that changes something (POST, PUT, PATCH, DELETE) without the session's CSRF token, or
with another session's, is refused with 403 and leaves every table exactly as it was. A GET
changes nothing either, apart from the read records listed in READ_RECORDS (an audit trail of
who looked at what). The routes come from the app's own routing table, so a new route fails
here until it is classified in ROUTES.

The referrals are built once per database; each case then compares a snapshot of every table
(row count and a hash of the contents) taken just before and just after one request.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.engine import Engine
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from app.db import create_database_engine
from app.main import create_app
from app.settings import Settings
from testkit.handover import api_token, bearer
from testkit.journeys import (
    STRONG_PASSWORD,
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
from tests.security.test_access_matrix import (
    FILES,
    HUB,
    OWNER,
    PDF,
    POST_DATA,
    SIGNED_OUT,
    Case,
    World,
    document_keys,
    path_for,
    reply_with_document,
    turn_on_two_factor,
    upload,
)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OWNER_EMAIL = "rina.referrer@school.example.org"
OTHER_EMAIL = "omar.other@clinic.example.org"
HUB_EMAIL = "harriet.hub@hillingdon.example.gov.uk"
NEW_HUB_EMAIL = "nadia.newhub@hillingdon.example.gov.uk"

# Who each route is for. A route's requests are made as that kind of visitor:
#   "anyone": a page for everyone (tried signed out, as a professional and as hub staff);
#   "signed-in": a page of the signed-in user's own account (tried as a professional and as hub
#       staff, and signed out);
#   "referrer": a referral's own pages, tried as its owner on a draft and on a sent referral;
#   "hub": hub staff's pages, tried as hub staff on a sent referral;
#   "development": only in development (tried anyway: elsewhere it does not exist);
#   "api": the case system's API, tried with an API token on a sent referral, and signed out and
#       as hub staff without one.
ANYONE = "anyone"
SIGNED_IN = "signed-in"
REFERRER = "referrer"
HUB_STAFF = "hub"
DEVELOPMENT = "development"
# The case system's API: tried with a valid API token, and with a session and no token.
API = "api"
API_CLIENT = "api-token"

# The visitors two-factor sign-in acts for, tried besides the usual ones: a session that has
# passed the password step and awaits the code (a professional with an app), one awaiting an
# app's set-up (hub staff without one), and a professional signed in with an app.
AWAITING_CODE = "awaiting-code"
AWAITING_SET_UP = "awaiting-set-up"
WITH_APP = "professional-with-app"
ACTS_FOR: dict[str, str] = {
    "/login/two-factor": AWAITING_CODE,
    "/login/recovery-code": AWAITING_CODE,
    "/login/two-factor/set-up": AWAITING_SET_UP,
    "/account/two-factor/recovery-codes": WITH_APP,
    "/account/two-factor/turn-off": WITH_APP,
}

ROUTES: dict[str, str] = {
    "/": ANYONE,
    "/accessibility": ANYONE,
    "/cookies": ANYONE,
    "/healthz": ANYONE,
    "/.well-known/security.txt": ANYONE,
    "/login": ANYONE,
    # The second step of signing in: open to anyone, acting only for a session that has just
    # passed the password step (anyone else is sent back to sign in).
    "/login/two-factor": ANYONE,
    "/login/recovery-code": ANYONE,
    "/login/two-factor/set-up": ANYONE,
    "/logout": SIGNED_IN,
    "/signed-out": ANYONE,
    "/session/keep-alive": SIGNED_IN,
    "/register": ANYONE,
    "/register/account": ANYONE,
    "/register/code": ANYONE,
    "/register/complete": ANYONE,
    "/account": SIGNED_IN,
    "/account/change-password": SIGNED_IN,
    "/account/password-changed": SIGNED_IN,
    "/account/two-factor": SIGNED_IN,
    "/account/two-factor/set-up": SIGNED_IN,
    "/account/two-factor/recovery-codes": SIGNED_IN,
    "/account/two-factor/turn-off": SIGNED_IN,
    "/forgotten-password": ANYONE,
    "/forgotten-password/code": ANYONE,
    "/forgotten-password/new": ANYONE,
    "/forgotten-password/done": ANYONE,
    "/password-policy": ANYONE,
    "/recover": SIGNED_IN,
    "/submitted": SIGNED_IN,
    "/start/continue": SIGNED_IN,
    "/start/{option}": ANYONE,
    "/early-health-notifications": ANYONE,
    "/professionals": ANYONE,
    "/referrals/{reference}": REFERRER,
    "/referrals/{reference}/how-it-works": REFERRER,
    "/referrals/{reference}/sections/{section_id}": REFERRER,
    "/referrals/{reference}/sections/{section_id}/autosave": REFERRER,
    "/referrals/{reference}/sections/{section_id}/address/{question_id}": REFERRER,
    "/referrals/{reference}/documents": REFERRER,
    "/referrals/{reference}/documents/{key}": REFERRER,
    "/referrals/{reference}/documents/{key}/remove": REFERRER,
    "/referrals/{reference}/documents/{key}/description": REFERRER,
    "/referrals/{reference}/delete": REFERRER,
    "/referrals/{reference}/view": REFERRER,
    "/referrals/{reference}/messages": REFERRER,
    "/referrals/{reference}/check-answers": REFERRER,
    "/referrals/{reference}/send": REFERRER,
    "/referrals/{reference}/sent": REFERRER,
    "/referrals/{reference}/pdf": REFERRER,
    "/hub/referrals": HUB_STAFF,
    "/hub/referrals/{reference}": HUB_STAFF,
    "/hub/referrals/{reference}/status": HUB_STAFF,
    "/hub/referrals/{reference}/urgency": HUB_STAFF,
    "/hub/referrals/{reference}/allocation": HUB_STAFF,
    "/hub/referrals/{reference}/messages": HUB_STAFF,
    "/hub/referrals/{reference}/notes": HUB_STAFF,
    "/hub/referrals/{reference}/pdf": HUB_STAFF,
    "/hub/referrals/{reference}/documents/{key}": HUB_STAFF,
    "/hub/referrals/{reference}/documents/{key}/remove": HUB_STAFF,
    "/hub/referrals.csv": HUB_STAFF,
    "/hub/referrals/{reference}/export.json": HUB_STAFF,
    # Hub staff who manage the hub (the inventory's hub staff do).
    "/hub/reports": HUB_STAFF,
    "/hub/reports.csv": HUB_STAFF,
    "/api/v1/schema.json": ANYONE,
    "/api/v1/referrals": API,
    "/api/v1/referrals/{reference}": API,
    "/api/v1/referrals/{reference}/documents/{key}": API,
    "/dev/mailbox": DEVELOPMENT,
    "/static/{path}": ANYONE,
}

# The only tables a GET may change, by route, and why. Everything else must stay as it was.
AUDIT_OF_HUB_VIEWS = "opening a sent referral as hub staff is audited (referral.viewed)"
AUDIT_OF_DOWNLOADS = "every download of a document is audited (document.downloaded)"
AUDIT_OF_PDFS = "every PDF made of a referral is audited (referral.pdf-created)"
MESSAGES_READ = "opening the thread marks the other side's messages read (read_at)"
AUDIT_OF_EXPORTS = (
    "a CSV of the inbox or a referral's export is audited (inbox.downloaded, referral.exported)"
)
AUDIT_OF_REPORTS = "a download of the reports' figures is audited (reports.downloaded)"
AUDIT_OF_API_CALLS = "every call by an API token is audited (api.called)"
API_CALLS_COUNTED = "every call counts against its token's rate limit (api_token.window_calls)"
API_READ_RECORDS = {"audit_event": AUDIT_OF_API_CALLS, "api_token": API_CALLS_COUNTED}
SECRET_TO_SET_UP = (
    "the set-up page makes the secret its QR code shows on the first visit, and keeps it until "
    "a code from it is entered (user_account.totp_pending_secret)"
)
READ_RECORDS: dict[str, dict[str, str]] = {
    "/hub/referrals/{reference}": {
        "audit_event": AUDIT_OF_HUB_VIEWS,
        "referral_message": MESSAGES_READ,
    },
    "/referrals/{reference}/view": {"referral_message": MESSAGES_READ},
    "/hub/referrals/{reference}/pdf": {"audit_event": AUDIT_OF_HUB_VIEWS},
    "/hub/referrals/{reference}/documents/{key}": {"audit_event": AUDIT_OF_DOWNLOADS},
    "/referrals/{reference}/documents/{key}": {"audit_event": AUDIT_OF_DOWNLOADS},
    "/referrals/{reference}/pdf": {"audit_event": AUDIT_OF_PDFS},
    "/hub/referrals.csv": {"audit_event": AUDIT_OF_EXPORTS},
    "/hub/referrals/{reference}/export.json": {"audit_event": AUDIT_OF_EXPORTS},
    "/hub/reports.csv": {"audit_event": AUDIT_OF_REPORTS},
    "/api/v1/referrals": API_READ_RECORDS,
    "/api/v1/referrals/{reference}": API_READ_RECORDS,
    "/api/v1/referrals/{reference}/documents/{key}": API_READ_RECORDS,
    "/login/two-factor/set-up": {"user_account": SECRET_TO_SET_UP},
    "/account/two-factor/set-up": {"user_account": SECRET_TO_SET_UP},
}

# What each unsafe request sends besides the token: enough to do its work if the token were
# right. Routes with ids send the access matrix's POST_DATA, and what is here on top.
FORM_DATA: dict[str, dict[str, str]] = {
    "/referrals/{reference}/delete": {},
    "/referrals/{reference}/send": {},
    "/referrals/{reference}/documents/{key}/remove": {},
    "/login": {"email": OWNER_EMAIL, "password": STRONG_PASSWORD},
    "/logout": {},
    "/session/keep-alive": {},
    "/register": {"forename": "Grace", "surname": "Hopper"},
    "/register/account": {
        "email": "grace.hopper@school.example.org",
        "password": STRONG_PASSWORD,
        "confirm_password": STRONG_PASSWORD,
    },
    "/register/code": {"code": "123456", "action": "check"},
    "/account/change-password": {
        "current_password": STRONG_PASSWORD,
        "password": "Another-Strong-Passphrase-7",
        "confirm_password": "Another-Strong-Passphrase-7",
    },
    "/forgotten-password": {"email": OWNER_EMAIL},
    "/forgotten-password/code": {"code": "123456"},
    "/forgotten-password/new": {
        "password": "Another-Strong-Passphrase-7",
        "confirm_password": "Another-Strong-Passphrase-7",
    },
    "/password-policy": {"password": "short"},
    "/start/continue": {"action": "confirm"},
    "/start/{option}": {"child_forename": "Pat", "child_surname": "Pending"},
    # A code is checked against the app's at the moment of asking, so none can be fixed here:
    # a wrong one does work all the same (it counts as a failed sign-in, or is refused).
    "/login/two-factor": {"code": "123456"},
    "/login/recovery-code": {"code": "abcd-efgh-jkmn-pqrs"},
    "/login/two-factor/set-up": {"code": "123456"},
    "/account/two-factor/set-up": {"code": "123456"},
    "/account/two-factor/recovery-codes": {"code": "123456"},
    "/account/two-factor/turn-off": {"code": "123456"},
}


# The routes, from the routing table ----------------------------------------------------------


def all_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(full path, methods) of every route, inside Mounts too; a mounted app (static files)
    counts as one GET route `<mount>/{path}`."""
    for route in routes:
        if isinstance(route, Mount):
            inner = list(route.routes)
            if inner:
                yield from all_routes(inner, prefix + route.path)
            else:
                yield prefix + route.path + "/{path}", {"GET"}
        elif isinstance(route, Route):
            yield prefix + route.path, set(route.methods or {"GET"}) - {"HEAD"}


def routing_table() -> list[tuple[str, str]]:
    """(path, method) of every route of the app as built for development (which has every
    route production has, and more)."""
    app = create_app(make_settings("sqlite://", environment="development"))
    return [
        (path, method)
        for path, methods in all_routes(list(app.routes))
        for method in sorted(methods)
    ]


@dataclass(frozen=True)
class Unclassified:
    path: str
    method: str

    @property
    def id(self) -> str:
        return f"{self.path}-{self.method}-unclassified"


def requests_for(path: str, method: str) -> list[Case]:
    kind = ROUTES[path]
    if kind == REFERRER:
        # An unsafe request is refused before anything looks at the referral: one state does.
        states = ["draft"] if method in UNSAFE_METHODS else ["draft", "sent"]
        return [Case(path, method, OWNER, state) for state in states]
    if kind == HUB_STAFF:
        return [Case(path, method, HUB, "sent")]
    if kind == API:
        return [Case(path, method, actor, "sent") for actor in (API_CLIENT, SIGNED_OUT, HUB)]
    if method in UNSAFE_METHODS:
        actors = [SIGNED_OUT if kind == ANYONE else OWNER]
    else:
        actors = [SIGNED_OUT, OWNER, HUB]
    if path in ACTS_FOR:
        actors.append(ACTS_FOR[path])
    return [Case(path, method, actor, "early-help") for actor in actors]


def cases(table: list[tuple[str, str]], *, unsafe: bool) -> list[Case | Unclassified]:
    found: list[Case | Unclassified] = []
    for path, method in table:
        if (method in UNSAFE_METHODS) != unsafe:
            continue
        if path not in ROUTES:
            found.append(Unclassified(path, method))
        else:
            found.extend(requests_for(path, method))
    return found


ROUTING_TABLE = routing_table()
UNSAFE_CASES = cases(ROUTING_TABLE, unsafe=True)
GET_CASES = cases(ROUTING_TABLE, unsafe=False)


# The database, as a snapshot ----------------------------------------------------------------


@dataclass(frozen=True)
class TableState:
    rows: int
    digest: str


def every_table(engine: Engine) -> list[Table]:
    """Every table in the database, the schema's and Alembic's, as the database describes it."""
    metadata = MetaData()
    with engine.connect() as connection:
        names = sorted(inspect(connection).get_table_names())
        return [Table(name, metadata, autoload_with=connection) for name in names]


def snapshot(engine: Engine, tables: list[Table]) -> dict[str, TableState]:
    """Each table's row count and a hash of its rows in primary key order."""
    state = {}
    with engine.connect() as connection:
        for table in tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
            state[table.name] = TableState(len(rows), digest)
    return state


def changed_tables(before: dict[str, TableState], after: dict[str, TableState]) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


# The referrals, built once per database -----------------------------------------------------


@dataclass
class Inventory:
    world: World
    engine: Engine
    tables: list[Table]
    stranger: TestClient

    def snapshot(self) -> dict[str, TableState]:
        return snapshot(self.engine, self.tables)


@pytest.fixture(scope="module", params=backends())
def inventory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Inventory]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("inventory") / "portal.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database_url = f"sqlite:///{path}"
    else:
        database_url = create_database(
            request.getfixturevalue("postgres_admin_url"),
            f"portal_inventory_{os.getpid()}",
            request.getfixturevalue("postgres_template"),
        )
    settings: Settings = make_settings(database_url)
    clock = Clock()
    engine = create_database_engine(database_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.services.passwords.BCRYPT_COST", 4)
        app = create_app(settings, clock=clock)
        headers = {"Accept-Encoding": "identity"}
        with (
            TestClient(app, headers=headers) as owner,
            TestClient(app, headers=headers) as other,
            TestClient(app, headers=headers) as hub,
            TestClient(app, headers=headers) as signed_out,
            TestClient(app, headers=headers) as stranger,
            TestClient(app, headers=headers) as awaiting_code,
            TestClient(app, headers=headers) as awaiting_set_up,
            TestClient(app, headers=headers) as api_client,
        ):
            register(owner, settings, OWNER_EMAIL)
            sent = start_referral(owner, "Sam", "Sentinel")
            complete_referral(owner, sent)
            upload(owner, sent, "sent.pdf")
            assert post(owner, f"/referrals/{sent}/send").status_code == 303
            draft = start_referral(owner, "Dora", "Draftling")
            upload(owner, draft, "draft.pdf")
            upload(owner, draft, "to-remove.pdf")
            draft_to_delete = start_referral(owner, "Dora", "Draftling")
            register(other, settings, OTHER_EMAIL)
            others_draft = start_referral(other, "Olly", "Ownchild")
            turn_on_two_factor(settings, OTHER_EMAIL, now=clock())
            make_hub_user(settings, HUB_EMAIL, now=clock(), manager=True)
            assert sign_in(hub, HUB_EMAIL).status_code == 303
            # Right passwords, and no second step yet.
            response = post(awaiting_code, "/login", email=OTHER_EMAIL, password=STRONG_PASSWORD)
            assert response.headers["location"] == "/login/two-factor"
            make_hub_user(settings, NEW_HUB_EMAIL, now=clock(), authenticator=False)
            response = post(
                awaiting_set_up, "/login", email=NEW_HUB_EMAIL, password=STRONG_PASSWORD
            )
            assert response.headers["location"] == "/login/two-factor/set-up"
            # A message each way, unread by the other side.
            message = {"message": "Could you send the school reports?"}
            assert post(hub, f"/hub/referrals/{sent}/messages", **message).status_code == 303
            reply_with_document(owner, sent, "school-reports.pdf")
            # The visitor signed out has a session (and so a CSRF secret) of their own.
            signed_out.get("/")
            api_client.headers.update(bearer(api_token(settings, "case-system", now=clock())))
            draft_keys = document_keys(settings, draft)
            world = World(
                clients={
                    OWNER: owner,
                    HUB: hub,
                    SIGNED_OUT: signed_out,
                    AWAITING_CODE: awaiting_code,
                    AWAITING_SET_UP: awaiting_set_up,
                    WITH_APP: other,
                    API_CLIENT: api_client,
                },
                draft=draft,
                draft_to_delete=draft_to_delete,
                sent=sent,
                others_draft=others_draft,
                draft_document=draft_keys["draft.pdf"],
                draft_document_to_remove=draft_keys["to-remove.pdf"],
                sent_document=document_keys(settings, sent)["sent.pdf"],
                reply_document=document_keys(settings, sent)["school-reports.pdf"],
            )
            try:
                yield Inventory(world, engine, every_table(engine), stranger)
            finally:
                engine.dispose()


def url_for(case: Case, inventory: Inventory) -> str:
    if case.path == "/static/{path}":
        return "/static/css/portal.css"
    return path_for(case, inventory.world)


def unsafe_request(
    case: Case, inventory: Inventory, token: str | None
) -> tuple[str, httpx2.Response]:
    """The route's request as the right visitor would send it, with `token` (or none)."""
    client = inventory.world.clients[case.actor]
    url = url_for(case, inventory)
    fields = {**POST_DATA.get(case.path, {}), **FORM_DATA.get(case.path, {})}
    if "version" in fields:
        page = client.get(url.split("/address/")[0].removesuffix("/autosave"))
        version = VERSION_FIELD.search(page.text)
        assert version, f"no version on the page of {url}"
        fields["version"] = version.group(1)
    data = fields if token is None else {"csrf_token": token, **fields}
    files = FILES.get(case.path)
    if case.path == "/referrals/{reference}/documents":
        files = [("documents", ("letter.pdf", PDF, "application/pdf"))]
    return url, client.request(case.method, url, data=data, files=files, follow_redirects=False)


# The tests ----------------------------------------------------------------------------------


def fail_unclassified(case: Unclassified) -> None:
    pytest.fail(
        f"route {case.path} ({case.method}) is not classified: add it to ROUTES (and, if a GET "
        "of it records something, to READ_RECORDS) in tests/security/test_route_inventory.py"
    )


@pytest.mark.parametrize("token", ["missing", "wrong"])
@pytest.mark.parametrize("case", UNSAFE_CASES, ids=[case.id for case in UNSAFE_CASES])
def test_a_change_without_the_sessions_token_is_refused_and_changes_nothing(
    case: Case | Unclassified, token: str, inventory: Inventory
) -> None:
    if isinstance(case, Unclassified):
        fail_unclassified(case)
        return
    if case.path not in FORM_DATA and case.path not in POST_DATA:
        pytest.fail(f"{case.method} {case.path} has no form to send: add it to FORM_DATA")
    # Wrong: a real token, well formed, but another visitor's.
    sent = None if token == "missing" else csrf_token_from(inventory.stranger.get("/").text)
    before = inventory.snapshot()
    url, response = unsafe_request(case, inventory, sent)
    after = inventory.snapshot()
    assert response.status_code == 403, f"{case.method} {url} with the token {token}"
    assert "Sorry, we could not accept that form" in response.text
    assert not changed_tables(before, after), f"{case.method} {url} changed the database"


@pytest.mark.parametrize("case", GET_CASES, ids=[case.id for case in GET_CASES])
def test_a_get_changes_nothing_but_its_read_records(
    case: Case | Unclassified, inventory: Inventory
) -> None:
    if isinstance(case, Unclassified):
        fail_unclassified(case)
        return
    client = inventory.world.clients[case.actor]
    url = url_for(case, inventory)
    before = inventory.snapshot()
    response = client.get(url, follow_redirects=False)
    after = inventory.snapshot()
    assert response.status_code < 500, f"GET {url} as {case.actor}: {response.status_code}"
    if ROUTES[case.path] == API:
        # Read with the token; refused without one, leaving no record at all.
        assert response.status_code == (200 if case.actor == API_CLIENT else 401), url
        if case.actor != API_CLIENT:
            assert not changed_tables(before, after), f"GET {url} as {case.actor} changed it"
    if case.actor == ACTS_FOR.get(case.path):
        # The page itself, not a way back to sign in: the state it acts in was reached.
        assert response.status_code == 200, f"GET {url} as {case.actor}: {response.status_code}"
    allowed = set(READ_RECORDS.get(case.path, {}))
    unexpected = changed_tables(before, after) - allowed
    assert not unexpected, f"GET {url} as {case.actor} changed {sorted(unexpected)}"


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "PROPFIND"])
@pytest.mark.parametrize("case", UNSAFE_CASES, ids=[case.id for case in UNSAFE_CASES])
def test_head_options_and_unknown_methods_change_nothing(
    case: Case | Unclassified, method: str, inventory: Inventory
) -> None:
    """Every route that takes a form, asked with another method by a visitor with a session and
    no token: HEAD is answered as the GET (if any), the others are refused; nothing changes
    but the read records a GET may leave."""
    if isinstance(case, Unclassified):
        fail_unclassified(case)
        return
    client = inventory.world.clients[case.actor]
    url = url_for(case, inventory)
    before = inventory.snapshot()
    response = client.request(method, url, follow_redirects=False)
    after = inventory.snapshot()
    assert response.status_code < 500, f"{method} {url}: {response.status_code}"
    allowed = set(READ_RECORDS.get(case.path, {})) if method == "HEAD" else set()
    unexpected = changed_tables(before, after) - allowed
    assert not unexpected, f"{method} {url} as {case.actor} changed {sorted(unexpected)}"


@pytest.mark.parametrize(
    "method", ["HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "PROPFIND"]
)
def test_the_api_answers_other_methods_without_changing_anything(
    method: str, inventory: Inventory
) -> None:
    """GET is the only method the API takes (HEAD is that GET without its body); anything
    else gets 405 with JSON and changes nothing, with a valid token and no CSRF token."""
    client = inventory.world.clients[API_CLIENT]
    sent, key = inventory.world.sent, inventory.world.sent_document
    for url in (
        "/api/v1/referrals",
        f"/api/v1/referrals/{sent}",
        f"/api/v1/referrals/{sent}/documents/{key}",
    ):
        before = inventory.snapshot()
        response = client.request(method, url, data={"status": "closed"})
        after = inventory.snapshot()
        if method == "HEAD":
            assert response.status_code == 200 and response.content == b"", url
            assert changed_tables(before, after) <= set(API_READ_RECORDS), url
            continue
        assert response.status_code == 405, f"{method} {url}"
        assert response.json()["error"]["code"] == "method_not_allowed"
        assert not changed_tables(before, after), f"{method} {url} changed the database"


def test_read_records_name_real_routes_and_tables() -> None:
    """A renamed route or table would make an allowance silently useless."""
    from app.db import Base

    tables = set(Base.metadata.tables)
    for path, records in READ_RECORDS.items():
        assert path in ROUTES, f"READ_RECORDS names {path}, which is not a route"
        assert set(records) <= tables, f"READ_RECORDS for {path} names an unknown table"


def test_hub_staff_opening_a_referral_leaves_a_read_record(inventory: Inventory) -> None:
    """The allowance in READ_RECORDS is used: every view really is recorded."""
    world = inventory.world
    for _ in range(2):
        before = inventory.snapshot()
        response = world.clients[HUB].get(f"/hub/referrals/{world.sent}")
        assert response.status_code == 200
        assert "audit_event" in changed_tables(before, inventory.snapshot())


def test_every_classification_is_for_a_route_that_exists() -> None:
    paths = {path for path, _ in ROUTING_TABLE}
    stale = sorted(set(ROUTES) - paths)
    assert not stale, f"ROUTES classifies routes the app no longer has: {stale}"
    assert set(FORM_DATA) <= paths
    assert set(ACTS_FOR) <= set(ROUTES)


def test_the_inventory_covers_the_whole_routing_table() -> None:
    table = ROUTING_TABLE
    assert ("/referrals/{reference}/documents", "POST") in table
    assert ("/static/{path}", "GET") in table


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_inbox_sorted_and_filtered_by_due_date_changes_nothing(
    inventory: Inventory, method: str
) -> None:
    """Due dates and the overdue filter are worked out as the inbox is read, never stored."""
    hub = inventory.world.clients[HUB]
    for params in (
        {"due": "overdue"},
        {"sort": "due"},
        {"due": "overdue", "sort": "due", "status": "received", "q": "Sam"},
        {"due": "nonsense", "sort": "nonsense"},
    ):
        before = inventory.snapshot()
        response = hub.request(method, "/hub/referrals", params=params)
        assert response.status_code == 200, params
        assert not changed_tables(before, inventory.snapshot()), f"{method} {params}"
    # And a sent referral's page, with its due date and other referrals of the child, leaves
    # only its read records.
    before = inventory.snapshot()
    assert hub.request(method, f"/hub/referrals/{inventory.world.sent}").status_code == 200
    changed = changed_tables(before, inventory.snapshot())
    assert changed <= set(READ_RECORDS["/hub/referrals/{reference}"])
