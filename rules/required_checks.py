"""A rule's required checks on one call: each looks for its phrases in the turns it may
look at (speaker, time window, the speaker's first or last turns) and keeps the hits that
respect its order; what is missing is said in words a QA lead can read."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.analysis import Evidence
from rules.call_view import Hit
from rules.compiled import CompiledCheck, CompiledRule
from rules.ordering import EventOrder
from rules.pack import Rule
from rules.rule_result import MAX_EVIDENCE, WHO


@dataclass
class RequiredOutcome:
    """What the required checks of one rule found, and what they missed."""

    found: list[tuple[CompiledCheck, Hit]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def satisfied(self, rule: Rule) -> bool:
        if rule.require_mode == "any":
            return bool(self.found) or not rule.require
        return not self.failures


def find_required(cr: CompiledRule, events: EventOrder, *, fuzzy: bool) -> RequiredOutcome:
    """What the rule's required checks found (the first valid hit of each, the last near
    the end of the call) and, for each one that found nothing valid, why."""
    call = events.call
    outcome = RequiredOutcome()
    chosen: dict[str, list[Hit]] = {}
    for cc in cr.require:
        check = cc.check
        scoped = [h for h in call.hits(cc.matcher, cc.speaker, fuzzy=fuzzy) if call.in_scope(h, cc)]
        valid = [
            h for h in scoped if events.ordered(h, check, chosen) and not events.voided(h, check)
        ]
        chosen[check.name] = valid
        if valid:
            # Near the end of the call the last occurrence is the closing one.
            last = cc.last_turns is not None or (
                cc.window is not None and cc.window.last_s is not None
            )
            # A hit read through an unsure word only where nothing surer was found.
            sure = [h for h in valid if h.match.wildcard is None] or valid
            outcome.found.append((cc, sure[-1] if last else sure[0]))
            continue
        anchors = events.anchors(check, chosen)
        missing_ref = next(
            (r for r in (check.before, check.after) if r in chosen and not chosen[r]), None
        )
        if missing_ref is not None:  # e.g. consent given, but never asked for
            text = f"no {check.label} (no {events.ref_label(missing_ref, cr.rule)} first)"
            outcome.failures.append(text)
            outcome.evidence.append(Evidence(turn=None, text=text))
        elif scoped:  # said, but in the wrong place
            anchor = f"; it came at {anchors[0].where}" if anchors else ""
            outcome.failures.append(
                f"{check.label} only {events.order_text(check, cr.rule, negated=True)}"
                f" (first at {scoped[0].where}{anchor})"
            )
            outcome.evidence += [call.evidence(h) for h in anchors[:1]]
            outcome.evidence += [call.evidence(h) for h in scoped[:MAX_EVIDENCE]]
        else:
            text = f"no {check.label}{_constraints(cc, cr.rule, events)}"
            outcome.failures.append(text)
            outcome.evidence.append(Evidence(turn=None, text=text))
            outcome.evidence += [call.evidence(h) for h in anchors[:1]]
    return outcome


def _constraints(cc: CompiledCheck, rule: Rule, events: EventOrder) -> str:
    """Where a check looked, in words: ' by the agent, in the first 30 s'."""
    parts = []
    if cc.speaker != "any":
        parts.append(f"by {WHO[cc.speaker]}")
    if cc.window is not None:
        parts.append(cc.window.describe())
    if cc.first_turns is not None:
        who = "their" if cc.speaker != "any" else "the call's"
        n = cc.first_turns
        parts.append(f"in {who} first {'turn' if n == 1 else f'{n} turns'}")
    if cc.last_turns is not None:
        who = "their" if cc.speaker != "any" else "the call's"
        n = cc.last_turns
        parts.append(f"in {who} last {'turn' if n == 1 else f'{n} turns'}")
    if cc.check.before is not None or cc.check.after is not None:
        parts.append(events.order_text(cc.check, rule))
    return (" " + ", ".join(parts)) if parts else ""
