"""rule outcomes carry the pack's tags (what they feed beyond their row: answers_enquiry,
language_breach), so that the store never decides by rule id

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The tags the bundled pack gave these rules when they were stored: before this revision
# the store recognised them by id, so this is the one place their ids remain.
_TAGGED_BEFORE_0005 = {
    "result_confirmation": ["answers_enquiry"],
    "followup_commitment": ["answers_enquiry"],
    "forbidden_language": ["language_breach"],
}


def upgrade() -> None:
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    rule_results = sa.table(
        "rule_results", sa.column("rule_id", sa.String()), sa.column("tags", sa.JSON())
    )
    for rule_id, tags in _TAGGED_BEFORE_0005.items():
        op.execute(rule_results.update().where(rule_results.c.rule_id == rule_id).values(tags=tags))
    op.execute(rule_results.update().where(rule_results.c.tags.is_(None)).values(tags=[]))
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.alter_column("tags", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.drop_column("tags")
