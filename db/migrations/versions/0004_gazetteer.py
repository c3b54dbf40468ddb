"""The address gazetteer (seeded from db/seed/gazetteer.csv) and the child's date of birth
on referrals, for lists and search.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import csv
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

SEED = Path(__file__).resolve().parents[2] / "seed" / "gazetteer.csv"


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    gazetteer = op.create_table(
        "gazetteer_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uprn", sa.String(length=12), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=False),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("postcode_key", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gazetteer_address")),
        sa.UniqueConstraint("uprn", name=op.f("uq_gazetteer_address_uprn")),
    )
    with op.batch_alter_table("gazetteer_address", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gazetteer_address_postcode_key"), ["postcode_key"], unique=False
        )

    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("child_date_of_birth", sa.Date(), nullable=True))

    with SEED.open(newline="") as file:
        rows = [
            {**row, "postcode_key": row["postcode"].replace(" ", "").upper()}
            for row in csv.DictReader(file)
        ]
    op.bulk_insert(gazetteer, rows)


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("child_date_of_birth")

    with op.batch_alter_table("gazetteer_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gazetteer_address_postcode_key"))

    op.drop_table("gazetteer_address")
