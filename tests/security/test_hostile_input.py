"""Hostile input: whatever is posted, the portal answers with a page, never a server error.

Every POST route in the app's routing table has a recipe below (who posts, to which real
referral or document, which fields its page has); a new POST route fails here until it has
one. Each route is then sent generated bodies by a signed-in user of the right role with a
valid CSRF token: hostile strings in the known fields, fields missing, twice or unknown, and
bodies in the wrong encoding or broken. Then what was stored is shown back, escaped, on every
page, in the PDF and in email; and hostile uploads are refused by name, leaving the rest of the
referral as it was.
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from app.assessment.answer_types import Address, Table
from app.assessment.reference import PARTICIPATION_TYPES, REFERRAL_OPTIONS
from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.models import Document, OneTimeCode, Referral, SectionAnswers
from app.security.csrf import MAX_FORM_BYTES
from app.services import hub, two_factor
from app.services.accounts import (
    create_user_by_operator,
    email_key,
    recent_failures,
    user_by_email,
)
from app.services.referrals import CLAIM_WITHOUT_ASKING_WITHIN
from app.settings import Settings
from testkit.journeys import (
    COMPLETE_ANSWERS,
    STRONG_PASSWORD,
    VERSION_FIELD,
    complete_referral,
    complete_section,
    is_signed_in,
    latest_code,
    mail_to,
    make_hub_user,
    post,
    sign_in,
    start_referral,
)
from testkit.postgres import create_database
from tests.conftest import Clock, backends, csrf_token_from, make_settings
from tests.security.hostile import (
    ENCODINGS,
    EVERYTHING_LONG,
    FORM_ENCODINGS,
    INVALID_UTF8,
    ITEM_KEY,
    MULTIPART,
    URLENCODED_RAW,
    Body,
    Field,
    Value,
    choice_values,
    encoded,
    fields_strategy,
    hostile_text,
    multipart,
    section_fields,
)
from tests.security.test_access_matrix import turn_on_two_factor

OWNER_EMAIL = "olive.owner@school.example.org"
HUB_EMAIL = "hattie.hub@hillingdon.example.gov.uk"
# Hub staff sign in with a code from their app, each code once, and the test's clock stands
# still (three codes a moment): each hub route's client signs in as hub staff of its own.
URGENCY_HUB_EMAIL = "ursula.urgency@hillingdon.example.gov.uk"
MESSAGES_HUB_EMAIL = "milo.messages@hillingdon.example.gov.uk"
REMOVER_HUB_EMAIL = "rhoda.remover@hillingdon.example.gov.uk"
ALLOCATION_HUB_EMAIL = "alma.allocation@hillingdon.example.gov.uk"
NOTES_HUB_EMAIL = "nora.notes@hillingdon.example.gov.uk"
LEAVER_EMAIL = "lionel.leaver@school.example.org"
STARTER_EMAIL = "stella.starter@clinic.example.org"
RESETTER_EMAIL = "rita.resetter@clinic.example.org"
SETTER_EMAIL = "seth.setter@school.example.org"
VISITOR = "visitor"
EXAMPLES_PER_ROUTE = 10
DOCUMENT_POOL = 20

hostile_settings = settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# The POST routes, from the routing table ----------------------------------------------------


def all_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from all_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def post_routes() -> list[str]:
    """Every path that takes a POST, in the app as built for development (which has every
    route production has, and more)."""
    app = create_app(make_settings("sqlite://", environment="development"))
    return [path for path, route in all_routes(list(app.routes)) if "POST" in (route.methods or ())]


# The portal, built once per database ----------------------------------------------------------


@dataclass
class World:
    """The portal on one database: a sent referral and a draft (each with documents to
    remove), and for each POST route a client of its own, signed in as its recipe says."""

    app: Starlette
    settings: Settings
    stack: ExitStack
    draft: str
    sent: str
    draft_documents: list[str]
    sent_documents: list[str]
    # The owner's draft for the upload tests, with some answers and one document already.
    owner: TestClient
    upload_draft: str
    clients: dict[str, TestClient] = field(default_factory=dict)
    # Two-factor sign-in: the account each of its routes' clients uses now, and how many
    # accounts have been made for them.
    accounts: dict[str, Account] = field(default_factory=dict)
    made: int = 0

    def new_client(self, address: str = "testclient") -> TestClient:
        return self.stack.enter_context(
            TestClient(self.app, headers={"Accept-Encoding": "identity"}, client=(address, 50000))
        )

    def now(self) -> datetime:
        return self.app.state.clock()

    def new_email(self, name: str, domain: str = "school.example.org") -> str:
        self.made += 1
        return f"{name}.{self.made}@{domain}"

    def client_for(self, path: str, recipe: Recipe) -> TestClient:
        """The route's own client, signed in as the recipe says, made on first use."""
        if path not in self.clients:
            client = self.new_client(recipe.address)
            if recipe.actor != VISITOR:
                assert sign_in(client, recipe.actor).status_code == 303
            if recipe.setup is not None:
                recipe.setup(self, client)
            self.clients[path] = client
        return self.clients[path]


@dataclass
class Account:
    """Who a two-factor route's client is now, and their recovery codes (if known)."""

    email: str
    recovery_codes: list[str] = field(default_factory=list)


def make_professional(settings: Settings, email: str, clock: Callable[[], datetime]) -> None:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            create_user_by_operator(
                session,
                email=email,
                name="Pat Professional",
                role="professional",
                password=STRONG_PASSWORD,
                now=clock(),
            )
            session.commit()
    finally:
        engine.dispose()


def upload_files(
    client: TestClient, reference: str, files: list[tuple[str, str, bytes]], **fields: str
) -> httpx.Response:
    token = csrf_token_from(client.get(f"/referrals/{reference}/documents").text)
    body = multipart([("csrf_token", token), *fields.items()], files)
    return client.post(
        f"/referrals/{reference}/documents",
        content=body.content,
        headers={"Content-Type": str(body.content_type)},
        follow_redirects=False,
    )


