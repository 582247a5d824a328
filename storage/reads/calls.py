"""One call as the console shows it: the call, its agent's name, its redacted transcript, its
rule outcomes with their evidence, its scorecard and its review history, as frozen rows.

Nothing here decides who may see the call (``console.permissions.check_call`` does, on the
``StoredCall`` read first); the recording's own location (``Call.source``) is never read
out, only the redacted copy's key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.schema import Agent, Call, CallScorecard, QAReview, RuleOutcome, Turn


@dataclass(frozen=True)
class StoredCall:
    """The call's own row, as far as the console shows it."""

    id: str
    agent_id: str | None
    team_id: str | None
    started_at: datetime | None
    month: str | None
    duration_s: float
    language: str | None
    score: float
    flagged: bool
    severity: int
    reviewed: bool
    training_case: bool
    escalated: bool
    customer_end_sentiment: float | None
    metrics: dict[str, Any]
    sentiment: dict[str, Any]
    redacted_audio_key: str | None

    @classmethod
    def of(cls, call: Call) -> StoredCall:
        return cls(
            id=call.id,
            agent_id=call.agent_id,
            team_id=call.team_id,
            started_at=call.started_at,
            month=call.month,
            duration_s=call.duration_s,
            language=call.language,
            score=call.score,
            flagged=call.flagged,
            severity=call.severity,
            reviewed=call.reviewed,
            training_case=call.training_case,
            escalated=call.escalated,
            customer_end_sentiment=call.customer_end_sentiment,
            metrics=dict(call.metrics or {}),
            sentiment=dict(call.sentiment or {}),
            redacted_audio_key=call.redacted_audio_key,
        )


@dataclass(frozen=True)
class TurnRow:
    """One turn of the redacted transcript, with its sentiment."""

    index: int
    speaker: str
    start: float
    end: float
    text: str
    sentiment_label: str | None
    sentiment_score: float | None

    @classmethod
    def of(cls, t: Turn) -> TurnRow:
        return cls(t.index, t.speaker, t.start, t.end, t.text, t.sentiment_label, t.sentiment_score)


@dataclass(frozen=True)
class RuleRow:
    """A rule's outcome on the call, as analysed and as reviewed, with its evidence."""

    rule_id: str
    outcome: str
    reviewed_outcome: str | None
    confidence: float | None
    leaning: str | None
    critical: bool
    reason: str
    evidence: list[Any]

    @classmethod
    def of(cls, r: RuleOutcome) -> RuleRow:
        return cls(
            r.rule_id,
            r.outcome,
            r.reviewed_outcome,
            r.confidence,
            r.leaning,
            r.critical,
            r.reason,
            list(r.evidence or []),
        )

    @property
    def effective_outcome(self) -> str:
        return self.reviewed_outcome or self.outcome


@dataclass(frozen=True)
class ScorecardRow:
    """The call's score as analysed and as reviewed, each part with what it is made of."""

    analysed_score: float
    score: float
    breakdown: dict[str, Any]
    flags: list[Any]

    @classmethod
    def of(cls, s: CallScorecard) -> ScorecardRow:
        return cls(s.analysed_score, s.score, dict(s.breakdown or {}), list(s.flags or []))


@dataclass(frozen=True)
class ReviewRow:
    rule_id: str
    verdict: str
    outcome: str
    reviewer: str
    comment: str
    created_at: datetime

    @classmethod
    def of(cls, r: QAReview) -> ReviewRow:
        return cls(r.rule_id, r.verdict, r.outcome, r.reviewer, r.comment, r.created_at)


@dataclass(frozen=True)
class CallDetail:
    call: StoredCall
    agent_name: str | None
    turns: list[TurnRow]
    rules: list[RuleRow]
    scorecard: ScorecardRow | None
    reviews: list[ReviewRow]


def call_row(session: Session, call_id: str) -> StoredCall | None:
    call = session.get(Call, call_id)
    return StoredCall.of(call) if call is not None else None


def call_detail(session: Session, call: StoredCall) -> CallDetail:
    """Everything the call's page shows besides the call itself (read by ``call_row``)."""
    agent = session.get(Agent, call.agent_id) if call.agent_id else None
    turns = [
        TurnRow.of(t)
        for t in session.scalars(select(Turn).where(Turn.call_id == call.id).order_by(Turn.index))
    ]
    rules = [
        RuleRow.of(r)
        for r in session.scalars(
            select(RuleOutcome)
            .where(RuleOutcome.call_id == call.id)
            .order_by(RuleOutcome.critical.desc(), RuleOutcome.rule_id)
        )
    ]
    reviews = [
        ReviewRow.of(r)
        for r in session.scalars(
            select(QAReview).where(QAReview.call_id == call.id).order_by(QAReview.id.desc())
        )
    ]
    scorecard = session.get(CallScorecard, call.id)
    return CallDetail(
        call=call,
        agent_name=agent.name if agent else None,
        turns=turns,
        rules=rules,
        scorecard=ScorecardRow.of(scorecard) if scorecard is not None else None,
        reviews=reviews,
    )


def score_now(session: Session, call_id: str) -> float | None:
    """The call's score as stored now, with this session's pending changes (a review just
    recorded) written first; None for a call that is gone."""
    session.flush()
    return session.scalar(select(Call.score).where(Call.id == call_id))
