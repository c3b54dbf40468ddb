"""Referrals: drafts with their section answers, and referrals started before signing in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_start",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("referral_option", sa.String(length=40), nullable=False),
        sa.Column("child_forename", sa.String(length=100), nullable=False),
        sa.Column("child_surname", sa.String(length=100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_start")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_start_token_hash")),
    )
    with op.batch_alter_table("pending_start", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_start_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("referral_option", sa.String(length=40), nullable=False),
        sa.Column("child_forename", sa.String(length=100), nullable=False),
        sa.Column("child_surname", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_referral_owner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("reference", name=op.f("uq_referral_reference")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_status"), ["status"], unique=False)

    op.create_table(
        "section_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_section_answers_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_answers")),
        sa.UniqueConstraint(
            "referral_id", "section_id", name=op.f("uq_section_answers_referral_id")
        ),
    )
    with op.batch_alter_table("section_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_section_answers_referral_id"), ["referral_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("section_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_section_answers_referral_id"))

    op.drop_table("section_answers")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_status"))
        batch_op.drop_index(batch_op.f("ix_referral_owner_id"))

    op.drop_table("referral")
    with op.batch_alter_table("pending_start", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_start_created_at"))

    op.drop_table("pending_start")
