"""An account can be disabled by an operator (a leaver, a compromised account) and enabled again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # SQLite 3.35+ and PostgreSQL both drop a column in place.
    op.execute("ALTER TABLE user_account DROP COLUMN disabled_at")
