"""Section saves remember which open page made them (token and save number), so that a page's
save overtaken only by its own cancelled autosave is not taken for another tab's.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("section_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("page_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("section_answers", schema=None) as batch_op:
        batch_op.drop_column("page_seq")
        batch_op.drop_column("page_token")
