"""Which alerts a call has earned so far: the pack's ``live: true`` rules run by the batch
engine on the rolling redacted transcript (so live and batch agree), and the pack's
``live_checks`` (customer sentiment, silence) that only make sense while the call is on.

An alert fires once per call and rule, as soon as its rule fails, and never while agent and
customer are told apart too uncertainly to be sure whose words they are (as in batch, such
outcomes are ``needs_review``); with one exception: a
rule whose required checks must come *before* a deed (``before: [operation_performed,
backoffice_submitted]``: identity checked, risks explained before the operation) fails in
batch only once the deed is done without them. Live, such a rule waits for the deed: it is
evaluated (``on_settled``) as applying only when the operation is said done or submitted
(not agreed, promised or planned; no signs), and only on the *settled* transcript, the
segments someone has spoken after, so that a sentence cut at a pause (我现在给您办理挂失 |
…可以吗？) is read whole. When the call has ended (``on_ended``) nothing more can come
before a deed: these rules are judged on the whole call as the batch path judges them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.analysis import Evidence
from core.transcript import Transcript
from rules.conditions import Condition
from rules.engine import evaluate
from rules.live_checks import LiveCheck
from rules.pack import Rule, RulePack, references
from rules.role_review import review_if_roles_unsure

# texts in, (label, score -1..+1) out: models.sentiment.SentimentModel.predict
Scorer = Callable[[Sequence[str]], list[tuple[str, float]]]
EVIDENCE_CHARS = 200


@dataclass(frozen=True)
class Finding:
    rule: str
    title: str
    severity: str
    evidence: str
    t: float


def live_pack(pack: RulePack) -> RulePack:
    """The pack cut down to its live rules (events kept: the rules' conditions need them)."""
    return pack.model_copy(update={"rules": pack.live_rules})


def waiting_for_deed(rule: Rule, pack: RulePack) -> Rule | None:
    """For a rule whose required checks must come before an event (the deed: the operation
    carried out), the same rule applying only once that deed has happened and without
    signs (weak evidence of a transaction); None for a rule with no such order."""
    deeds = tuple(
        dict.fromkeys(
            ref for check in rule.require for ref in references(check.before) if ref in pack.events
        )
    )
    if not deeds:
        return None
    deed = Condition("any", items=tuple(Condition("event", event=d) for d in deeds))
    applies = rule.applies_when
    applies = deed if applies is None else Condition("all", items=(applies, deed))
    return rule.model_copy(update={"applies_when": applies, "signs": {}})


@dataclass
class LiveRules:
    """One call's live rule state: what has fired, the customer's scored turns."""

    pack: RulePack
    scorer: Scorer | None = None
    fired: set[str] = field(default_factory=set)
    customer_scores: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        live_only = all(rule.live for rule in self.pack.rules)
        rules_pack = self.pack if live_only else live_pack(self.pack)
        waiting = {r.id: w for r in rules_pack.rules if (w := waiting_for_deed(r, rules_pack))}
        self.rules_pack = rules_pack.model_copy(
            update={"rules": tuple(r for r in rules_pack.rules if r.id not in waiting)}
        )
        self.deed_pack = rules_pack.model_copy(update={"rules": tuple(waiting.values())})
        self.ended_pack = rules_pack.model_copy(
            update={"rules": tuple(r for r in rules_pack.rules if r.id in waiting)}
        )
        self.checks = self.pack.live_checks

    @property
    def waits_for_deeds(self) -> bool:
        """Whether some rule is evaluated on the settled transcript (``on_settled``)."""
        return bool(self.deed_pack.rules)

    def on_transcript(self, redacted: Transcript) -> list[Finding]:
        """Live rules that fail on the transcript so far and have not fired yet."""
        return self._failed(self.rules_pack, redacted)

    def on_settled(self, settled: Transcript) -> list[Finding]:
        """The rules that wait for the deed, on the settled transcript."""
        return self._failed(self.deed_pack, settled)

    def on_ended(self, redacted: Transcript) -> list[Finding]:
        """The call has ended: the rules that waited for a deed, as batch judges them."""
        return self._failed(self.ended_pack, redacted)

    def _failed(self, pack: RulePack, redacted: Transcript) -> list[Finding]:
        if not pack.rules:
            return []
        found = []
        results = evaluate(redacted, pack)
        # as in batch: sides told apart uncertainly so far (no agent channel in the metadata,
        # little said yet) may be swapped, so nothing is alerted until they are sure
        results = review_if_roles_unsure(results, redacted.roles, pack.settings.review_below)
        for result in results:
            if result.outcome != "failed" or result.id in self.fired:
                continue
            rule = pack.rule(result.id)
            t = _evidence_time(result.evidence, redacted)
            found.append(Finding(result.id, rule.title, rule.severity, _quote(result.evidence), t))
            self.fired.add(result.id)
        return found

    def on_customer_text(self, text: str, end: float) -> list[Finding]:
        """A customer segment became final: the sentiment checks."""
        checks = [c for c in self.checks if c.kind == "customer_sentiment"]
        if not checks or self.scorer is None:
            return []
        from pipeline.sentiment import is_backchannel

        if is_backchannel(text):
            return []
        ((_label, score),) = self.scorer([text])
        self.customer_scores.append(score)
        found = []
        for check in checks:
            recent = self.customer_scores[-check.turns :]
            if check.id in self.fired or len(recent) < check.turns or check.below is None:
                continue
            mean = sum(recent) / len(recent)
            if mean <= check.below:
                evidence = f"{text} (customer sentiment {mean:+.2f} over {len(recent)} turns)"
                found.append(self._fire(check, evidence, end))
        return found

    def on_silence(self, silent_since: float, now: float) -> list[Finding]:
        """Nobody has spoken since ``silent_since`` (call time); it is ``now``."""
        found = []
        for check in self.checks:
            if check.kind != "silence" or check.id in self.fired or check.max_s is None:
                continue
            if now - silent_since >= check.max_s:
                evidence = f"no speech from {silent_since:.0f} s for {now - silent_since:.0f} s"
                found.append(self._fire(check, evidence, now))
        return found

    def _fire(self, check: LiveCheck, evidence: str, t: float) -> Finding:
        self.fired.add(check.id)
        return Finding(check.id, check.title, check.severity, evidence, round(t, 2))


def _evidence_time(evidence: Sequence[Evidence], transcript: Transcript) -> float:
    """Where the evidence ends in the call (the end of the transcript if it names none)."""
    for item in evidence:
        if item.end is not None:
            return round(item.end, 2)
        if item.turn is not None and item.turn < len(transcript.turns):
            return round(transcript.turns[item.turn].end, 2)
    return round(transcript.turns[-1].end, 2) if transcript.turns else 0.0


def _quote(evidence: Sequence[Evidence]) -> str:
    texts = list(dict.fromkeys(e.text for e in evidence if e.text))
    joined = " | ".join(texts)
    return joined if len(joined) <= EVIDENCE_CHARS else joined[: EVIDENCE_CHARS - 1] + "…"
