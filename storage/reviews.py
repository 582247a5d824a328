"""Writing what a QA review changes (§5.2, §3): the reviewed rule outcome and the review's
row, the call's rescored row and scorecard, training-case and escalation marks, each with
its audit entry. Which outcome a verdict settles on, and what the call then scores, is the
review use case's (appraisal/reviews.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analysis import RuleResult
from pipeline.scorecard import RuleFacts
from storage.audit_log import append as append_audit
from storage.results import apply_rule_facts, utcnow
from storage.schema import Call, CallScorecard, QAReview, RuleOutcome


@dataclass(frozen=True)
class EffectiveOutcomes:
    """A call's rule outcomes as they stand after its reviews, and whether any was reviewed."""

    rules: tuple[RuleResult, ...]
    reviewed: bool


def rule_outcome(session: Session, call_id: str, rule_id: str) -> RuleOutcome | None:
    return session.get(RuleOutcome, (call_id, rule_id))


def rule_ids(session: Session, call_id: str) -> list[str]:
    """The rules the call has an outcome for."""
    return list(session.scalars(select(RuleOutcome.rule_id).where(RuleOutcome.call_id == call_id)))


def add_review(
    session: Session,
    outcome: RuleOutcome,
    *,
    verdict: str,
    settled: str,
    reviewer: str,
    comment: str,
) -> QAReview:
    """Records that ``reviewer`` settled ``outcome`` on ``settled`` (the review's row, the
    outcome's reviewed value and the audit entry, written together)."""
    outcome.reviewed_outcome = settled
    review = QAReview(
        call_id=outcome.call_id,
        rule_id=outcome.rule_id,
        verdict=verdict,
        outcome=settled,
        reviewer=reviewer,
        comment=comment,
        created_at=utcnow(),
    )
    session.add(review)
    _audit(
        session,
        reviewer,
        "qa_review",
        outcome.call_id,
        f"{outcome.rule_id}: {verdict} -> {settled}",
    )
    session.flush()
    return review


def effective_outcomes(session: Session, call_id: str) -> EffectiveOutcomes:
    """The call's rule outcomes with each reviewer's settlement in place of the analysis'."""
    rows = list(session.scalars(select(RuleOutcome).where(RuleOutcome.call_id == call_id)))
    rules = tuple(
        RuleResult(
            id=r.rule_id,
            outcome=r.effective_outcome,
            reason=r.reason,
            critical=r.critical,
            tags=tuple(r.tags or ()),
        )
        for r in rows
    )
    return EffectiveOutcomes(rules, any(r.reviewed_outcome is not None for r in rows))


def store_call_score(
    session: Session,
    call: Call,
    *,
    score: float,
    breakdown: Mapping[str, object],
    flags: Sequence[str],
    facts: RuleFacts,
    reviewed: bool,
) -> None:
    """Writes a call's rescored values: its row's score, flags and counts, and its scorecard
    (the analysed score stays; a call without a scorecard gets one from this score)."""
    call.score = score
    call.flagged = bool(flags)
    apply_rule_facts(call, facts)
    call.reviewed = reviewed
    card = session.get(CallScorecard, call.id)
    if card is None:
        card = CallScorecard(call_id=call.id, analysed_score=score)
        session.add(card)
    card.score = score
    card.breakdown = dict(breakdown)
    card.flags = list(flags)
    card.updated_at = utcnow()
    session.flush()


def mark_training_case(session: Session, call: Call, on: bool, by: str) -> None:
    """Marks (or unmarks) the call as a training case, audited."""
    call.training_case = on
    _audit(session, by, "training_case" if on else "training_case_off", call.id, None)
    session.flush()


def mark_escalated(session: Session, call: Call, by: str, comment: str | None) -> None:
    """Marks the call escalated, audited with who and why."""
    call.escalated = True
    _audit(session, by, "escalate", call.id, comment)
    session.flush()


def _audit(session: Session, username: str, action: str, call_id: str, detail: str | None) -> None:
    append_audit(
        session, at=utcnow(), username=username, action=action, target=f"call:{call_id}",
        detail=detail,
    )  # fmt: skip
