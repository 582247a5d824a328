"""call drivers and complaint categories (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_drivers",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("driver_id", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_drivers_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", "driver_id", name=op.f("pk_call_drivers")),
    )
    with op.batch_alter_table("call_drivers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_drivers_month_driver", ["month", "driver_id", "team_id"], unique=False
        )

    op.create_table(
        "call_complaints",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("cues", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_complaints_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_complaints")),
    )
    with op.batch_alter_table("call_complaints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_complaints_month_category", ["month", "category"], unique=False
        )

    op.create_table(
        "call_unmatched",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("taxonomy", sa.String(length=256), nullable=False),
        sa.Column("utterances", sa.JSON(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_unmatched_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_unmatched")),
    )
    with op.batch_alter_table("call_unmatched", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_unmatched_month"), ["month"], unique=False)

    op.create_table(
        "survey_drivers",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("driver_id", sa.String(length=64), nullable=True),
        sa.Column("complaint_category", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("taxonomy", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_drivers_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_survey_drivers")),
    )
    with op.batch_alter_table("survey_drivers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_drivers_driver_id"), ["driver_id"], unique=False
        )


def downgrade() -> None:
    for table in ("survey_drivers", "call_unmatched", "call_complaints", "call_drivers"):
        op.drop_table(table)
