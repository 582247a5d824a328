"""Which alerts a call has earned so far: the pack's ``live: true`` rules run by the batch
engine on the rolling redacted transcript (so live and batch agree), and the pack's
``live_checks`` (customer sentiment, silence) that only make sense while the call is on.

An alert fires once per call and rule; a rule that fails only for want of the rest of the
call (an operation agreed, no identity check yet) fires as soon as it fails, which is the
point of alerting live.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.analysis import Evidence
from core.transcript import Transcript
from rules.engine import evaluate
from rules.live_checks import LiveCheck
from rules.pack import RulePack

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


@dataclass
class LiveRules:
    """One call's live rule state: what has fired, the customer's scored turns."""

    pack: RulePack
    scorer: Scorer | None = None
    fired: set[str] = field(default_factory=set)
    customer_scores: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        live_only = all(rule.live for rule in self.pack.rules)
        self.rules_pack = self.pack if live_only else live_pack(self.pack)
        self.checks = self.pack.live_checks

    def on_transcript(self, redacted: Transcript) -> list[Finding]:
        """Live rules that fail on the transcript so far and have not fired yet."""
        if not self.rules_pack.rules:
            return []
        found = []
        for result in evaluate(redacted, self.rules_pack):
            if result.outcome != "failed" or result.id in self.fired:
                continue
            rule = self.rules_pack.rule(result.id)
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
