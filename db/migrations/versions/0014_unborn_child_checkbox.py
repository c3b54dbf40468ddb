""" "Has the child been born?" becomes one checkbox, "The child is not born yet".

The date of birth is asked of every child now, and is needed unless that box is ticked: so the
stored answer changes shape from a radio's "yes"/"no" to a checkbox list. "no" becomes ["no"]
(the box ticked); "yes" is dropped (nothing ticked). Only Your Details rows that hold the old
shape are written. The names are listed here, not imported, so that this migration stays as
it is whatever the app becomes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECTION = "your-details"
QUESTION = "child_born"
DROP = object()

answers = sa.table(
    "section_answers",
    sa.column("id"),
    sa.column("section_id"),
    sa.column("answers", sa.JSON),
)


def _rewrite(convert: Callable[[Any], Any]) -> None:
    """Write every Your Details row whose answer `convert` changes (DROP: no answer)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(answers.c.id, answers.c.answers).where(answers.c.section_id == SECTION)
    ).all()
    for row in rows:
        stored = row.answers if isinstance(row.answers, dict) else {}
        if QUESTION not in stored:
            continue
        new = convert(stored[QUESTION])
        if new == stored[QUESTION]:
            continue
        changed = {key: value for key, value in stored.items() if key != QUESTION}
        if new is not DROP:
            changed[QUESTION] = new
        connection.execute(sa.update(answers).where(answers.c.id == row.id).values(answers=changed))


def _to_checkbox(value: Any) -> Any:
    if value == "no":
        return ["no"]
    return DROP if isinstance(value, str) else value


def _to_radio(value: Any) -> Any:
    # A child whose box was not ticked cannot be told from one whose answer was never given,
    # so only the ticked box comes back as an answer.
    if value == ["no"]:
        return "no"
    return DROP if isinstance(value, list) else value


def upgrade() -> None:
    _rewrite(_to_checkbox)


def downgrade() -> None:
    _rewrite(_to_radio)
