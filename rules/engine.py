"""Evaluate a rule pack on one transcript: every rule, in pack order, as a
:class:`~core.analysis.RuleResult` with evidence and a reason a QA lead can read.

How a phrase rule decides:

1. ``applies_when`` is checked against the events found anywhere in the call; if it does
   not hold, the rule is ``not_applicable``.
2. Each required check looks for its phrases in the turns it may look at (speaker, time
   window, the speaker's first or last turns) and keeps the hits that respect its order:
   ``before: X`` means before the *first* occurrence of X (an event or an earlier check);
   ``after: X`` means at or after *some* occurrence of X, within ``within_turns`` turns
   if given. When X is an event that never happened, the order is not enforced (the rule
   already applies for another reason, and the check should still find what it needs).
   ``require_mode: all`` needs every check, ``any`` one of them.
3. Any hit of a forbidden check fails the rule.

The cheap matching tiers (text, homophones, patterns) run first; near-homophone (fuzzy)
matching runs only for events, forbidden checks and required checks that found nothing
valid otherwise, which keeps a 10-minute call to milliseconds.

The pieces: :mod:`rules.compiled` (the pack's phrase sets compiled once),
:mod:`rules.call_view` (the transcript as the rules see it), :mod:`rules.ordering`
(events and before/after), :mod:`rules.applicability` (step 1 and its confidence),
:mod:`rules.required_checks` (step 2), :mod:`rules.answer_time` (answer-time rules) and
:mod:`rules.rule_result` (how an outcome is written down).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.analysis import Evidence, RuleResult
from core.transcript import Transcript
from rules.answer_time import answer_time_result
from rules.applicability import applicability
from rules.call_view import CallView
from rules.compiled import CompiledPack, CompiledRule, compile_pack
from rules.ordering import EventOrder
from rules.pack import RulePack
from rules.required_checks import find_required
from rules.rule_result import WHO, rule_result

__all__ = ["evaluate"]


def evaluate(
    transcript: Transcript,
    pack: RulePack,
    *,
    metadata: Mapping[str, object] | None = None,
) -> tuple[RuleResult, ...]:
    """Every rule of ``pack`` on ``transcript``, in the pack's order.

    ``metadata`` is what the recording system knows about the call; ``ring_time_s``
    (seconds the call rang before pick-up) is used by answer-time rules.
    """
    compiled = compile_pack(pack)
    call = CallView(transcript)
    return tuple(_Evaluator(compiled, call, metadata or {}).rule(cr) for cr in compiled.rules)


class _Evaluator:
    """One rule of a compiled pack on one call (built per rule; the call's hits are
    shared, its events are found again)."""

    def __init__(
        self, compiled: CompiledPack, call: CallView, metadata: Mapping[str, object]
    ) -> None:
        self.pack = compiled.pack
        self.call = call
        self.metadata = metadata
        self.events = EventOrder(compiled, call)

    def rule(self, cr: CompiledRule) -> RuleResult:
        """The rule's outcome with its confidence; one below the pack's ``review_below``
        becomes ``needs_review`` leaning towards what it would have been."""
        result = self._decide(cr)
        if result.outcome != "needs_review" and result.confidence < self.pack.settings.review_below:
            return result.model_copy(
                update={
                    "outcome": "needs_review",
                    "leaning": result.outcome,
                    "reason": f"needs review (confidence {result.confidence:.2f}): "
                    + result.reason,
                }
            )
        return result

    def _decide(self, cr: CompiledRule) -> RuleResult:
        rule = cr.rule
        if rule.answer_time is not None:
            return answer_time_result(rule, self.call, self.metadata, self.pack.settings)
        condition = rule.applies_when
        applies = applicability(rule, self.events, self.pack.settings)
        if isinstance(applies, RuleResult):
            return applies
        applies_conf, sign_context = applies
        outcome = find_required(cr, self.events, fuzzy=False)
        if not outcome.satisfied(rule):
            outcome = find_required(cr, self.events, fuzzy=True)
        violations = [
            (cc, h)
            for cc in cr.forbid
            for h in self.call.hits(cc.matcher, cc.speaker, fuzzy=True)
            if self.call.in_scope(h, cc) and self.events.ordered(h, cc.check, {})
        ]
        if outcome.satisfied(rule) and not violations:
            reason = f"{rule.title}: " + "; ".join(
                f"{cc.check.label} ({h.where})" for cc, h in outcome.found
            )
            if cr.forbid and not cr.require:
                who = " or ".join(dict.fromkeys(WHO[cc.speaker] for cc in cr.forbid))
                reason = f"{rule.title}: none found ({who})"
            evidence = [self.call.evidence(h) for _, h in outcome.found]
            if not evidence:
                evidence = [Evidence(turn=None, text=reason)]
            found = min((self.call.hit_confidence(h) for _, h in outcome.found), default=1.0)
            return rule_result(
                rule, "passed", reason, evidence + sign_context, confidence=found * applies_conf
            )
        parts = list(outcome.failures)
        evidence = list(outcome.evidence)
        if rule.require_mode == "any" and outcome.found:  # only the violations failed it
            parts, evidence = [], []
        elif rule.require_mode == "any" and len(parts) > 1:
            parts = [" and ".join(parts)]
        confidence = applies_conf
        if violations:
            quoted = ", ".join(f"'{h.match.text}' ({h.where})" for _, h in violations)
            labels = " / ".join(dict.fromkeys(cc.check.label for cc, _ in violations))
            parts.append(f"{labels}: {quoted}")
            evidence = [self.call.evidence(h) for _, h in violations] + evidence
            confidence = max(self.call.hit_confidence(h) for _, h in violations)
        if condition is not None:  # what made the rule apply, as context
            for e in sorted(set(condition.events())):
                if self.events.event_hits(e) and condition.holds({e}):
                    evidence.append(self.call.evidence(self.events.event_hits(e)[0]))
        return rule_result(
            rule,
            "failed",
            f"{rule.title}: " + "; ".join(parts),
            evidence + sign_context,
            confidence=confidence,
        )