def tiny_files(prefix: str, count: int) -> list[tuple[str, str, bytes]]:
    return [("documents", f"{prefix} {n}.txt", f"Note {n}".encode()) for n in range(count)]


def document_keys(settings: Settings, reference: str) -> list[str]:
    """The keys of a referral's documents not yet removed, oldest first."""
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            return list(
                session.scalars(
                    select(Document.key)
                    .join(Referral, Referral.id == Document.referral_id)
                    .where(Referral.reference == reference, Document.removed_at.is_(None))
                    .order_by(Document.id)
                )
            )
    finally:
        engine.dispose()


def database_for(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("hostile") / "portal.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return create_database(
        request.getfixturevalue("postgres_admin_url"),
        f"portal_hostile_{os.getpid()}_{request.fixturename}",
        request.getfixturevalue("postgres_template"),
    )


@pytest.fixture(scope="module", params=backends())
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    settings = make_settings(database_for(request, tmp_path_factory))
    clock = Clock()
    with pytest.MonkeyPatch.context() as patch, ExitStack() as stack:
        patch.setattr("app.services.passwords.BCRYPT_COST", 4)
        app = create_app(settings, clock=clock)
        for email in (OWNER_EMAIL, LEAVER_EMAIL, STARTER_EMAIL, RESETTER_EMAIL, SETTER_EMAIL):
            make_professional(settings, email, clock)
        for email in (
            HUB_EMAIL,
            URGENCY_HUB_EMAIL,
            MESSAGES_HUB_EMAIL,
            REMOVER_HUB_EMAIL,
            ALLOCATION_HUB_EMAIL,
            NOTES_HUB_EMAIL,
        ):
            make_hub_user(settings, email, now=clock())
        owner = stack.enter_context(TestClient(app, headers={"Accept-Encoding": "identity"}))
        assert sign_in(owner, OWNER_EMAIL).status_code == 303
        sent = start_referral(owner, "Sam", "Sentinel")
        complete_referral(owner, sent)
        assert (
            upload_files(
                owner, sent, tiny_files("sent", DOCUMENT_POOL), description="consent"
            ).status_code
            == 303
        )
        assert post(owner, f"/referrals/{sent}/send").status_code == 303
        draft = start_referral(owner, "Dora", "Draftling")
        assert (
            upload_files(
                owner, draft, tiny_files("draft", DOCUMENT_POOL), description="consent"
            ).status_code
            == 303
        )
        upload_draft = start_referral(owner, "Una", "Upload")
        complete_section(owner, upload_draft, "consent", COMPLETE_ANSWERS["consent"])
        kept = [("documents", "kept.txt", b"Kept")]
        assert upload_files(owner, upload_draft, kept, description="consent").status_code == 303
        yield World(
            app=app,
            settings=settings,
            stack=stack,
            draft=draft,
            sent=sent,
            draft_documents=document_keys(settings, draft),
            sent_documents=document_keys(settings, sent),
            owner=owner,
            upload_draft=upload_draft,
        )


# What each POST route is sent --------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One request's path and the fields the page it comes from would post."""

    path: str
    fields: list[str]
    values: dict[str, st.SearchStrategy[Value]] = field(default_factory=dict)
    # Files to add to a multipart body (the upload form).
    takes_files: bool = False


Draw = Callable[[st.SearchStrategy[Any]], Any]
TargetFor = Callable[[World, TestClient, Draw], Target]


@dataclass(frozen=True)
class Recipe:
    """Who posts (a user's email, or VISITOR: not signed in), where to, and what their
    client must have done once before (`setup`)."""

    actor: str
    target: TargetFor
    setup: Callable[[World, TestClient], None] | None = None
    # Where the client posts from. Wrong codes count as failed sign-ins, by account and by
    # address: the routes that check codes post from an address of their own, so that they
    # never lock everyone else out of signing in from the test client's.
    address: str = "testclient"


def fixed(path: str, *fields: str, **values: list[str]) -> TargetFor:
    """A route whose path has no id, or only the referral's (`{draft}`, `{sent}`)."""

    def target(world: World, _client: TestClient, _draw: Draw) -> Target:
        filled = path.format(draft=world.draft, sent=world.sent)
        return Target(filled, list(fields), {k: st.sampled_from(v) for k, v in values.items()})

    return target


def signed_in_again(email: str) -> TargetFor:
    """Sign out ends the session: sign in again before each try."""

    def target(_world: World, client: TestClient, _draw: Draw) -> Target:
        if not is_signed_in(client):
            assert sign_in(client, email).status_code == 303
        return Target("/logout", [])

    return target


def with_names_given(world: World, client: TestClient, _draw: Draw) -> Target:
    """Register's second step needs its first."""
    assert post(client, "/register", forename="Reg", surname="Istrant").status_code == 303
    return Target("/register/account", ["email", "password", "confirm_password"])


def code_sent_for_registration(_world: World, client: TestClient) -> None:
    assert post(client, "/register", forename="Cody", surname="Coder").status_code == 303
    response = post(
        client,
        "/register/account",
        email="cody.coder@school.example.org",
        password=STRONG_PASSWORD,
        confirm_password=STRONG_PASSWORD,
    )
    assert response.headers["location"] == "/register/code"


