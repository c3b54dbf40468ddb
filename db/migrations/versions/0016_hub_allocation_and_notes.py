"""Hub staff allocate a sent referral to one of them, and keep internal notes on it: the
referral's allocation, and who each allocation in its timeline went to. Notes are timeline
entries of their own kind, so they need no column.

The new columns name a user without a foreign key constraint (as audit_event.actor_user_id
does; accounts are disabled, never deleted). On SQLite a constraint could only be added or
dropped by copying the table, and dropping the old `referral` with foreign keys on deletes
every row that cascades from it (answers, documents, messages): plain columns are added and
dropped in place.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("referral", sa.Column("allocated_to_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_referral_allocated_to_id"), "referral", ["allocated_to_id"], unique=False
    )
    op.add_column("referral_message", sa.Column("allocated_to_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("referral_message", "allocated_to_id")
    op.drop_index(op.f("ix_referral_allocated_to_id"), table_name="referral")
    op.drop_column("referral", "allocated_to_id")
