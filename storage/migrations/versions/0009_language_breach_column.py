"""calls.forbidden_language becomes calls.language_breach: the column says what the pack's
tag decides (a rule tagged language_breach failed), not the id of the rule that did, so a
renamed rule keeps feeding the §7.1 attitude item

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _rename(old: str, new: str) -> None:
    # recreate="never": an ALTER TABLE ... RENAME COLUMN in place on both databases
    # (SQLite has it since 3.25). Alembic's batch copy of ``calls`` would DROP the old
    # table, and with the store's foreign_keys pragma on, that deletes every call's turns,
    # rule outcomes and scorecard through their ON DELETE CASCADE.
    with op.batch_alter_table("calls", schema=None, recreate="never") as batch_op:
        batch_op.alter_column(
            old, new_column_name=new, existing_type=sa.Boolean(), existing_nullable=False
        )


def upgrade() -> None:
    _rename("forbidden_language", "language_breach")


def downgrade() -> None:
    _rename("language_breach", "forbidden_language")
