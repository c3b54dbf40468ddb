"""The test harness: the portal on a fresh SQLite file and, beside it, on PostgreSQL.

Every test that takes `client`, `app` or `database_url` runs once per database backend. The
PostgreSQL backend is a throwaway cluster started from the installed binaries (or the server
named by TEST_DATABASE_URL, an admin URL on which test databases may be created). CI sets
PORTAL_REQUIRE_POSTGRES=1 so that a missing PostgreSQL fails the run instead of narrowing it.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import User
from app.settings import Settings
from testkit.clamd import ClamdServer, clamd_available, start_clamd
from testkit.journeys import csrf_token_from as csrf_token_from
from testkit.live import LivePortal, start_portal
from testkit.postgres import (
    PostgresCluster,
    create_database,
    drop_database,
    postgres_bin_dir,
    remove_cluster,
    start_cluster,
)

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
_database_numbers = itertools.count(1)


def postgres_wanted() -> bool:
    return bool(os.environ.get("TEST_DATABASE_URL")) or postgres_bin_dir() is not None


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_wanted() else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PORTAL_REQUIRE_POSTGRES") == "1" and not postgres_wanted():
        raise pytest.UsageError(
            "PORTAL_REQUIRE_POSTGRES=1 but no PostgreSQL binaries (initdb) were found and "
            "TEST_DATABASE_URL is not set: install postgresql."
        )


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    cluster: PostgresCluster | None = start_cluster(in_memory=True)
    assert cluster is not None, "PostgreSQL binaries disappeared during the run"
    try:
        yield cluster.admin_url
    finally:
        remove_cluster(cluster)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "portal.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    name = f"portal_template_{os.getpid()}"
    upgrade_to_head(create_database(postgres_admin_url, name))
    return name


@pytest.fixture(params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema, for this test alone (dropped after it)."""
    if backend == "sqlite":
        path = tmp_path / "portal.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    admin_url = request.getfixturevalue("postgres_admin_url")
    url = create_database(
        admin_url, f"portal_test_{os.getpid()}_{next(_database_numbers)}", template
    )
    yield url
    drop_database(admin_url, url)


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A fresh database with no tables at all, for migration tests (dropped after it)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    url = create_database(admin_url, f"portal_empty_{os.getpid()}_{next(_database_numbers)}")
    yield url
    drop_database(admin_url, url)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": Secret(TEST_SECRET_KEY),
        "environment": "test",
        "base_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def live_portal(database_url: str) -> Iterator[LivePortal]:
    """`portal serve` on this test's database (testkit/live.py), stopped afterwards."""
    live = start_portal(database_url)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


class Clock:
    """A clock the test moves on by hand: no sleeping to test timeouts."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt at its lowest cost for tests through the app (speed); production's cost 12 has
    its own test, and the browser journeys run the real cost."""
    monkeypatch.setattr("app.services.passwords.BCRYPT_COST", 4)


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClamdServer]:
    """Debian's clamd on a free port with the EICAR test signature (testkit/clamd.py), for the
    tests of a module that scans uploads."""
    if not clamd_available():
        pytest.fail("clamd is needed (apt-get install clamav-daemon)")
    server = start_clamd(tmp_path_factory.mktemp("clamd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(settings: Settings, clock: Clock, fast_password_hashing: None) -> Starlette:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    # Uncompressed, so that the GZip middleware passes on which template rendered a response
    # (`response.template`); compression has its own test.
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as test_client:
        yield test_client


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on this test's database, as the app's services take them."""
    engine = create_database_engine(database_url)
    try:
        yield create_session_factory(engine)
    finally:
        engine.dispose()


def add_professional(
    session: Session,
    email: str = "ada@school.example.org",
    *,
    forename: str = "Ada",
    surname: str = "Lovelace",
) -> User:
    """A professional's account, added to `session` and flushed (its id known); its password
    signs nobody in. For services that need an owner, not someone to sign in as."""
    user = User(
        email=email,
        email_key=email.lower(),
        forename=forename,
        surname=surname,
        password_hash="not-a-real-hash",
    )
    session.add(user)
    session.flush()
    return user
