"""The hub: triage status and urgency of sent referrals, their message timeline, documents
removed as attached in error, and columns for the inbox's search.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("child_nhs_number", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("referrer_organisation", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("hub_status", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("urgency", sa.String(length=10), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_referral_child_nhs_number"), ["child_nhs_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referral_hub_status"), ["hub_status"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_urgency"), ["urgency"], unique=False)
        batch_op.create_index(
            "ix_referral_status_submitted_at", ["status", "submitted_at"], unique=False
        )
    # Referrals sent before the hub existed arrive as "received".
    op.execute("UPDATE referral SET hub_status = 'received' WHERE status = 'submitted'")

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("removed_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_document_removed_by_id_user_account"),
            "user_account",
            ["removed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "referral_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_referral_message_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_message_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_message")),
    )
    with op.batch_alter_table("referral_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_message_referral_created", ["referral_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_message", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_message_referral_created")
    op.drop_table("referral_message")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_document_removed_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("removed_reason")
        batch_op.drop_column("removed_by_id")
        batch_op.drop_column("removed_at")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_status_submitted_at")
        batch_op.drop_index(batch_op.f("ix_referral_urgency"))
        batch_op.drop_index(batch_op.f("ix_referral_hub_status"))
        batch_op.drop_index(batch_op.f("ix_referral_child_nhs_number"))
        batch_op.drop_column("urgency")
        batch_op.drop_column("hub_status")
        batch_op.drop_column("referrer_organisation")
        batch_op.drop_column("child_nhs_number")
