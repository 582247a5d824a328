"""The per-call score (0-100) and the flags that put a call in front of a QA lead.

score = rules part x w_rules + service part x w_service + sentiment part x w_sentiment,
each part 0-100, weights from the policy file; every part says what it is made of, so a
supervisor can see why a number is what it is. A failed critical rule flags the call
whatever the score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.analysis import SCORED, CallSentiment, RuleResult
from rules.policy import Policy


@dataclass(frozen=True)
class RuleFacts:
    """What a call's rule outcomes say about the call as a whole: the store keeps these
    beside the outcomes (for the queue and §7 appraisal) and recomputes them after a review
    from the same function, so analysis and review can never count differently."""

    severity: int
    applicable: int
    passed: int
    enquiry_answered: bool | None
    forbidden_language: bool


def rule_facts(rules: Sequence[RuleResult]) -> RuleFacts:
    applicable = [r for r in rules if r.outcome in SCORED]
    answers = [r.outcome for r in applicable if "answers_enquiry" in r.tags]
    return RuleFacts(
        severity=sum(1 for r in applicable if r.critical and r.outcome == "failed"),
        applicable=len(applicable),
        passed=sum(1 for r in applicable if r.outcome == "passed"),
        enquiry_answered=any(o == "passed" for o in answers) if answers else None,
        forbidden_language=any(
            "language_breach" in r.tags and r.outcome == "failed" for r in rules
        ),
    )


def score_call(
    rules: Sequence[RuleResult],
    metrics: Mapping[str, object],
    sentiment: CallSentiment,
    policy: Policy,
) -> tuple[float, dict[str, object], tuple[str, ...]]:
    """Returns (score, breakdown, flags)."""
    rules_part, rules_detail = _rules_part(rules, policy)
    service_part, service_detail = _service_part(metrics, policy)
    sentiment_part, sentiment_detail = _sentiment_part(sentiment)
    weights = policy.call_score.weights
    score = round(
        rules_part * weights.rules
        + service_part * weights.service
        + sentiment_part * weights.sentiment,
        1,
    )
    breakdown: dict[str, object] = {
        "rules": {"score": round(rules_part, 1), "weight": weights.rules, **rules_detail},
        "service": {"score": round(service_part, 1), "weight": weights.service, **service_detail},
        "sentiment": {
            "score": round(sentiment_part, 1),
            "weight": weights.sentiment,
            **sentiment_detail,
        },
        "pass_mark": policy.call_score.pass_mark,
    }
    return score, breakdown, _flags(score, rules, sentiment, policy)


def _rules_part(rules: Sequence[RuleResult], policy: Policy) -> tuple[float, dict[str, object]]:
    weights = policy.call_score.rule_weights
    applicable = [r for r in rules if r.outcome in SCORED]
    total = sum(weights.get(r.id, 1.0) for r in applicable)
    earned = sum(weights.get(r.id, 1.0) for r in applicable if r.outcome == "passed")
    part = 100.0 * earned / total if total else 100.0
    return part, {
        "passed": [r.id for r in applicable if r.outcome == "passed"],
        "failed": [r.id for r in applicable if r.outcome == "failed"],
        "earned_weight": earned,
        "applicable_weight": total,
    }


def _service_part(metrics: Mapping[str, object], policy: Policy) -> tuple[float, dict[str, object]]:
    targets = policy.service_targets
    checks = {
        "response_latency_p90_s": (
            metrics.get("response_latency_p90_s"),
            targets.response_latency_p90_s,
        ),
        "silence_share": (metrics.get("silence_share"), targets.silence_share),
        "agent_interruption_count": (
            metrics.get("agent_interruption_count"),
            targets.agent_interruptions,
        ),
    }
    met: dict[str, object] = {}
    for name, (value, limit) in checks.items():
        if isinstance(value, int | float):
            met[name] = {"value": value, "target": limit, "met": value <= limit}
    hits = [bool(m["met"]) for m in met.values() if isinstance(m, dict)]
    part = 100.0 * sum(hits) / len(hits) if hits else 100.0
    return part, {"targets": met}


def _sentiment_part(sentiment: CallSentiment) -> tuple[float, dict[str, object]]:
    end = sentiment.customer_end
    if end is None:
        return 100.0, {"customer_end": None}
    # -1 (left angry) .. +1 (left happy) onto 0..100; neutral earns 70: no harm done.
    part = 70.0 + 30.0 * end if end >= 0 else 70.0 * (1.0 + end)
    return part, {"customer_end": end}


def _flags(
    score: float, rules: Sequence[RuleResult], sentiment: CallSentiment, policy: Policy
) -> tuple[str, ...]:
    flags = [
        f"critical rule failed: {r.id}"
        for r in rules
        if r.outcome == "failed" and r.id in policy.call_score.critical_rules
    ]
    review = [r.id for r in rules if r.outcome == "needs_review"]
    if review:
        flags.append(f"needs review: {', '.join(review)}")
    if score < policy.call_score.pass_mark:
        flags.append(f"score {score:.1f} below the pass mark {policy.call_score.pass_mark:g}")
    end = sentiment.customer_end
    if end is not None and end < policy.sentiment.customer_end_flag_below:
        flags.append(f"customer ended the call negative ({end:+.2f})")
    share = sentiment.agent_negative_share
    if share is not None and share >= policy.sentiment.agent_negative_share_flag:
        flags.append(f"agent's tone negative in {share:.0%} of turns")
    return tuple(flags)
