"""Events and order within one call: where each event happened, and whether a hit keeps
a check's (or an ordered event's) ``before``/``after``.

``before: X`` means before the *first* occurrence of X (an event or an earlier check);
``after: X`` means at or after *some* occurrence of X, within ``within_turns`` turns if
given. When X is an event that never happened, the order is not enforced on a check (the
rule already applies for another reason, and the check should still find what it needs).
"""

from __future__ import annotations

from collections.abc import Mapping

from rules.call_view import CallView, Hit
from rules.compiled import CompiledPack
from rules.pack import Check, Event, Rule


class EventOrder:
    """The events of one call, found once, and the order checks and events must keep."""

    def __init__(self, compiled: CompiledPack, call: CallView) -> None:
        self.compiled = compiled
        self.call = call
        self._events: dict[str, list[Hit]] = {}

    def event_hits(self, name: str) -> list[Hit]:
        """Where an event happened; an ordered event only where its order holds (the
        pack is checked for circles on load)."""
        if name not in self._events:
            event, matcher = self.compiled.events[name]
            hits = self.call.hits(matcher, event.speaker or "any", fuzzy=True)
            if event.before is not None or event.after is not None:
                hits = [h for h in hits if self.ordered(h, event, {}, strict=True)]
            self._events[name] = hits
        return self._events[name]

    def event_label(self, name: str) -> str:
        """An event's label, for reasons: 'a transaction'."""
        return self.compiled.events[name][0].label

    def ref_hits(
        self, ref: str | tuple[str, ...], chosen: Mapping[str, list[Hit]]
    ) -> list[Hit] | None:
        """Hits of an event or an earlier check (or of any of several events); None when
        the event never happened."""
        if isinstance(ref, tuple):
            found = [self.ref_hits(r, chosen) for r in ref]
            hits = sorted((h for f in found if f for h in f), key=lambda h: h.pos)
            return hits or None
        if ref in chosen:
            return chosen[ref]
        hits = self.event_hits(ref) if ref in self.compiled.events else []
        return hits or None

    def ordered(
        self,
        hit: Hit,
        check: Check | Event,
        chosen: Mapping[str, list[Hit]],
        *,
        strict: bool = False,
    ) -> bool:
        """Whether a hit respects ``before``/``after``. An event that never happened
        imposes no order on a check (``strict=False``), but an event ordered after
        another (an agreement after a proposal) or before it (the grievance's first words
        before the complaint) needs that other one (``strict=True``)."""
        if check.before is not None:
            refs = self.ref_hits(check.before, chosen)
            if refs is None and strict:
                return False
            if refs is not None and not (refs and hit.pos < min(r.pos for r in refs)):
                return False
        if check.after is not None:
            refs = self.ref_hits(check.after, chosen)
            if refs is None and strict:
                return False
            if refs is not None:
                limit = check.within_turns
                if not any(
                    _at_or_before(r, hit) and (limit is None or hit.turn - r.turn <= limit)
                    for r in refs
                ):
                    return False
        return True

    def voided(self, hit: Hit, check: Check) -> bool:
        """Whether the check's ``voided_by`` event follows the hit closely enough to undo
        it (a code sent, then 没收到 from the customer)."""
        if check.voided_by is None:
            return False
        return any(
            _at_or_before(hit, v) and v.turn - hit.turn <= check.voided_within_turns
            for v in self.event_hits(check.voided_by)
        )

    def anchors(self, check: Check, chosen: Mapping[str, list[Hit]]) -> list[Hit]:
        """The first occurrence of what a check is ordered against, for evidence."""
        out: list[Hit] = []
        for ref in (check.before, check.after):
            if ref is not None:
                out += (self.ref_hits(ref, chosen) or [])[:1]
        return out

    def ref_label(self, ref: str | tuple[str, ...], rule: Rule) -> str:
        """An event's or a check's label, for reasons."""
        if isinstance(ref, tuple):
            return " or ".join(self.ref_label(r, rule) for r in ref)
        if ref in self.compiled.events:
            return self.event_label(ref)
        return next((c.label for c in rule.require if c.name == ref), ref)

    def order_text(self, check: Check, rule: Rule, *, negated: bool = False) -> str:
        """A check's order in words ('after the identity check'), or where it was instead."""
        parts = []
        if check.before is not None:
            parts.append(("after " if negated else "before ") + self.ref_label(check.before, rule))
        if check.after is not None:
            label = self.ref_label(check.after, rule)
            if negated:
                parts.append(
                    f"before {label}"
                    if check.within_turns is None
                    else f"not within {check.within_turns} turns after {label}"
                )
            else:
                turns = f" (within {check.within_turns} turns)" if check.within_turns else ""
                parts.append(f"after {label}{turns}")
        return " and ".join(parts) if parts else "out of place"


def _at_or_before(ref: Hit, hit: Hit) -> bool:
    """Whether ``ref`` starts before ``hit`` ends: a hit that overlaps what it must follow
    counts as at it (申请已经提交成功 is both the deed and its result read back)."""
    if ref.turn != hit.turn:
        return ref.turn < hit.turn
    return ref.match.start < hit.match.end
