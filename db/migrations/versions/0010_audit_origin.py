"""The audit log says from where: the client's address beside the request id.

A plain ADD COLUMN on both databases (no table rebuild), so the triggers that keep the audit
log append-only stay in place.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("client_address", sa.String(length=45), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ and PostgreSQL both drop a column in place.
    op.execute("ALTER TABLE audit_event DROP COLUMN client_address")
