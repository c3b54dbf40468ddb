"""Alembic, driven from code: `portal migrate` and the tests use the same configuration."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from app.db import sqlite_file
from app.settings import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "db" / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's ini interpolation treats % specially; URLs may hold %-escaped passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Bring the database's schema to the newest migration (creating an SQLite file's folder)."""
    path = sqlite_file(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")
