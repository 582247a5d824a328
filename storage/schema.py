"""The scorecard store's tables (SQLAlchemy 2). Alembic migrations in storage/migrations are
the only way they are created or changed; this module is what the migrations are checked
against.

Times are naive UTC. ``calls.month`` (YYYY-MM of the call's start) is kept beside
``started_at`` so that monthly appraisal is a plain GROUP BY on an index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), index=True)

    team: Mapped[Team | None] = relationship()


class Call(Base):
    """One recording, processed: where it came from, what it scored, why it is flagged."""

    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    month: Mapped[str | None] = mapped_column(String(7), index=True)
    customer_ref: Mapped[str | None] = mapped_column(String(128))
    channel_layout: Mapped[str | None] = mapped_column(String(16))
    ring_time_s: Mapped[float | None] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    language: Mapped[str | None] = mapped_column(String(16))

    # where it came from (the recording is never served: only the redacted copy is)
    source: Mapped[str] = mapped_column(String(1024))
    source_version: Mapped[str] = mapped_column(String(256))
    transcript_key: Mapped[str | None] = mapped_column(String(1024))
    analysis_key: Mapped[str | None] = mapped_column(String(1024))
    redacted_audio_key: Mapped[str | None] = mapped_column(String(1024))

    # provenance: which models, rule pack and policy produced these results
    models: Mapped[str] = mapped_column(String(256))
    rule_pack: Mapped[str] = mapped_column(String(256))
    policy: Mapped[str] = mapped_column(String(256))

    # the score after QA reviews (the analysed score stays in the scorecard)
    score: Mapped[float] = mapped_column(Float, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    severity: Mapped[int] = mapped_column(
        Integer, default=0, index=True, doc="failed critical rules; sorts the review queue"
    )
    # per-call counts kept beside the rows they summarise, so that appraisal over a
    # million calls reads one table (updated together with rule outcomes and reviews)
    rules_applicable: Mapped[int] = mapped_column(Integer, default=0)
    rules_passed: Mapped[int] = mapped_column(Integer, default=0)
    enquiry_answered: Mapped[bool | None] = mapped_column(
        Boolean, doc="the customer's question was answered or a follow-up committed"
    )
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    customer_end_sentiment: Mapped[float | None] = mapped_column(Float)
    agent_negative_share: Mapped[float | None] = mapped_column(Float)
    language_breach: Mapped[bool] = mapped_column(
        Boolean, default=False, doc="a rule the pack tags language_breach failed (§7.1 attitude)"
    )
    answer_time_s: Mapped[float | None] = mapped_column(Float)
    response_latency_p90_s: Mapped[float | None] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sentiment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="", doc="redacted words, for search")

    training_case: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    processed_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    agent: Mapped[Agent | None] = relationship()
    turns: Mapped[list[Turn]] = relationship(
        cascade="all, delete-orphan", order_by="Turn.index", passive_deletes=True
    )
    rules: Mapped[list[RuleOutcome]] = relationship(
        cascade="all, delete-orphan", order_by="RuleOutcome.rule_id", passive_deletes=True
    )
    scorecard: Mapped[CallScorecard | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (Index("ix_calls_agent_month", "agent_id", "month"),)


class Turn(Base):
    """One turn of the redacted transcript, with its sentiment."""

    __tablename__ = "turns"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    speaker: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)


class RuleOutcome(Base):
    """A rule's outcome on a call, as analysed, with its evidence; QA reviews may overturn it."""

    __tablename__ = "rule_results"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    outcome: Mapped[str] = mapped_column(
        String(16), doc="passed | failed | not_applicable | needs_review"
    )
    confidence: Mapped[float | None] = mapped_column(
        Float, doc="how sure the analysis was (0..1); None for calls stored before 0003"
    )
    leaning: Mapped[str | None] = mapped_column(
        String(16), doc="for needs_review: the outcome the analysis leaned towards"
    )
    reviewed_outcome: Mapped[str | None] = mapped_column(
        String(16), doc="the outcome after the latest QA review, if any"
    )
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="what the outcome feeds beyond its row (core.analysis.Tag)"
    )
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # copied from the call so that adherence per rule, team, agent and month is one
    # covering-index scan, not a join over every outcome (compliance view, §6.3)
    month: Mapped[str | None] = mapped_column(String(7))
    team_id: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_rule_results_rule_outcome", "rule_id", "outcome"),
        Index(
            "ix_rule_results_adherence",
            "month",
            "rule_id",
            "team_id",
            "agent_id",
            "outcome",
            "reviewed_outcome",
        ),
    )

    @property
    def effective_outcome(self) -> str:
        return self.reviewed_outcome or self.outcome


