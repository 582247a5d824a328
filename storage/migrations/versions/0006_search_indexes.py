"""indexes that keep the console fast at bank scale (issue 13)

- ``ix_calls_queue_order`` in the queue's own directions (severity and flagged descending,
  score and id ascending), so that a queue page reads its 50 entries instead of sorting
  every call;
- ``ix_rule_results_undecided`` (partial: undecided needs_review outcomes only) replaces
  ``ix_rule_results_open_review``, which indexed every outcome for that one count;
- ``ix_rule_results_effective`` (rule, outcome after review, call) for the queue's
  "rule R failed" filter;
- ``adherence_counts``: rule outcomes (after review) counted per month, rule, team, agent
  and outcome, kept by triggers on ``rule_results`` whoever writes it (storing, review,
  re-analysis, retention), so that the compliance view reads counts, not every outcome;
- on PostgreSQL, a trigram GIN index on ``calls.search_text`` (pg_trgm, where the server has
  the contrib extension) so that a search by three or more characters reads the index
  instead of every transcript.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UNDECIDED = "outcome = 'needs_review' AND reviewed_outcome IS NULL"
COUNT_COLUMNS = "month, rule_id, team_id, agent_id, outcome, n"


def _key(row: str) -> str:
    """The counts' key for NEW or OLD: a missing month, team or agent is ''."""
    return (
        f"coalesce({row}.month, ''), {row}.rule_id, coalesce({row}.team_id, ''),"
        f" coalesce({row}.agent_id, ''), coalesce({row}.reviewed_outcome, {row}.outcome)"
    )


def _matches(row: str) -> str:
    return (
        f"month = coalesce({row}.month, '') AND rule_id = {row}.rule_id"
        f" AND team_id = coalesce({row}.team_id, '') AND agent_id = coalesce({row}.agent_id, '')"
        f" AND outcome = coalesce({row}.reviewed_outcome, {row}.outcome)"
    )


def _add(row: str) -> str:
    return (
        f"INSERT INTO adherence_counts ({COUNT_COLUMNS}) VALUES ({_key(row)}, 1)"
        " ON CONFLICT (month, rule_id, team_id, agent_id, outcome) DO UPDATE SET n ="
        " adherence_counts.n + 1"
    )


def _take(row: str) -> str:
    return f"UPDATE adherence_counts SET n = n - 1 WHERE {_matches(row)}"


TRACKED = ("month", "rule_id", "team_id", "agent_id", "outcome", "reviewed_outcome")
CHANGED = (
    f"({', '.join(f'OLD.{c}' for c in TRACKED)}) IS DISTINCT FROM"
    f" ({', '.join(f'NEW.{c}' for c in TRACKED)})"
)
BACKFILL = (
    f"INSERT INTO adherence_counts ({COUNT_COLUMNS})"
    " SELECT coalesce(month, ''), rule_id, coalesce(team_id, ''), coalesce(agent_id, ''),"
    " coalesce(reviewed_outcome, outcome), count(*) FROM rule_results GROUP BY 1, 2, 3, 4, 5"
)


def counting_triggers(dialect: str) -> list[str]:
    """The statements that keep ``adherence_counts`` in step with ``rule_results``
    (bench/bulk_load.py runs them too, after loading without them)."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION adherence_counts_keep() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN"
            f" IF TG_OP = 'UPDATE' AND NOT {CHANGED} THEN RETURN NULL; END IF;"
            f" IF TG_OP IN ('UPDATE', 'DELETE') THEN {_take('OLD')}; END IF;"
            f" IF TG_OP IN ('UPDATE', 'INSERT') THEN {_add('NEW')}; END IF;"
            " RETURN NULL; END $$",
            "CREATE TRIGGER adherence_counts_keep AFTER INSERT OR UPDATE OR DELETE"
            " ON rule_results FOR EACH ROW EXECUTE FUNCTION adherence_counts_keep()",
        ]
    return [
        "CREATE TRIGGER adherence_counts_insert AFTER INSERT ON rule_results"
        f" BEGIN {_add('NEW')}; END",
        "CREATE TRIGGER adherence_counts_delete AFTER DELETE ON rule_results"
        f" BEGIN {_take('OLD')}; END",
        "CREATE TRIGGER adherence_counts_update AFTER UPDATE ON rule_results"
        f" WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in TRACKED)}"
        f" BEGIN {_take('OLD')}; {_add('NEW')}; END",
    ]


def _drop_counting_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS adherence_counts_keep ON rule_results")
        op.execute("DROP FUNCTION IF EXISTS adherence_counts_keep()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS adherence_counts_{name}")


def _has_trigram_extension() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(
        bind.execute(
            sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        ).scalar()
    )


def upgrade() -> None:
    op.create_table(
        "adherence_counts",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "rule_id", "team_id", "agent_id", "outcome", name=op.f("pk_adherence_counts")
        ),
    )
    op.execute(BACKFILL)
    for statement in counting_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_queue_order")
        batch_op.create_index(
            "ix_calls_queue_order",
            [sa.text("severity DESC"), sa.text("flagged DESC"), "score", "id"],
            unique=False,
        )
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_results_open_review")
        batch_op.create_index(
            "ix_rule_results_undecided",
            ["call_id", "team_id", "agent_id"],
            unique=False,
            postgresql_where=sa.text(UNDECIDED),
            sqlite_where=sa.text(UNDECIDED),
        )
        batch_op.create_index(
            "ix_rule_results_effective",
            ["rule_id", sa.text("coalesce(reviewed_outcome, outcome)"), "call_id"],
            unique=False,
        )
    if _has_trigram_extension():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_calls_search_trgm ON calls"
            " USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    _drop_counting_triggers(op.get_bind().dialect.name)
    op.drop_table("adherence_counts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_calls_search_trgm")
    with op.batch_alter_table("rule_results", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_results_effective")
        batch_op.drop_index("ix_rule_results_undecided")
        batch_op.create_index(
            "ix_rule_results_open_review", ["outcome", "reviewed_outcome"], unique=False
        )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_queue_order")
        batch_op.create_index(
            "ix_calls_queue_order", ["severity", "flagged", "score", "id"], unique=False
        )
