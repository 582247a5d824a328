"""compliance and queue indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:11:35.565411
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_target"), ["target"], unique=False)

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_queue"))
        batch_op.create_index(batch_op.f("ix_calls_processed_at"), ["processed_at"], unique=False)
        batch_op.create_index(
            "ix_calls_queue_order", ["severity", "flagged", "score", "id"], unique=False
        )

    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("month", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("agent_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_rule_results_adherence",
            ["month", "rule_id", "team_id", "agent_id", "outcome", "reviewed_outcome"],
            unique=False,
        )
    # outcomes stored before this revision take their call's month, team and agent
    for column in ("month", "team_id", "agent_id"):
        op.execute(
            f"UPDATE rule_results SET {column} = "
            f"(SELECT calls.{column} FROM calls WHERE calls.id = rule_results.call_id)"
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_results_adherence")
        batch_op.drop_column("agent_id")
        batch_op.drop_column("team_id")
        batch_op.drop_column("month")

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_queue_order")
        batch_op.drop_index(batch_op.f("ix_calls_processed_at"))
        batch_op.create_index(
            batch_op.f("ix_calls_queue"), ["flagged", "severity", "score"], unique=False
        )

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_target"))
