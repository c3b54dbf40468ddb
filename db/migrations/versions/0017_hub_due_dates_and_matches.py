"""The hub's first decision and other referrals of the same child.

`referral.first_decision_at`: when the hub first moved a sent referral on from "received"
(its due date is worked out from when it was sent, not stored: app/services/decision_due.py).
Filled for referrals already sent from their timelines: the earliest status change to anything
but "received".

`referral.child_name_key` (the child's names folded: case, accents, spaces, hyphens) and
`referral.child_dob_estimated` ("Estimated DOB" ticked), indexed with the date of birth, to find
other referrals of the same child. Filled for referrals already sent from their names and
answers. The folding is written out here, not imported, so that this migration stays as it is
whatever the app becomes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _name_key(forename: str, surname: str) -> str:
    decomposed = unicodedata.normalize("NFKD", f"{forename}{surname}")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in bare.casefold() if c.isalnum())[:200]


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: on SQLite a batch would copy the referral table, and
    # dropping the old copy would delete every row that refers to it (foreign keys are on).
    op.add_column("referral", sa.Column("first_decision_at", sa.DateTime(timezone=True)))
    op.add_column("referral", sa.Column("child_name_key", sa.String(length=200), nullable=True))
    op.add_column(
        "referral",
        sa.Column("child_dob_estimated", sa.Boolean(), nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_referral_child_name_key_dob",
        "referral",
        ["child_name_key", "child_date_of_birth"],
        unique=False,
    )
    connection = op.get_bind()
    referral = sa.table(
        "referral",
        sa.column("id"),
        sa.column("status"),
        sa.column("child_forename"),
        sa.column("child_surname"),
        sa.column("child_date_of_birth"),
        sa.column("first_decision_at"),
        sa.column("child_name_key"),
        sa.column("child_dob_estimated", sa.Boolean()),
    )
    message = sa.table(
        "referral_message",
        sa.column("referral_id"),
        sa.column("kind"),
        sa.column("status"),
        sa.column("created_at"),
    )
    answers = sa.table(
        "section_answers",
        sa.column("referral_id"),
        sa.column("section_id"),
        sa.column("answers", sa.JSON),
    )
    first_decision = (
        sa.select(sa.func.min(message.c.created_at))
        .where(
            message.c.referral_id == referral.c.id,
            message.c.kind == "status",
            message.c.status != "received",
        )
        .scalar_subquery()
    )
    connection.execute(
        sa.update(referral)
        .where(referral.c.status == "submitted")
        .values(first_decision_at=first_decision)
    )
    estimated = {
        row.referral_id
        for row in connection.execute(
            sa.select(answers.c.referral_id, answers.c.answers).where(
                answers.c.section_id == "your-details"
            )
        )
        if isinstance(row.answers, dict)
        and isinstance(row.answers.get("child_dob_estimated"), list)
        and "estimated" in row.answers["child_dob_estimated"]
    }
    sent = connection.execute(
        sa.select(
            referral.c.id,
            referral.c.child_forename,
            referral.c.child_surname,
            referral.c.child_date_of_birth,
        ).where(referral.c.status == "submitted")
    ).all()
    for row in sent:
        connection.execute(
            sa.update(referral)
            .where(referral.c.id == row.id)
            .values(
                child_name_key=_name_key(row.child_forename, row.child_surname),
                child_dob_estimated=row.child_date_of_birth is not None and row.id in estimated,
            )
        )


def downgrade() -> None:
    op.drop_index("ix_referral_child_name_key_dob", table_name="referral")
    for column in ("child_dob_estimated", "child_name_key", "first_decision_at"):
        op.drop_column("referral", column)
