"""server-side console sessions, sign-in throttling, legal holds, and the team an agent's
scorecard belongs to

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("client", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["username"],
            ["users.username"],
            name=op.f("fk_console_sessions_username_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_sessions_username"), ["username"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_console_sessions_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )

    op.create_table(
        "legal_holds",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=128), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_legal_holds")),
    )

    # Existing scorecards keep a NULL team until the next appraisal run recomputes them;
    # the console then falls back to the agent's current team for those rows.
    with op.batch_alter_table("agent_scorecards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_agent_scorecards_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_scorecards_team_id"))
        batch_op.drop_column("team_id")
    op.drop_table("legal_holds")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_console_sessions_username"))
    op.drop_table("console_sessions")
