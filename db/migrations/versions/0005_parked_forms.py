"""Parked forms: section answers posted after a session ended, kept for their sender.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parked_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_parked_form_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_form")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_parked_form_token_hash")),
    )
    with op.batch_alter_table("parked_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parked_form_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_parked_form_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parked_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parked_form_user_id"))
        batch_op.drop_index(batch_op.f("ix_parked_form_created_at"))

    op.drop_table("parked_form")
