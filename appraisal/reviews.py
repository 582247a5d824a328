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

from appraisal.monthly import month_appraised, recompute_agent_month
from core.analysis import CallSentiment
from core.errors import CallqaError
from pipeline.scorecard import rule_facts, score_call
from rules.policy import Policy
from storage import reviews as rows
from storage.database import Session
from storage.reads.appraisal import find_call
from storage.schema import Call, QAReview

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
    call = find_call(session, call_id)
    if call is None:
        raise UnknownCallError(call_id)
    return call


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
    outcome = rows.rule_outcome(session, call_id, rule_id)
    if outcome is None:
        raise UnknownRuleError(call_id, rule_id, rows.rule_ids(session, call_id))
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
    review = rows.add_review(
        session, outcome, verdict=verdict, settled=settled, reviewer=reviewer, comment=comment
    )
    rescore_call(session, call, policy)
    if call.agent_id and call.month and month_appraised(session, call.month):
        recompute_agent_month(session, call.agent_id, call.month, policy)
    return review


def rescore_call(session: Session, call: Call, policy: Policy) -> None:
    """Recomputes the call's score, flags and counts from its effective rule outcomes."""
    outcomes = rows.effective_outcomes(session, call.id)
    score, breakdown, flags = score_call(
        outcomes.rules, call.metrics or {}, CallSentiment.from_stored(call.sentiment), policy
    )
    rows.store_call_score(
        session,
        call,
        score=score,
        breakdown=breakdown,
        flags=flags,
        facts=rule_facts(outcomes.rules),
        reviewed=outcomes.reviewed,
    )


def mark_training_case(session: Session, call_id: str, on: bool, by: str) -> Call:
    """Marks (or unmarks) a call as a training case from real calls (§3)."""
    call = _call(session, call_id)
    rows.mark_training_case(session, call, on, by)
    return call


def escalate(session: Session, call_id: str, by: str, comment: str = "") -> Call:
    """Escalates a call (to compliance or a supervisor); the audit log says who and why."""
    call = _call(session, call_id)
    rows.mark_escalated(session, call, by, comment or None)
    return call
