"""Two-factor sign-in with an authenticator app: the secret on the account, and recovery codes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("totp_secret", "totp_pending_secret", "totp_enabled_at", "totp_last_step")


def upgrade() -> None:
    op.add_column("user_account", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column(
        "user_account", sa.Column("totp_pending_secret", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "user_account", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("user_account", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_recovery_code_user_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE user_account DROP COLUMN {column}")
