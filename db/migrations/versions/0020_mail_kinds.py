"""Mail kinds: each queued email records what it is (its template's kind) and the values its
words are made of, so that GOV.UK Notify can send it from its own copy of the template.
Messages queued before have neither; SMTP still sends them from their stored text.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_message", sa.Column("kind", sa.String(length=40), nullable=True))
    op.add_column("outbox_message", sa.Column("personalisation", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_message", "personalisation")
    op.drop_column("outbox_message", "kind")