def code_sent_for_reset(world: World, client: TestClient) -> None:
    # The examples need more reset codes than one address may have in an hour (that limit has
    # its own test in tests/routes/test_accounts.py): the earlier ones are made an hour older.
    engine = create_database_engine(world.settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            session.execute(
                update(OneTimeCode)
                .where(OneTimeCode.email_key == email_key(RESETTER_EMAIL))
                .values(created_at=world.now() - timedelta(hours=2))
            )
            session.commit()
    finally:
        engine.dispose()
    assert post(client, "/forgotten-password", email=RESETTER_EMAIL).status_code == 303


def reset_allowed(world: World, client: TestClient, _draw: Draw) -> Target:
    """A new password may be chosen once the emailed code has been entered: again, if a try
    has just reset it."""
    if client.get("/forgotten-password/new", follow_redirects=False).status_code != 200:
        code_sent_for_reset(world, client)
        code = latest_code(world.settings, RESETTER_EMAIL)
        response = post(client, "/forgotten-password/code", code=code, action="check")
        assert response.headers["location"] == "/forgotten-password/new"
    return Target("/forgotten-password/new", ["password", "confirm_password"])


def start_pending(world: World, client: TestClient, _draw: Draw) -> Target:
    """A referral started before signing in, waiting to be claimed: started long enough
    before signing in to be asked about (a recent one becomes a draft at sign-in)."""
    if client.get("/start/continue", follow_redirects=False).status_code != 200:
        if is_signed_in(client):
            assert post(client, "/logout").status_code == 303
        clock: Clock = world.app.state.clock
        earlier = CLAIM_WITHOUT_ASKING_WITHIN + timedelta(minutes=1)
        clock.advance(seconds=-earlier.total_seconds())
        try:
            response = post(client, "/start/early-help", child_forename="Pen", child_surname="Ding")
        finally:
            clock.advance(seconds=earlier.total_seconds())
        assert response.headers["location"] == "/login"
        assert sign_in(client, STARTER_EMAIL).headers["location"] == "/start/continue"
    return Target("/start/continue", ["action"], {"action": st.sampled_from(["discard", "start"])})


def new_draft(_world: World, client: TestClient, _draw: Draw) -> Target:
    """Deleting takes the draft away: a new one for each try."""
    return Target(f"/referrals/{start_referral(client, 'Del', 'Eted')}/delete", [])


def next_of(pool: list[str]) -> str:
    """A document not yet removed (the last one again once all have been)."""
    return pool.pop(0) if len(pool) > 1 else pool[0]


def draft_document(world: World, _client: TestClient, _draw: Draw) -> Target:
    key = next_of(world.draft_documents)
    return Target(f"/referrals/{world.draft}/documents/{key}/remove", [])


def sent_document(world: World, _client: TestClient, _draw: Draw) -> Target:
    key = next_of(world.sent_documents)
    return Target(f"/hub/referrals/{world.sent}/documents/{key}/remove", ["reason"])


def start_option(_world: World, _client: TestClient, draw: Draw) -> Target:
    option = draw(st.sampled_from([*REFERRAL_OPTIONS, "no-such-option"]))
    return Target(
        f"/start/{option}",
        ["child_forename", "child_surname", "participation_type"],
        {"participation_type": st.sampled_from([code for code, _ in PARTICIPATION_TYPES])},
    )


# Two-factor sign-in -------------------------------------------------------------------------

# Wrong codes an account takes before the next try moves on to a new account (ten lock it).
WRONG_CODES_PER_ACCOUNT = 8
CODES_NOBODY_HAS = [
    "123456",
    "000000",
    "12 34 56",
    "123-456",
    "１２３４５６",
    "abcd-efgh-jkmn-pqrs",
]


@dataclass(frozen=True)
class SecondFactor:
    """A user's two-factor sign-in as it stands: whether they have an app, their failed
    sign-ins that count now, and the codes their app (or the one being set up) shows now that
    would still be taken."""

    has_app: bool
    failures: int
    codes: list[str]


def second_factor_of(settings: Settings, email: str, *, now: datetime) -> SecondFactor:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            user = user_by_email(session, email)
            assert user is not None, email
            failures = recent_failures(session, now=now, email_key=email_key(email))
            secret = user.totp_secret or user.totp_pending_secret
            last, has_app = user.totp_last_step, user.has_two_factor
    finally:
        engine.dispose()
    current = int(now.timestamp()) // two_factor.STEP_SECONDS
    steps = range(current - two_factor.WINDOW_STEPS, current + two_factor.WINDOW_STEPS + 1)
    codes = [
        pyotp.TOTP(secret).at(step * two_factor.STEP_SECONDS)
        for step in steps
        if secret is not None and (last is None or step > last)
    ]
    return SecondFactor(has_app, failures, codes)


def turn_off_two_factor(settings: Settings, email: str, *, now: datetime) -> None:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            user = user_by_email(session, email)
            assert user is not None, email
            two_factor.turn_off(session, user, now=now)
            session.commit()
    finally:
        engine.dispose()


def code_target(path: str, right: str | None) -> Target:
    """The form's one field, `code`: sometimes right (so that the hostile fields around it
    reach what a right code does), mostly not. As many choices whether or not a right code is
    left, so that the draws are the same from one try to the next."""
    choices = [right or CODES_NOBODY_HAS[0], *CODES_NOBODY_HAS]
    return Target(path, ["code"], {"code": st.sampled_from(choices)})


def first(codes: list[str]) -> str | None:
    return codes[0] if codes else None


def awaiting_code(path: str) -> TargetFor:
    """The code step (or the recovery code's) for a professional with an app who has just
    entered their password: again, as a new account, once a right code has signed them in or
    wrong ones have locked the account (which ends the step)."""

    def target(world: World, client: TestClient, _draw: Draw) -> Target:
        if client.get(path, follow_redirects=False).status_code != 200:
            client.cookies.clear()
            email = world.new_email("cora.code")
            make_professional(world.settings, email, world.now)
            codes = turn_on_two_factor(world.settings, email, now=world.now())
            response = post(client, "/login", email=email, password=STRONG_PASSWORD)
            assert response.headers["location"] == "/login/two-factor"
            world.accounts[path] = Account(email, codes)
        account = world.accounts[path]
        if path == "/login/recovery-code":
            return code_target(path, first(account.recovery_codes))
        state = second_factor_of(world.settings, account.email, now=world.now())
        return code_target(path, first(state.codes))

    return target


def awaiting_set_up(world: World, client: TestClient, _draw: Draw) -> Target:
    """Hub staff without an app, who have just entered their password: again, as a new
    account, once a right code has set it up and signed them in."""
    path = "/login/two-factor/set-up"
    if client.get(path, follow_redirects=False).status_code != 200:
        client.cookies.clear()
        email = world.new_email("hana.hub", "hillingdon.example.gov.uk")
        make_hub_user(world.settings, email, now=world.now(), authenticator=False)
        response = post(client, "/login", email=email, password=STRONG_PASSWORD)
        assert response.headers["location"] == path
        assert client.get(path).status_code == 200  # the page makes the secret to set up
        world.accounts[path] = Account(email)
    state = second_factor_of(world.settings, world.accounts[path].email, now=world.now())
    return code_target(path, first(state.codes))


def without_an_app(world: World, client: TestClient, _draw: Draw) -> Target:
    """Setting up from My Account: turned off again once a right code has turned it on."""
    path = "/account/two-factor/set-up"
    if client.get(path, follow_redirects=False).status_code != 200:
        turn_off_two_factor(world.settings, SETTER_EMAIL, now=world.now())
        assert client.get(path, follow_redirects=False).status_code == 200
    state = second_factor_of(world.settings, SETTER_EMAIL, now=world.now())
    return code_target(path, first(state.codes))


def with_an_app(path: str) -> TargetFor:
    """A professional signed in with an app: a new one once a right code has turned it off,
    or the account has had its share of wrong codes."""

    def target(world: World, client: TestClient, _draw: Draw) -> Target:
        account = world.accounts.get(path)
        state = (
            second_factor_of(world.settings, account.email, now=world.now()) if account else None
        )
        if state is None or not state.has_app or state.failures >= WRONG_CODES_PER_ACCOUNT:
            client.cookies.clear()
            email = world.new_email("tess.twofactor")
            make_professional(world.settings, email, world.now)
            turn_on_two_factor(world.settings, email, now=world.now())
            assert sign_in(client, email).status_code == 303
            world.accounts[path] = Account(email)
            state = second_factor_of(world.settings, email, now=world.now())
        return code_target(path, first(state.codes))

    return target


SECTIONS = {section.id: section for section in ASSESSMENT.sections}
# The sections an early help referral shows (others answer 404 until an answer reveals them).
SHOWN_SECTIONS = list(COMPLETE_ANSWERS)
ADDRESS_QUESTIONS = [
    (section.id, prefix + inner.id)
    for section in ASSESSMENT.sections
    for question in section.questions
    for prefix, inner in (
        [(f"{question.id}-{ITEM_KEY}-", item_field) for item_field in question.type.fields]
        if isinstance(question.type, Table)
        else [("", question)]
    )
    if isinstance(inner.type, Address)
]
any_section = st.one_of(
    st.sampled_from(SHOWN_SECTIONS),
    st.sampled_from(SHOWN_SECTIONS),
    st.sampled_from(list(SECTIONS)),
)


def section_target(world: World, client: TestClient, section_id: str, suffix: str) -> Target:
    """A section of the draft, with the version its page shows (so the save goes through)."""
    url = f"/referrals/{world.draft}/sections/{section_id}"
    values = choice_values(SECTIONS[section_id])
    page = client.get(url)
    version = VERSION_FIELD.search(page.text) if page.status_code == 200 else None
    if version:
        values["version"] = st.just(version.group(1))
    return Target(url + suffix, section_fields(SECTIONS[section_id]), values)


def section(world: World, client: TestClient, draw: Draw) -> Target:
    return section_target(world, client, draw(any_section), "")


def autosave(world: World, client: TestClient, draw: Draw) -> Target:
    return section_target(world, client, draw(any_section), "/autosave")


def address(world: World, client: TestClient, draw: Draw) -> Target:
    section_id, question_id = draw(st.sampled_from(ADDRESS_QUESTIONS))
    target = section_target(world, client, section_id, f"/address/{question_id}")
    verbs = ["find-address", "enter-address", "choose-address", "lookup-address", "same-address"]
    target.values["action"] = st.sampled_from([f"{verb}:{question_id}" for verb in verbs])
    return target


def documents(world: World, _client: TestClient, _draw: Draw) -> Target:
    return Target(f"/referrals/{world.draft}/documents", ["documents"], takes_files=True)


def document_description(world: World, _client: TestClient, _draw: Draw) -> Target:
    """The draft's last document, which the removal recipe never takes away."""
    key = world.draft_documents[-1]
    return Target(f"/referrals/{world.draft}/documents/{key}/description", ["description"])


def reply(world: World, _client: TestClient, _draw: Draw) -> Target:
    """A reply to the hub, with files now and then."""
    return Target(f"/referrals/{world.sent}/messages", ["reply", "documents"], takes_files=True)


RECIPES: dict[str, Recipe] = {
    "/login": Recipe(VISITOR, fixed("/login", "email", "password")),
    "/login/two-factor": Recipe(VISITOR, awaiting_code("/login/two-factor"), address="192.0.2.1"),
    "/login/recovery-code": Recipe(
        VISITOR, awaiting_code("/login/recovery-code"), address="192.0.2.2"
    ),
    "/login/two-factor/set-up": Recipe(VISITOR, awaiting_set_up),
    "/account/two-factor/set-up": Recipe(SETTER_EMAIL, without_an_app),
    # Signed in by the target itself, as a new account now and then.
    "/account/two-factor/recovery-codes": Recipe(
        VISITOR, with_an_app("/account/two-factor/recovery-codes"), address="192.0.2.3"
    ),
    "/account/two-factor/turn-off": Recipe(
        VISITOR, with_an_app("/account/two-factor/turn-off"), address="192.0.2.4"
    ),
    "/logout": Recipe(LEAVER_EMAIL, signed_in_again(LEAVER_EMAIL)),
    "/session/keep-alive": Recipe(OWNER_EMAIL, fixed("/session/keep-alive")),
    "/register": Recipe(VISITOR, fixed("/register", "forename", "surname")),
    "/register/account": Recipe(VISITOR, with_names_given),
    "/register/code": Recipe(
        VISITOR,
        fixed("/register/code", "code", "action", action=["check", "resend"]),
        setup=code_sent_for_registration,
    ),
    "/account/change-password": Recipe(
        OWNER_EMAIL,
        fixed("/account/change-password", "current_password", "password", "confirm_password"),
    ),
    "/forgotten-password": Recipe(VISITOR, fixed("/forgotten-password", "email")),
    "/forgotten-password/code": Recipe(
        VISITOR,
        fixed("/forgotten-password/code", "code", "action", action=["check", "resend"]),
        setup=code_sent_for_reset,
    ),
    "/forgotten-password/new": Recipe(VISITOR, reset_allowed),
    "/password-policy": Recipe(VISITOR, fixed("/password-policy", "password")),
    "/referrals/{reference}/delete": Recipe(OWNER_EMAIL, new_draft),
    "/referrals/{reference}/messages": Recipe(OWNER_EMAIL, reply),
    "/start/continue": Recipe(STARTER_EMAIL, start_pending),
    "/start/{option}": Recipe(OWNER_EMAIL, start_option),
    "/referrals/{reference}/sections/{section_id}": Recipe(OWNER_EMAIL, section),
    "/referrals/{reference}/sections/{section_id}/autosave": Recipe(OWNER_EMAIL, autosave),
    "/referrals/{reference}/sections/{section_id}/address/{question_id}": Recipe(
        OWNER_EMAIL, address
    ),
    "/referrals/{reference}/documents": Recipe(OWNER_EMAIL, documents),
    "/referrals/{reference}/documents/{key}/remove": Recipe(OWNER_EMAIL, draft_document),
    "/referrals/{reference}/documents/{key}/description": Recipe(OWNER_EMAIL, document_description),
    "/referrals/{reference}/send": Recipe(OWNER_EMAIL, fixed("/referrals/{draft}/send")),
    "/hub/referrals/{reference}/status": Recipe(
        HUB_EMAIL,
        fixed(
            "/hub/referrals/{sent}/status", "status", "status_message", status=list(hub.STATUSES)
        ),
    ),
    "/hub/referrals/{reference}/urgency": Recipe(
        URGENCY_HUB_EMAIL,
        fixed("/hub/referrals/{sent}/urgency", "urgency", urgency=list(hub.URGENCIES)),
    ),
    "/hub/referrals/{reference}/allocation": Recipe(
        ALLOCATION_HUB_EMAIL,
        fixed("/hub/referrals/{sent}/allocation", "allocate_to", allocate_to=["me", "nobody", ""]),
    ),
    "/hub/referrals/{reference}/messages": Recipe(
        MESSAGES_HUB_EMAIL, fixed("/hub/referrals/{sent}/messages", "message")
    ),
    "/hub/referrals/{reference}/notes": Recipe(
        NOTES_HUB_EMAIL, fixed("/hub/referrals/{sent}/notes", "note")
    ),
    "/hub/referrals/{reference}/documents/{key}/remove": Recipe(REMOVER_HUB_EMAIL, sent_document),
}

POST_ROUTES = post_routes()


# Sending and judging -------------------------------------------------------------------------

hostile_file_names = st.one_of(
    st.sampled_from(
        [
            "note.txt",
            "report.pdf",
            "",
            "../../etc/passwd.pdf",
            "..\\..\\x.pdf",
            "invoice\u202efdp.exe",
            "tab\there.txt",
        ]
    ),
    hostile_text,
)
hostile_files = st.lists(
    st.tuples(
        st.sampled_from(["documents", "documents", "other"]),
        hostile_file_names,
        st.sampled_from([b"", b"A plain note", b"%PDF-1.4\n<script>alert(1)</script>", b"\x00"]),
    ),
    max_size=3,
)


def hostile_post(
    client: TestClient, path: str, body: Body, *, token_in: str, htmx: bool
) -> httpx.Response:
    headers = {}
    if token_in == "header":
        headers["X-CSRF-Token"] = csrf_token_from(client.get("/").text)
    if body.content_type is not None:
        headers["Content-Type"] = body.content_type
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(path, content=body.content, headers=headers, follow_redirects=False)


def assert_answered_with_a_page(response: httpx.Response, *, htmx: bool) -> None:
    """Never a server error; where the input was refused as wrong, a GOV.UK error summary."""
    status = response.status_code
    where = f"POST {response.request.url.path} answered {status}"
    assert status < 500, f"{where}:\n{response.text[:3000]}"
    assert "there is a problem with the service" not in response.text.lower(), where
    is_page = response.headers.get("content-type", "").startswith("text/html")
    if status == 422 and is_page and not htmx:
        assert "govuk-error-summary" in response.text, f"{where} without an error summary"


@pytest.mark.parametrize("path", POST_ROUTES)
@hostile_settings
@given(
    data=st.data(),
    encoding=st.sampled_from(ENCODINGS),
    htmx=st.booleans(),
)
def test_no_post_body_makes_a_server_error(
    world: World, path: str, data: st.DataObject, encoding: str, htmx: bool
) -> None:
    recipe = RECIPES.get(path)
    if recipe is None:
        pytest.fail(
            f"POST {path} has no recipe: add one to RECIPES in tests/security/test_hostile_input.py"
        )
    client = world.client_for(path, recipe)
    target = recipe.target(world, client, data.draw)
    fields: list[Field] = []
    if data.draw(st.integers(0, 3)):
        # Mostly, the values the page itself posts come first (a valid version, a real action):
        # so that the hostile fields after them reach the handler's work, not only its guards.
        fields += [(name, data.draw(values)) for name, values in target.values.items()]
    fields += data.draw(fields_strategy(target.fields, target.values))
    if target.takes_files and data.draw(st.booleans()):
        encoding = MULTIPART
    token_in = "field" if encoding in FORM_ENCODINGS else "header"
    if encoding in FORM_ENCODINGS and data.draw(st.booleans()):
        token_in = "header"
    if token_in == "field":
        fields.insert(0, ("csrf_token", csrf_token_from(client.get("/").text)))
    if encoding == MULTIPART and target.takes_files:
        body = multipart(fields, data.draw(hostile_files))
    else:
        body = encoded(fields, encoding)
    response = hostile_post(client, target.path, body, token_in=token_in, htmx=htmx)
    # What the bodies reached (pytest --hypothesis-show-statistics): mostly the handler, not
    # the CSRF check.
    event(f"{encoding}: {response.status_code}")
    assert_answered_with_a_page(response, htmx=htmx)


WORST_BODIES = ("everything-long-in-every-field", "invalid-utf-8-in-every-field")


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("worst", WORST_BODIES)
@settings(max_examples=1, deadline=None, database=None)
@given(data=st.data())
def test_the_worst_bodies_make_no_server_error(
    world: World, path: str, worst: str, data: st.DataObject
) -> None:
    """Whatever the generated bodies happened to be: every known field (twice, and one more
    unknown) with 100,000 characters of everything at once (multipart, which has no overall
    cap), or with bytes that are not UTF-8 at all, sent raw."""
    recipe = RECIPES.get(path)
    if recipe is None:
        pytest.fail(f"POST {path} has no recipe")
    client = world.client_for(path, recipe)
    target = recipe.target(world, client, data.draw)
    names = [*target.fields, *target.fields, "unknown"]
    token: Field = ("csrf_token", csrf_token_from(client.get("/").text))
    if worst == "everything-long-in-every-field":
        body = multipart([token, *((name, EVERYTHING_LONG) for name in names)])
    else:
        body = encoded([token, *((name, INVALID_UTF8) for name in names)], URLENCODED_RAW)
    response = hostile_post(client, target.path, body, token_in="field", htmx=False)
    assert_answered_with_a_page(response, htmx=False)


def test_after_the_hostile_posts_every_page_of_the_referrals_still_opens(world: World) -> None:
    """Whatever the posts above stored is shown back without a server error."""
    section_route = "/referrals/{reference}/sections/{section_id}"
    owner = world.client_for(section_route, RECIPES[section_route])
    urls = [
        f"/referrals/{world.draft}",
        f"/referrals/{world.draft}/check-answers",
        f"/referrals/{world.draft}/documents",
        f"/referrals/{world.draft}/pdf",
        f"/referrals/{world.sent}/view",
        "/recover",
        "/submitted",
        *(f"/referrals/{world.draft}/sections/{section}" for section in SHOWN_SECTIONS),
    ]
    for url in urls:
        response = owner.get(url, follow_redirects=False)
        assert response.status_code in {200, 303}, url
    hub_route = "/hub/referrals/{reference}/status"
    hub_client = world.client_for(hub_route, RECIPES[hub_route])
    for url in [
        "/hub/referrals",
        f"/hub/referrals/{world.sent}",
        f"/hub/referrals/{world.sent}/pdf",
    ]:
        assert hub_client.get(url).status_code == 200, url


def test_every_recipe_is_for_a_post_route_that_exists() -> None:
    stale = sorted(set(RECIPES) - set(POST_ROUTES))
    assert not stale, f"recipes for routes the app no longer has: {stale}"
    assert "/referrals/{reference}/sections/{section_id}/autosave" in POST_ROUTES


# Stored text is shown as text everywhere -----------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
TEMPLATE = "Sum {{7*7}} end"
EVALUATED = "Sum 49 end"
EVERY_PAYLOAD = f"{SCRIPT} {IMAGE} {TEMPLATE}"


class PageReader(HTMLParser):
    """A page's text as a reader sees it, and the elements it really has."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        (self.script_text if self.in_script else self.text).append(data)


def read_page(page: str) -> PageReader:
    reader = PageReader()
    reader.feed(page)
    reader.close()
    return reader


def assert_shown_as_text(page: str, *expected: str, where: str) -> None:
    """Each expected text is on the page as words, none of it became markup or was evaluated."""
    reader = read_page(page)
    text = " ".join(" ".join(reader.text).split())
    for words in expected:
        assert words in text, f"{where} does not show {words!r}"
    assert EVALUATED not in text, f"{where} evaluated {TEMPLATE!r}"
    assert not [tag for tag, attrs in reader.tags if tag == "img" and attrs.get("src") == "x"], (
        where
    )
    assert not [tag for tag, attrs in reader.tags if "onerror" in attrs], where
    assert "alert(1)" not in "".join(reader.script_text), f"{where} runs the stored script"
    assert SCRIPT not in page and IMAGE not in page, f"{where} has the stored markup raw"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_stored_text_is_shown_as_text_on_every_page_in_the_pdf_and_in_email(
    client: TestClient, app: Starlette, settings: Settings, clock: Clock
) -> None:
    owner_email = "mallory.markup@school.example.org"
    response = post(client, "/register", forename=SCRIPT, surname=IMAGE)
    assert response.status_code == 303
    response = post(
        client,
        "/register/account",
        email=owner_email,
        password=STRONG_PASSWORD,
        confirm_password=STRONG_PASSWORD,
    )
    assert response.status_code == 303
    code = latest_code(settings, owner_email)
    assert post(client, "/register/code", code=code, action="check").status_code == 303

    reference = start_referral(client, SCRIPT, TEMPLATE)
    for section_id, answers in COMPLETE_ANSWERS.items():
        answers = dict(answers)
        if section_id == "your-details":
            answers["referrer_job_title"] = IMAGE
        elif section_id == "family":
            answers |= {"forename": SCRIPT, "surname": TEMPLATE}
        elif section_id == "family-assessment":
            answers["whats_happening"] = EVERY_PAYLOAD
        complete_section(client, reference, section_id, answers)
    child = f"{SCRIPT} {TEMPLATE}"

    draft_pages = {
        "the task list": f"/referrals/{reference}",
        "check your answers": f"/referrals/{reference}/check-answers",
        "recover a form": "/recover",
    }
    for where, url in draft_pages.items():
        assert_shown_as_text(client.get(url).text, child, where=where)
    assert_shown_as_text(
        client.get(f"/referrals/{reference}/check-answers").text,
        EVERY_PAYLOAD,
        IMAGE,
        where="check your answers",
    )
    assert post(client, f"/referrals/{reference}/send").status_code == 303

    make_hub_user(settings, HUB_EMAIL, now=clock())
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as hub_client:
        assert sign_in(hub_client, HUB_EMAIL).status_code == 303
        message = post(hub_client, f"/hub/referrals/{reference}/messages", message=EVERY_PAYLOAD)
        assert message.status_code == 303
        note = post(hub_client, f"/hub/referrals/{reference}/notes", note=EVERY_PAYLOAD)
        assert note.status_code == 303
        reply = post(client, f"/referrals/{reference}/messages", reply=EVERY_PAYLOAD)
        assert reply.status_code == 303
        assert_shown_as_text(
            hub_client.get(f"/hub/referrals/{reference}").text,
            child,
            EVERY_PAYLOAD,
            IMAGE,
            where="the hub's referral page",
        )
        assert_shown_as_text(
            hub_client.get("/hub/referrals", params={"q": "Sum"}).text, child, where="the inbox"
        )
        hub_pdf = hub_client.get(f"/hub/referrals/{reference}/pdf")
    assert_shown_as_text(
        client.get(f"/referrals/{reference}/view").text,
        child,
        EVERY_PAYLOAD,
        IMAGE,
        where="the sent form's view",
    )
    assert_shown_as_text(client.get("/submitted").text, child, where="submitted forms")
    assert_shown_as_text(client.get("/account").text, SCRIPT, IMAGE, where="my account")

    for pdf in (client.get(f"/referrals/{reference}/pdf"), hub_pdf):
        assert pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.content)
        for words in (SCRIPT, TEMPLATE, "onerror=alert(1)>"):
            assert words in text, f"the PDF does not show {words!r}"
        assert EVALUATED not in text

    mail = mail_to(settings, owner_email) + mail_to(settings, HUB_EMAIL)
    assert mail, "no email was queued"
    greeted = [m for m in mail if m.to_address == owner_email and m.text_body.startswith("Dear")]
    assert greeted, "no email greets the referrer by the name they gave"
    for sent_mail in mail:
        where = f"the email {sent_mail.subject!r}"
        greeting = [f"Dear {SCRIPT} {IMAGE},"] if sent_mail in greeted else []
        for words in greeting:
            assert words in sent_mail.text_body, where
        assert_shown_as_text(sent_mail.html_body, *greeting, where=where)
        for part in (sent_mail.subject, sent_mail.text_body):
            assert EVALUATED not in part, where


# Hostile uploads ----------------------------------------------------------------------------

# A PDF that is also a web page: readers take the PDF, a browser sniffing it would run the page.
PDF_HTML_POLYGLOT = (
    b"%PDF-1.4\n%<html><body><script>alert(document.cookie)</script></body></html>\n"
    b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
)
# A GIF header that is also JavaScript (`GIF89a/*...*/=alert(1)`), with the GIF's binary bytes.
GIF_SCRIPT_POLYGLOT = b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00*/=alert(1);//"
REFUSED_BY_NAME = "is not allowed: rename the file without slashes or dots"
HIDDEN_CHARACTERS = "has hidden characters that can disguise what the file is: rename the file"


@dataclass(frozen=True)
class Snapshot:
    """Everything an upload could touch: the referral's answers and its documents."""

    answers: list[tuple[str, str, int]]
    documents: list[tuple[str, str, int]]


def snapshot(settings: Settings, reference: str) -> Snapshot:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            referral = session.scalars(
                select(Referral).where(Referral.reference == reference)
            ).one()
            rows = session.scalars(
                select(SectionAnswers)
                .where(SectionAnswers.referral_id == referral.id)
                .order_by(SectionAnswers.section_id)
            )
            documents = session.scalars(
                select(Document).where(Document.referral_id == referral.id).order_by(Document.id)
            )
            return Snapshot(
                answers=[(row.section_id, repr(row.answers), row.version) for row in rows],
                documents=[(d.filename, d.key, d.size) for d in documents],
            )
    finally:
        engine.dispose()


def error_messages(page: str) -> list[str]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert summary, "no error summary"
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
        for text in re.findall(r"<a href=\"#documents\">(.*?)</a>", summary.group(0), re.S)
    ]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("picture.gif", GIF_SCRIPT_POLYGLOT, "picture.gif must be a PDF, Word"),
        ("picture.jpg", GIF_SCRIPT_POLYGLOT, "picture.jpg is not really a JPEG file"),
        ("picture.png", GIF_SCRIPT_POLYGLOT, "picture.png is not really a PNG file"),
        ("notes.txt", GIF_SCRIPT_POLYGLOT, "notes.txt is not really a text file"),
        ("page.html", PDF_HTML_POLYGLOT, "page.html must be a PDF, Word"),
        ("..\\..\\x.pdf", PDF_HTML_POLYGLOT, f"The name of ..\\..\\x.pdf {REFUSED_BY_NAME}"),
        ("report\t.pdf", PDF_HTML_POLYGLOT, f"The name of report.pdf {HIDDEN_CHARACTERS}"),
        ("report\x1b[2J.pdf", PDF_HTML_POLYGLOT, f"The name of report[2J.pdf {HIDDEN_CHARACTERS}"),
        ("report\x7f.pdf", PDF_HTML_POLYGLOT, f"The name of report.pdf {HIDDEN_CHARACTERS}"),
        ("invoice\u202efdp.exe", b"MZ\x90\x00", f"The name of invoicefdp.exe {HIDDEN_CHARACTERS}"),
        (
            "invoice\u202egpj.pdf",
            PDF_HTML_POLYGLOT,
            f"The name of invoicegpj.pdf {HIDDEN_CHARACTERS}",
        ),
        ("report\u2066.pdf", PDF_HTML_POLYGLOT, f"The name of report.pdf {HIDDEN_CHARACTERS}"),
        ("..", PDF_HTML_POLYGLOT, f"The name of .. {REFUSED_BY_NAME}"),
    ],
    ids=[
        "gif-script-polyglot-as-gif",
        "gif-script-polyglot-as-jpeg",
        "gif-script-polyglot-as-png",
        "gif-script-polyglot-as-text",
        "pdf-html-polyglot-as-html",
        "double-windows-path-traversal",
        "tab-in-name",
        "escape-sequence-in-name",
        "delete-character-in-name",
        "right-to-left-override-exe",
        "right-to-left-override-pdf",
        "left-to-right-isolate",
        "dot-dot",
    ],
)
def test_a_hostile_file_is_refused_by_name_and_nothing_else_changes(
    world: World, filename: str, data: bytes, message: str
) -> None:
    client, draft = world.owner, world.upload_draft
    before = snapshot(world.settings, draft)
    response = upload_files(client, draft, [("documents", filename, data)], description="consent")
    assert response.status_code == 422
    [shown] = error_messages(response.text)
    assert shown.startswith(message), shown
    assert snapshot(world.settings, draft) == before


