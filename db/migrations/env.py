"""Alembic environment: the models' metadata, the URL from `portal migrate` or the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from app import models  # noqa: F401 - registers every table on Base.metadata
from app.db import Base, create_database_engine
from app.settings import Settings

target_metadata = Base.metadata


def database_url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or Settings.from_environ().database_url


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
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
            run_with(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