class CallScorecard(Base):
    """The call's score as analysed and as reviewed, each part with what it is made of."""

    __tablename__ = "call_scorecards"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    analysed_score: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    flags: Mapped[list[Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class QAReview(Base):
    """A QA lead confirms or overturns one rule outcome on one call, with a comment."""

    __tablename__ = "qa_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16), doc="confirmed | overturned")
    outcome: Mapped[str] = mapped_column(String(16), doc="the outcome the reviewer settled on")
    reviewer: Mapped[str] = mapped_column(String(128))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Survey(Base):
    """A customer satisfaction survey answer (call-back or online form), linked to a call."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"), index=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    month: Mapped[str | None] = mapped_column(String(7), index=True)
    satisfied: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer, doc="1-5 where the survey asks")
    category: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(256), doc="file and row it was imported from")

    __table_args__ = (UniqueConstraint("source", name="uq_surveys_source"),)


class AgentScorecard(Base):
    """An agent's appraisal for one period: a month (YYYY-MM) or a quarter (YYYYQN)."""

    __tablename__ = "agent_scorecards"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(8), doc="month | quarter")
    team_id: Mapped[str | None] = mapped_column(
        String(64),
        index=True,
        doc="the team the agent worked in that period (from its calls), so that a transfer "
        "does not carry the agent's past months to the new team's supervisor",
    )
    calls: Mapped[int] = mapped_column(Integer)
    business: Mapped[float] = mapped_column(Float)
    service: Mapped[float] = mapped_column(Float)
    compliance: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    meets_standard: Mapped[bool] = mapped_column(Boolean)
    rank: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, doc="every input and target, for 'why'")
    computed_at: Mapped[datetime] = mapped_column(DateTime)


class ProcessedRecording(Base):
    """The idempotency ledger: one row per (recording, version).

    ``transcribed_with`` (the models) decides whether a stored transcript can be reused;
    ``analysed_with`` (rule pack + policy) whether the analysis is current. A row whose
    status is ``claimed`` and whose claim is old belongs to a worker that died: it is taken
    over on the next run.
    """

    __tablename__ = "processed_recordings"

    source: Mapped[str] = mapped_column(String(1024), primary_key=True)
    version: Mapped[str] = mapped_column(String(256), primary_key=True)
    call_id: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), doc="claimed | done | quarantined")
    transcribed_with: Mapped[str | None] = mapped_column(String(256))
    analysed_with: Mapped[str | None] = mapped_column(String(512))
    transcript_key: Mapped[str | None] = mapped_column(String(1024))
    claimed_by: Mapped[str | None] = mapped_column(String(256))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str | None] = mapped_column(Text)


class User(Base):
    """A console account: local, with a hashed password and one role."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(
        String(16), doc="admin | qa_lead | compliance | supervisor | agent"
    )
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """Who looked at what: every access to a transcript or a recording, every review."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(1024), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(128))


class ConsoleSession(Base):
    """A signed-in console session, kept server-side so that signing out, disabling the
    account or changing its password ends it; the cookie carries only its random token,
    whose SHA-256 is the key here (a copied table gives no usable cookie)."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("users.username", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    client: Mapped[str | None] = mapped_column(String(128))


class SignInThrottle(Base):
    """Failed sign-ins per account (``user:NAME``) and per address (``addr:IP``): enough
    failures in the window lock the key until ``locked_until``. In the store, not in the
    process, so that several console workers share one count."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class LegalHold(Base):
    """A call that retention must not remove or archive (policy §6.2), and why."""

    __tablename__ = "legal_holds"

    call_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(128))
    placed_at: Mapped[datetime] = mapped_column(DateTime)


# The live tables live beside this module (it would pass 400 lines); imported here so that
# they are part of Base.metadata wherever the schema is.
from storage import drivers_schema as _drivers_schema  # noqa: E402,F401  (call drivers, issue 12)
from storage import live_schema as _live_schema  # noqa: E402,F401
from storage import scale_schema as _scale_schema  # noqa: E402,F401  (bank scale, issue 13)
