"""calls in progress and their alerts for the Live page (issue 12)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_calls",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("reconnects", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("recording_path", sa.String(length=1024), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_calls")),
    )
    with op.batch_alter_table("live_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_calls_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_calls_closed_at"), ["closed_at"], unique=False)

    op.create_table(
        "live_segments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["live_calls.id"],
            name=op.f("fk_live_segments_call_id_live_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_segments")),
    )
    with op.batch_alter_table("live_segments", schema=None) as batch_op:
        batch_op.create_index("ix_live_segments_call", ["call_id", "id"], unique=False)

    op.create_table(
        "live_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["live_calls.id"],
            name=op.f("fk_live_alerts_call_id_live_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_alerts")),
        sa.UniqueConstraint("call_id", "rule_id", name="uq_live_alerts_call_rule"),
    )


def downgrade() -> None:
    op.drop_table("live_alerts")
    op.drop_table("live_segments")
    with op.batch_alter_table("live_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_calls_closed_at"))
        batch_op.drop_index(batch_op.f("ix_live_calls_agent_id"))
    op.drop_table("live_calls")
