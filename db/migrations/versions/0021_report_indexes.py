"""Indexes for the hub managers' reports: a period's sent referrals counted from an index that
holds every column the reports count (no table rows read), and the forms started in a period.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORTS_SENT = (
    "status",
    "submitted_at",
    "first_decision_at",
    "referrer_organisation_type",
    "urgency",
    "hub_status",
)


def upgrade() -> None:
    op.create_index("ix_referral_reports_sent", "referral", list(REPORTS_SENT))
    op.create_index("ix_referral_created_at_status", "referral", ["created_at", "status"])


def downgrade() -> None:
    op.drop_index("ix_referral_created_at_status", table_name="referral")
    op.drop_index("ix_referral_reports_sent", table_name="referral")
