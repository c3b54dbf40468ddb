"""Invisible formatting characters out of text stored before they were refused at the door.

Answers, names and messages are now stored without bidirectional controls, zero-width spaces,
word joiners, byte-order marks and soft hyphens (app/plain_text.py::visible_text), which could
make a child's name display as another to hub staff. This removes them from what was stored
before: referrals' and accounts' names, every section's answers, and messages. Only rows that
hold one are written. The characters are listed here, not imported, so that this migration
stays as it is whatever the app becomes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)

TEXT_COLUMNS = {
    "referral": ("child_forename", "child_surname", "referrer_organisation"),
    "user_account": ("forename", "surname"),
    "pending_start": ("child_forename", "child_surname"),
    "referral_message": ("body",),
}


def _visible(value: Any) -> Any:
    if isinstance(value, str):
        return INVISIBLE.sub("", value)
    if isinstance(value, list):
        return [_visible(item) for item in value]
    if isinstance(value, dict):
        return {key: _visible(item) for key, item in value.items()}
    return value


def upgrade() -> None:
    connection = op.get_bind()
    for table_name, columns in TEXT_COLUMNS.items():
        table = sa.table(table_name, sa.column("id"), *(sa.column(name) for name in columns))
        for row in connection.execute(sa.select(table)).mappings().all():
            cleaned = {name: _visible(row[name]) for name in columns}
            if any(cleaned[name] != row[name] for name in columns):
                connection.execute(
                    sa.update(table).where(table.c.id == row["id"]).values(**cleaned)
                )
    answers = sa.table("section_answers", sa.column("id"), sa.column("answers", sa.JSON))
    for row in connection.execute(sa.select(answers.c.id, answers.c.answers)).all():
        cleaned = _visible(row.answers)
        if cleaned != row.answers:
            connection.execute(
                sa.update(answers).where(answers.c.id == row.id).values(answers=cleaned)
            )


def downgrade() -> None:
    # Nothing to undo: the characters removed carried no meaning.
    pass
