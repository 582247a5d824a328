"""Whether a rule applies to a call, and how sure that is.

``applies_when`` is checked against the events found anywhere in the call. Where it does
not hold, the rule's *signs* (events that suggest it applies anyway, each with a weight)
may still make it apply (``settings.signs_apply``) or ask for review
(``settings.signs_review``); otherwise the rule is ``not_applicable``.
"""

from __future__ import annotations

from core.analysis import Evidence, RuleResult
from rules.conditions import Condition, describe
from rules.ordering import EventOrder
from rules.pack import Rule, Settings
from rules.rule_result import rule_result


def applicability(
    rule: Rule, events: EventOrder, settings: Settings
) -> tuple[float, list[Evidence]] | RuleResult:
    """How sure the rule applies, with the signs that made it apply quoted; or, where
    it does not (or may not) apply, its not_applicable or needs_review result."""
    condition = rule.applies_when
    if condition is None:
        return 1.0, []
    present = {e for e in set(condition.events()) if events.event_hits(e)}
    if condition.holds(present):
        return _trigger_confidence(condition, present, events), []
    weight, signs = _signs(rule, events)
    label = rule.applies_label or describe(condition, events.event_label)
    sign_context = [events.call.evidence(events.event_hits(e)[0]) for e in signs]
    context = [events.call.evidence(events.event_hits(e)[0]) for e in sorted(present)]
    confidence = round(min(1.0, max(0.0, 1.0 - weight)), 3)
    if weight >= settings.signs_apply:
        return min(1.0, weight / (settings.signs_apply + settings.signs_review)), sign_context
    if weight >= settings.signs_review:
        seen = ", ".join(events.event_label(e) for e in signs)
        return rule_result(
            rule,
            "needs_review",
            f"needs review: no {label} recognised, but signs of one ({seen})",
            sign_context + context,
            confidence=confidence,
            leaning="not_applicable",
        )
    # what was seen without making the rule apply (an answer put off, but on a complaint)
    seen = "; seen, not enough: " + ", ".join(events.event_label(e) for e in sorted(present))
    return rule_result(
        rule,
        "not_applicable",
        f"not applicable: no {label} in this call" + (seen if present else ""),
        context,
        confidence=confidence,
    )


def _signs(rule: Rule, events: EventOrder) -> tuple[float, list[str]]:
    """The weight of the rule's signs present in the call (counter-signs, such as an
    offer declined, weigh against), and which signs for it they are."""
    present = [e for e in rule.signs if events.event_hits(e)]
    weight = sum(rule.signs[e] for e in present)
    return weight, [e for e in present if rule.signs[e] > 0]


def _trigger_confidence(condition: Condition, present: set[str], events: EventOrder) -> float:
    """How sure the condition holds: the best-recognised event that makes it hold on
    its own, else the least sure of those present."""
    alone = [e for e in present if condition.holds({e})]
    scores = [max(events.call.hit_confidence(h) for h in events.event_hits(e)) for e in present]
    if alone:
        return max(max(events.call.hit_confidence(h) for h in events.event_hits(e)) for e in alone)
    return min(scores, default=1.0)
