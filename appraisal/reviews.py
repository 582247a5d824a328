"""QA review of a call (§5.2): confirm or overturn a rule outcome, mark training cases (§3),
escalate. A review changes what the call scores: the call's score, flags and denormalised
counts are recomputed from the effective outcomes, and so is the agent's monthly scorecard
where the month has been appraised.

Errors::

    CallqaError
    └── ReviewError            a review cannot be recorded (bad verdict, n/a outcome)
        ├── UnknownCallError   no such call in the store
        └── UnknownRuleError   the call has no outcome for that rule
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analysis import CallSentiment, RuleResult
from core.errors import CallqaError
from pipeline.scorecard import rule_facts, score_call
from rules.policy import Policy
from storage.results import apply_rule_facts, utcnow
from storage.schema import AgentScorecard, AuditEntry, Call, CallScorecard, QAReview, RuleOutcome

Verdict = Literal["confirmed", "overturned", "decided"]
DECIDABLE = ("passed", "failed", "not_applicable")
_FLIP = {"passed": "failed", "failed": "passed"}


class ReviewError(CallqaError):
    """A QA review, training mark or escalation cannot be recorded."""


class UnknownCallError(ReviewError):
    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        super().__init__(f"call {call_id!r} is not in the scorecard store")


class UnknownRuleError(ReviewError):
    def __init__(self, call_id: str, rule_id: str, known: list[str]) -> None:
        self.call_id, self.rule_id = call_id, rule_id
        super().__init__(
            f"call {call_id!r} has no outcome for rule {rule_id!r}; "
            f"its rules are: {', '.join(known) or '(none)'}"
        )


def _call(session: Session, call_id: str) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise UnknownCallError(call_id)
    return call


def _audit(session: Session, username: str, action: str, target: str, detail: str | None) -> None:
    session.add(
        AuditEntry(at=utcnow(), username=username, action=action, target=target, detail=detail)
    )


def record_review(
    session: Session,
    call_id: str,
    rule_id: str,
    verdict: Verdict,
    reviewer: str,
    comment: str = "",
    *,
    policy: Policy,
    decision: str | None = None,
) -> QAReview:
    """Records a reviewer's verdict on one rule outcome and rescores the call.

    The verdict judges the outcome as it stands now (after earlier reviews): ``overturned``
    flips passed <-> failed, ``confirmed`` keeps it, ``decided`` sets ``decision`` (passed,
    failed or not_applicable): how a QA lead settles an outcome the analysis sent to
    review. The analysed score stays in the call's scorecard (``analysed_score``);
    ``score`` becomes the reviewed one.
    """
    if verdict not in ("confirmed", "overturned", "decided"):
        raise ReviewError(f"verdict {verdict!r} is not 'confirmed', 'overturned' or 'decided'")
    call = _call(session, call_id)
    outcome = session.get(RuleOutcome, (call_id, rule_id))
    if outcome is None:
        known = session.scalars(select(RuleOutcome.rule_id).where(RuleOutcome.call_id == call_id))
        raise UnknownRuleError(call_id, rule_id, list(known))
    current = outcome.effective_outcome
    if verdict == "decided":
        if decision not in DECIDABLE:
            raise ReviewError(
                f"decision {decision!r} for rule {rule_id!r}: expected one of"
                f" {', '.join(DECIDABLE)}"
            )
        settled = decision
    elif current == "needs_review":
        raise ReviewError(
            f"rule {rule_id!r} needs review on call {call_id!r}: decide it (passed, failed or"
            " not_applicable) rather than confirm or overturn it"
        )
    elif verdict == "overturned" and current not in _FLIP:
        raise ReviewError(
            f"rule {rule_id!r} was {current} on call {call_id!r}: only a passed or failed "
            "outcome can be overturned"
        )
    else:
        settled = _FLIP[current] if verdict == "overturned" else current
    outcome.reviewed_outcome = settled
    review = QAReview(
        call_id=call_id,
        rule_id=rule_id,
        verdict=verdict,
        outcome=settled,
        reviewer=reviewer,
        comment=comment,
        created_at=utcnow(),
    )
    session.add(review)
    _audit(session, reviewer, "qa_review", f"call:{call_id}", f"{rule_id}: {verdict} -> {settled}")
    session.flush()
    rescore_call(session, call, policy)
    if call.agent_id and call.month and _month_appraised(session, call.month):
        from appraisal.monthly import recompute_agent_month

        recompute_agent_month(session, call.agent_id, call.month, policy)
    return review


def _month_appraised(session: Session, month: str) -> bool:
    return (
        session.scalars(
            select(AgentScorecard.agent_id).where(AgentScorecard.period == month).limit(1)
        ).first()
        is not None
    )


def rescore_call(session: Session, call: Call, policy: Policy) -> None:
    """Recomputes the call's score, flags and counts from its effective rule outcomes."""
    rows = list(session.scalars(select(RuleOutcome).where(RuleOutcome.call_id == call.id)))
    rules = [
        RuleResult(
            id=r.rule_id,
            outcome=r.effective_outcome,
            reason=r.reason,
            critical=r.critical,
            tags=tuple(r.tags or ()),
        )
        for r in rows
    ]
    score, breakdown, flags = score_call(
        rules, call.metrics or {}, CallSentiment.from_stored(call.sentiment), policy
    )
    call.score = score
    call.flagged = bool(flags)
    apply_rule_facts(call, rule_facts(rules))
    call.reviewed = any(r.reviewed_outcome is not None for r in rows)
    card = session.get(CallScorecard, call.id)
    if card is None:
        card = CallScorecard(call_id=call.id, analysed_score=score)
        session.add(card)
    card.score = score
    card.breakdown = dict(breakdown)
    card.flags = list(flags)
    card.updated_at = utcnow()
    session.flush()


def mark_training_case(session: Session, call_id: str, on: bool, by: str) -> Call:
    """Marks (or unmarks) a call as a training case from real calls (§3)."""
    call = _call(session, call_id)
    call.training_case = on
    _audit(session, by, "training_case" if on else "training_case_off", f"call:{call_id}", None)
    session.flush()
    return call


def escalate(session: Session, call_id: str, by: str, comment: str = "") -> Call:
    """Escalates a call (to compliance or a supervisor); the audit log says who and why."""
    call = _call(session, call_id)
    call.escalated = True
    _audit(session, by, "escalate", f"call:{call_id}", comment or None)
    session.flush()
    return call