def test_a_pdf_that_is_also_a_web_page_is_only_ever_downloaded_as_a_pdf(world: World) -> None:
    """Its content starts as a PDF's does, so it is accepted as one; it is never served as
    anything a browser would run."""
    client, draft = world.owner, world.upload_draft
    before = snapshot(world.settings, draft)
    files = [("documents", "report.pdf", PDF_HTML_POLYGLOT)]
    assert upload_files(client, draft, files, description="consent").status_code == 303
    after = snapshot(world.settings, draft)
    assert after.answers == before.answers
    [(filename, key, size)] = after.documents[len(before.documents) :]
    assert (filename, size) == ("report.pdf", len(PDF_HTML_POLYGLOT))
    download = client.get(f"/referrals/{draft}/documents/{key}")
    assert download.content == PDF_HTML_POLYGLOT
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]


@pytest.mark.parametrize("what", ["files", "fields"])
def test_two_thousand_parts_in_one_upload_are_refused_with_a_message(
    world: World, what: str
) -> None:
    client, draft = world.owner, world.upload_draft
    before = snapshot(world.settings, draft)
    if what == "files":
        parts = [("documents", f"n{n}.txt", b"x") for n in range(2000)]
        response = upload_files(client, draft, parts, description="consent")
    else:
        token = csrf_token_from(client.get("/").text)
        fields: list[Field] = [("csrf_token", token), ("description", "consent")]
        body = multipart(fields + [("description_other", "x")] * 2000, tiny_files("one", 1))
        response = client.post(
            f"/referrals/{draft}/documents",
            content=body.content,
            headers={"Content-Type": str(body.content_type)},
            follow_redirects=False,
        )
    assert response.status_code == 400
    expected = {
        "files": "The selected files could not be uploaded. Select at most 20 files at a time "
        "and try again",
        "fields": "The selected files could not be uploaded: the form arrived incomplete or "
        "could not be read. Try again, and if it happens again, rename the files using only "
        "letters, numbers, spaces and hyphens",
    }
    assert error_messages(response.text) == [expected[what]]
    assert snapshot(world.settings, draft) == before


