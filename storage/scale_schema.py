"""What keeps the store fast at bank scale (issue 13, migration 0006): the review queue's
index in its own order, the partial and expression indexes of the queue's filters, the
trigram index of transcript search (PostgreSQL only) and the adherence counts the compliance
view reads. ``storage.schema`` imports this module so that all of it is part of the one
``Base.metadata`` the migrations are checked against.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema import Base, Call, RuleOutcome

# The review queue's order (critical failures first, then flagged, then the lowest score)
# exactly, directions included: the first page is the index's first 50 entries, not a sort
# of every call.
Index(
    "ix_calls_queue_order",
    Call.severity.desc(),
    Call.flagged.desc(),
    Call.score,
    Call.id,
)
# The queue's count of calls waiting for a QA lead's decision: only the undecided
# needs_review outcomes are in it (a few per cent), with the scope's columns.
# Functions migration 0006 creates on PostgreSQL (the adherence counts' trigger): a restore
# into a non-empty store drops them with the tables, or pg_restore finds them there.
STORE_FUNCTIONS = ("adherence_counts_keep",)
UNDECIDED = "outcome = 'needs_review' AND reviewed_outcome IS NULL"
Index(
    "ix_rule_results_undecided",
    RuleOutcome.call_id,
    RuleOutcome.team_id,
    RuleOutcome.agent_id,
    postgresql_where=text(UNDECIDED),
    sqlite_where=text(UNDECIDED),
)
# The queue's "rule R failed (after review)" filter: rule and effective outcome to call.
Index(
    "ix_rule_results_effective",
    RuleOutcome.rule_id,
    func.coalesce(RuleOutcome.reviewed_outcome, RuleOutcome.outcome),
    RuleOutcome.call_id,
)

# Search by three or more characters reads this instead of every transcript (PostgreSQL
# with the pg_trgm contrib extension; migration 0006 creates it only there).
Index(
    "ix_calls_search_trgm",
    Call.search_text,
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
    info={"only_on": "postgresql"},
).ddl_if(dialect="postgresql")


def exists_on(item: Any, dialect: str) -> bool:
    """False for a schema item made on another database only (``info["only_on"]``, e.g.
    the trigram index): comparing a migrated store with these models skips it there."""
    only_on = getattr(item, "info", {}).get("only_on")
    return only_on is None or only_on == dialect


class AdherenceCount(Base):
    """How many rule outcomes (after review) there are per month, rule, team, agent and
    outcome: the compliance view's counts, kept by database triggers on ``rule_results``
    (migration 0006) so that a year of ten million calls is read as a few hundred thousand
    rows, not a hundred million. A missing month, team or agent is '' (part of the key)."""

    __tablename__ = "adherence_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
