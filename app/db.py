"""Database engine, sessions and the declarative base shared by every model."""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.request_model import DatabaseOnEventLoop, on_event_loop

# Named constraints, so that migrations can alter and drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 5000


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, stored and returned as timezone-aware UTC on every database (SQLite
    would otherwise hand back naive datetimes)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the portal stores moments in UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers carry on while one writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Statements after which SQLite holds its single write lock until the transaction ends.
_SQLITE_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT)\b", re.IGNORECASE)


def _one_writer_at_a_time(timeout: float) -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose write transactions take turns through one lock per
    engine. SQLite allows one writer; without this, worker threads of the same process wait for
    each other in SQLite's busy handler, which sleeps 1, 2, 5, 10 ... ms between tries and
    leaves the lock idle meanwhile: under load saves queue behind sleeps, not work. A waiting
    writer now wakes the moment the lock is free. Other processes (the CLI) still meet SQLite's
    busy timeout, as before."""
    lock = threading.Lock()

    class TurnTakingCursor(sqlite3.Cursor):
        connection: TurnTakingConnection

        def execute(self, sql: str, parameters: Any = (), /) -> TurnTakingCursor:
            self.connection.before(sql)
            super().execute(sql, parameters)
            return self

        def executemany(self, sql: str, parameters: Any, /) -> TurnTakingCursor:
            self.connection.before(sql)
            super().executemany(sql, parameters)
            return self

    class TurnTakingConnection(sqlite3.Connection):
        holds_turn = False

        def cursor(self, factory: Any = TurnTakingCursor) -> Any:
            return super().cursor(factory)

        def before(self, sql: str) -> None:
            if self.holds_turn or self.in_transaction or not _SQLITE_WRITES.match(sql):
                return
            if not lock.acquire(timeout=timeout):
                raise sqlite3.OperationalError("database is locked")
            self.holds_turn = True

        def give_turn(self) -> None:
            if self.holds_turn:
                self.holds_turn = False
                lock.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.give_turn()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.give_turn()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.give_turn()

    return TurnTakingConnection


@dataclass(frozen=True)
class PoolSettings:
    """How many connections one app instance keeps, and how long a request waits for one
    before it is answered with the 503 page."""

    size: int = 15
    timeout_seconds: float = 3.0


def create_database_engine(
    database_url: str, pool: PoolSettings = PoolSettings(), *, loop_guard: bool = False
) -> Engine:
    """An engine for the URL: SQLite gets WAL, foreign keys and a busy timeout. With
    `loop_guard`, asking for a connection on the event loop raises `DatabaseOnEventLoop`
    (development and tests: the request model says the loop never waits on the database)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    # A fixed pool: no overflow, so that the number of connections is known and bounded.
    # hide_parameters keeps answers (personal data) out of error messages and so out of logs.
    common: dict[str, Any] = {
        "hide_parameters": True,
        "poolclass": QueuePool,
        "pool_size": pool.size,
        "max_overflow": 0,
        "pool_timeout": pool.timeout_seconds,
    }
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            **common,
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "check_same_thread": False,
                "factory": _one_writer_at_a_time(SQLITE_BUSY_TIMEOUT_MS / 1000),
            },
        )
        event.listen(engine, "connect", _configure_sqlite_connection)
    else:
        # pre_ping: after the database comes back, stale pooled connections are replaced.
        engine = create_engine(
            url, **common, pool_pre_ping=True, connect_args={"connect_timeout": 5}
        )
    if loop_guard:
        event.listen(engine, "checkout", _refuse_on_event_loop)
    return engine


def _refuse_on_event_loop(_dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if on_event_loop():
        raise DatabaseOnEventLoop(
            "a database connection was asked for on the event loop: do this work in a worker "
            "(see app/request_model.py)"
        )


def sqlite_file(database_url: str) -> Path | None:
    """The file behind an SQLite URL, or None for other databases and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def database_answers(engine: Engine) -> bool:
    """True when a trivial query succeeds: what /healthz reports."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure to answer means "not healthy"
        return False
    return True


class DatabaseSessionMiddleware:
    """One database session per request, closed (and so rolled back unless committed) after it.

    Handlers get it with `request_session(request)`; services take it as an argument and the
    handler commits once the work has succeeded. The session is opened lazily and closed by
    the worker that used it (app/request_model.py); if something used it after that (an error
    page), it is closed here, off the loop.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["state"]
        session: Session = state["session_factory"]()
        state["db"] = session
        try:
            await self.app(scope, receive, send)
        finally:
            if session.in_transaction():
                await run_in_threadpool(session.close)
            else:
                session.close()


def request_session(request: Request) -> Session:
    """The database session of this request."""
    session: Session = request.state.db
    return session
