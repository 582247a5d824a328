"""rule outcomes carry a confidence and, when sent to review, the outcome they leaned to;
an index finds the outcomes still waiting for a QA lead

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Outcomes stored before this revision keep a NULL confidence: they were never
    # measured, and a made-up 1.0 would claim a certainty nobody had.
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("leaning", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_rule_results_open_review", ["outcome", "reviewed_outcome"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_results_open_review")
        batch_op.drop_column("leaning")
        batch_op.drop_column("confidence")
