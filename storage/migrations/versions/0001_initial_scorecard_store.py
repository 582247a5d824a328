"""initial scorecard store

Revision ID: 0001
Revises:
Create Date: 2026-11-27 09:48:30.419437
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("client", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_username"), ["username"], unique=False)

    op.create_table(
        "processed_recordings",
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("version", sa.String(length=256), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("transcribed_with", sa.String(length=256), nullable=True),
        sa.Column("analysed_with", sa.String(length=512), nullable=True),
        sa.Column("transcript_key", sa.String(length=1024), nullable=True),
        sa.Column("claimed_by", sa.String(length=256), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", "version", name=op.f("pk_processed_recordings")),
    )
    with op.batch_alter_table("processed_recordings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_recordings_call_id"), ["call_id"], unique=False
        )

    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_agents_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_team_id"), ["team_id"], unique=False)

    op.create_table(
        "agent_scorecards",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("business", sa.Float(), nullable=False),
        sa.Column("service", sa.Float(), nullable=False),
        sa.Column("compliance", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("meets_standard", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_scorecards_agent_id_agents")
        ),
        sa.PrimaryKeyConstraint("agent_id", "period", name=op.f("pk_agent_scorecards")),
    )
    with op.batch_alter_table("agent_scorecards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_scorecards_period"), ["period"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("customer_ref", sa.String(length=128), nullable=True),
        sa.Column("channel_layout", sa.String(length=16), nullable=True),
        sa.Column("ring_time_s", sa.Float(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("source_version", sa.String(length=256), nullable=False),
        sa.Column("transcript_key", sa.String(length=1024), nullable=True),
        sa.Column("analysis_key", sa.String(length=1024), nullable=True),
        sa.Column("redacted_audio_key", sa.String(length=1024), nullable=True),
        sa.Column("models", sa.String(length=256), nullable=False),
        sa.Column("rule_pack", sa.String(length=256), nullable=False),
        sa.Column("policy", sa.String(length=256), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("rules_applicable", sa.Integer(), nullable=False),
        sa.Column("rules_passed", sa.Integer(), nullable=False),
        sa.Column("enquiry_answered", sa.Boolean(), nullable=True),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("customer_end_sentiment", sa.Float(), nullable=True),
        sa.Column("agent_negative_share", sa.Float(), nullable=True),
        sa.Column("forbidden_language", sa.Boolean(), nullable=False),
        sa.Column("answer_time_s", sa.Float(), nullable=True),
        sa.Column("response_latency_p90_s", sa.Float(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("sentiment", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("training_case", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_calls_agent_id_agents")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_calls_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index("ix_calls_agent_month", ["agent_id", "month"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_flagged"), ["flagged"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_month"), ["month"], unique=False)
        batch_op.create_index("ix_calls_queue", ["flagged", "severity", "score"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_reviewed"), ["reviewed"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_score"), ["score"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_severity"), ["severity"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_team_id"), ["team_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_users_agent_id_agents")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams")),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_users")),
    )
    op.create_table(
        "call_scorecards",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("analysed_score", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_scorecards_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_scorecards")),
    )
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=128), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_qa_reviews_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reviews")),
    )
    with op.batch_alter_table("qa_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_reviews_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_reviews_created_at"), ["created_at"], unique=False)

    op.create_table(
        "rule_results",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reviewed_outcome", sa.String(length=16), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_rule_results_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", "rule_id", name=op.f("pk_rule_results")),
    )
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_results_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index("ix_rule_results_rule_outcome", ["rule_id", "outcome"], unique=False)

    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_surveys_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_surveys_call_id_calls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("source", name="uq_surveys_source"),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_month"), ["month"], unique=False)

    op.create_table(
        "turns",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sentiment_label", sa.String(length=16), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_turns_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", "index", name=op.f("pk_turns")),
    )


def downgrade() -> None:
    op.drop_table("turns")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_month"))
        batch_op.drop_index(batch_op.f("ix_surveys_call_id"))
        batch_op.drop_index(batch_op.f("ix_surveys_agent_id"))

    op.drop_table("surveys")
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_results_rule_outcome")
        batch_op.drop_index(batch_op.f("ix_rule_results_rule_id"))

    op.drop_table("rule_results")
    with op.batch_alter_table("qa_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_reviews_created_at"))
        batch_op.drop_index(batch_op.f("ix_qa_reviews_call_id"))

    op.drop_table("qa_reviews")
    op.drop_table("call_scorecards")
    op.drop_table("users")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_team_id"))
        batch_op.drop_index(batch_op.f("ix_calls_started_at"))
        batch_op.drop_index(batch_op.f("ix_calls_severity"))
        batch_op.drop_index(batch_op.f("ix_calls_score"))
        batch_op.drop_index(batch_op.f("ix_calls_reviewed"))
        batch_op.drop_index("ix_calls_queue")
        batch_op.drop_index(batch_op.f("ix_calls_month"))
        batch_op.drop_index(batch_op.f("ix_calls_flagged"))
        batch_op.drop_index("ix_calls_agent_month")
        batch_op.drop_index(batch_op.f("ix_calls_agent_id"))

    op.drop_table("calls")
    with op.batch_alter_table("agent_scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_scorecards_period"))

    op.drop_table("agent_scorecards")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_team_id"))

    op.drop_table("agents")
    op.drop_table("teams")
    with op.batch_alter_table("processed_recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_recordings_call_id"))

    op.drop_table("processed_recordings")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_username"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
