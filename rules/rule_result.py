"""How a rule's outcome is written down: one :class:`~core.analysis.RuleResult` with its
evidence (deduplicated, at most ``2 * MAX_EVIDENCE``) and its confidence clamped to 0..1."""

from __future__ import annotations

from core.analysis import Evidence, RuleResult
from rules.pack import Rule

MAX_EVIDENCE = 5
WHO = {"agent": "the agent", "customer": "the customer", "any": "anyone"}
"""Who a check listens to, in words."""


def rule_result(
    rule: Rule,
    outcome: str,
    reason: str,
    evidence: list[Evidence],
    *,
    confidence: float = 1.0,
    leaning: str | None = None,
) -> RuleResult:
    """One rule's result; ``leaning`` is what a needs_review outcome would have been."""
    unique = list(dict.fromkeys(evidence))[: MAX_EVIDENCE * 2]
    return RuleResult.model_validate(
        {
            "id": rule.id,
            "outcome": outcome,
            "evidence": tuple(unique),
            "reason": reason,
            "critical": rule.critical,
            "confidence": round(min(max(confidence, 0.0), 1.0), 3),
            "leaning": leaning,
            "tags": rule.tags,
        }
    )
