"""Alembic environment: the models' metadata, the URL from `portal migrate` or the settings."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection

from app import models  # noqa: F401 - registers every table on Base.metadata
from app.db import Base, UTCDateTime, create_database_engine
from app.settings import Settings

target_metadata = Base.metadata


def database_url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or Settings.from_environ().database_url


def render_item(type_: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    """Autogenerate writes our UTC column type as the plain column it is in the database."""
    if type_ == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_database_engine(database_url())
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                without_foreign_keys(connection)
            else:
                run_with(connection)
    finally:
        engine.dispose()


def without_foreign_keys(connection: Connection) -> None:
    """SQLite: migrate with foreign keys off, then check them.

    Batch mode changes a table by copying it and dropping the old one; with foreign keys on,
    dropping it deletes every row that refers to it with ON DELETE CASCADE (a referral's
    answers, a document's contents). SQLite's own procedure for changing a table: foreign keys
    off (only possible outside a transaction), change, `foreign_key_check`, on again."""
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        run_with(connection)
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.commit()
        if broken:
            raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
