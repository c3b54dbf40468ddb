"""What the hub's reports count, kept as the portal runs, and who may see them.

`user_account.is_hub_manager`: hub staff who also manage the hub (set by `portal
grant-manager`). `referral.referrer_organisation_type`: the referrer's type of organisation,
copied from Your Details like their organisation. `referral_service`: one row per service a
sent referral asked for in Request for Support. `ended_draft`: a count record of each draft
deleted unsent, with nothing personal in it.

Referrals already sent get their services, and their organisation type where they have one,
from their answers, read in batches. The section and question ids and the codes are written
out here, not imported, so that this migration stays as it is whatever the app becomes. Columns
are added in place, as in 0016 and 0017 (a batch would copy the referral table).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-09
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
REQUEST_FOR_SUPPORT_SECTION = "request-for-support"
REQUEST_FOR_SUPPORT_QUESTION = "services"
SERVICES = frozenset(
    {
        "stronger-families",
        "social-care",
        "send",
        "portage",
        "early-health-notification",
        "participation",
        "targeted-programmes",
    }
)
YOUR_DETAILS_SECTION = "your-details"
ORGANISATION_TYPE_QUESTION = "referrer_organisation_type"
ORGANISATION_TYPES = frozenset({"school", "health", "police", "voluntary", "council", "other"})


def upgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("is_hub_manager", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "referral", sa.Column("referrer_organisation_type", sa.String(length=30), nullable=True)
    )
    op.create_index(
        op.f("ix_referral_referrer_organisation_type"),
        "referral",
        ["referrer_organisation_type"],
        unique=False,
    )
    op.create_table(
        "referral_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_service_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_service")),
        sa.UniqueConstraint("referral_id", "service", name=op.f("uq_referral_service_referral_id")),
    )
    op.create_index(
        op.f("ix_referral_service_service"), "referral_service", ["service"], unique=False
    )
    op.create_table(
        "ended_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("referral_option", sa.String(length=40), nullable=False),
        sa.Column("last_section", sa.String(length=64), nullable=True),
        sa.Column("sections_completed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_draft")),
    )
    op.create_index(op.f("ix_ended_draft_started_at"), "ended_draft", ["started_at"], unique=False)
    fill_sent_referrals()


def fill_sent_referrals() -> None:
    connection = op.get_bind()
    referral = sa.table(
        "referral",
        sa.column("id"),
        sa.column("status"),
        sa.column("referrer_organisation_type"),
    )
    answers = sa.table(
        "section_answers",
        sa.column("referral_id"),
        sa.column("section_id"),
        sa.column("answers", sa.JSON),
    )
    service = sa.table("referral_service", sa.column("referral_id"), sa.column("service"))
    sent = [
        row.id
        for row in connection.execute(
            sa.select(referral.c.id).where(referral.c.status == "submitted").order_by(referral.c.id)
        )
    ]
    for start in range(0, len(sent), BATCH):
        batch = sent[start : start + BATCH]
        rows = connection.execute(
            sa.select(answers.c.referral_id, answers.c.section_id, answers.c.answers).where(
                answers.c.referral_id.in_(batch),
                answers.c.section_id.in_([REQUEST_FOR_SUPPORT_SECTION, YOUR_DETAILS_SECTION]),
            )
        )
        services: list[dict[str, Any]] = []
        types: list[dict[str, Any]] = []
        for row in rows:
            stored = row.answers if isinstance(row.answers, dict) else {}
            if row.section_id == REQUEST_FOR_SUPPORT_SECTION:
                chosen = stored.get(REQUEST_FOR_SUPPORT_QUESTION)
                chosen = chosen if isinstance(chosen, list) else []
                services += [
                    {"referral_id": row.referral_id, "service": code}
                    for code in dict.fromkeys(c for c in chosen if isinstance(c, str))
                    if code in SERVICES
                ]
            elif (
                isinstance(stored.get(ORGANISATION_TYPE_QUESTION), str)
                and stored[ORGANISATION_TYPE_QUESTION] in ORGANISATION_TYPES
            ):
                types.append(
                    {"of_referral": row.referral_id, "type": stored[ORGANISATION_TYPE_QUESTION]}
                )
        if services:
            connection.execute(sa.insert(service), services)
        if types:
            connection.execute(
                sa.update(referral)
                .where(referral.c.id == sa.bindparam("of_referral"))
                .values(referrer_organisation_type=sa.bindparam("type")),
                types,
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_ended_draft_started_at"), table_name="ended_draft")
    op.drop_table("ended_draft")
    op.drop_index(op.f("ix_referral_service_service"), table_name="referral_service")
    op.drop_table("referral_service")
    op.drop_index(op.f("ix_referral_referrer_organisation_type"), table_name="referral")
    op.drop_column("referral", "referrer_organisation_type")
    op.drop_column("user_account", "is_hub_manager")