@pytest.mark.parametrize(
    "body",
    [
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="documents"; filename="a\rb.pdf"',
        b"--BOUNDARY\r\nthis is not a part header\r\n\r\nx\r\n--BOUNDARY--\r\n",
    ],
    ids=["carriage-return-in-file-name", "malformed-part"],
)
def test_an_upload_that_cannot_be_read_says_so_not_that_it_had_too_many_files(
    world: World, body: bytes
) -> None:
    client, draft = world.owner, world.upload_draft
    before = snapshot(world.settings, draft)
    token = csrf_token_from(client.get("/").text)
    first = (
        f'--BOUNDARY\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
    ).encode()
    response = client.post(
        f"/referrals/{draft}/documents",
        content=first + body,
        headers={"Content-Type": "multipart/form-data; boundary=BOUNDARY"},
        follow_redirects=False,
    )
    assert response.status_code in (400, 422), response.status_code
    [message] = error_messages(response.text)
    assert "Select at most 20 files" not in message, message
    assert snapshot(world.settings, draft) == before


def test_a_section_form_over_the_form_size_limit_is_refused_also_as_multipart(
    world: World,
) -> None:
    client, draft = world.owner, world.upload_draft
    url = f"/referrals/{draft}/sections/family-assessment"
    page = client.get(url).text
    version = VERSION_FIELD.search(page)
    assert version
    before = snapshot(world.settings, draft)
    answer = "y" * (MAX_FORM_BYTES // 2 + 1)
    fields: list[Field] = [
        ("csrf_token", csrf_token_from(page)),
        ("version", version.group(1)),
        ("whats_happening", answer),
        ("circumstances_impact", answer),
    ]
    body = multipart(fields)
    response = client.post(
        f"{url}/autosave",
        content=body.content,
        headers={"Content-Type": str(body.content_type)},
        follow_redirects=False,
    )
    assert response.status_code == 413
    assert snapshot(world.settings, draft) == before
