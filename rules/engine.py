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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core.analysis import Evidence, RuleResult
from core.errors import ConfigError
from core.transcript import Transcript, Turn
from rules.matching import Match, PhraseMatcher, TextIndex, warm_up, word_span
from rules.pack import (
    Check,
    Condition,
    Event,
    PhraseSet,
    Rule,
    RulePack,
    Speaker,
    TimeWindow,
)

_MAX_EVIDENCE = 5
_WHO = {"agent": "the agent", "customer": "the customer", "any": "anyone"}


# --- compiled pack -----------------------------------------------------------------------


@dataclass(frozen=True)
class _CompiledCheck:
    check: Check
    matcher: PhraseMatcher
    speaker: Speaker
    window: TimeWindow | None
    first_turns: int | None
    last_turns: int | None


@dataclass(frozen=True)
class _CompiledRule:
    rule: Rule
    require: tuple[_CompiledCheck, ...]
    forbid: tuple[_CompiledCheck, ...]


@dataclass(frozen=True)
class CompiledPack:
    """A pack with every phrase set compiled; built once per pack content."""

    pack: RulePack
    events: Mapping[str, tuple[Event, PhraseMatcher]]
    rules: tuple[_CompiledRule, ...]


def _matcher(pack: RulePack, phrases: PhraseSet, threshold: float | None) -> PhraseMatcher:
    s = pack.settings
    return PhraseMatcher(
        phrases.phrases,
        phrases.patterns,
        exclude=phrases.exclude,
        exclude_scope=phrases.exclude_scope,
        threshold=phrases.threshold or threshold or s.threshold,
        exact=phrases.exact,
        fuzzy_min_syllables=s.fuzzy_min_syllables,
        homophone_min_syllables=s.homophone_min_syllables,
    )


def _compile(pack: RulePack) -> CompiledPack:
    events = {name: (event, _matcher(pack, event, None)) for name, event in pack.events.items()}
    rules = []
    for rule in pack.rules:

        def compiled(check: Check, rule: Rule = rule) -> _CompiledCheck:
            return _CompiledCheck(
                check=check,
                matcher=_matcher(pack, check, rule.threshold),
                speaker=check.speaker or rule.speaker or "any",
                window=check.time_window or rule.time_window,
                first_turns=check.first_turns or rule.first_turns,
                last_turns=check.last_turns or rule.last_turns,
            )

        rules.append(
            _CompiledRule(
                rule,
                tuple(compiled(c) for c in rule.require),
                tuple(compiled(c) for c in rule.forbid),
            )
        )
    return CompiledPack(pack, events, tuple(rules))


_by_hash: dict[str, CompiledPack] = {}
_by_identity: dict[int, tuple[RulePack, CompiledPack]] = {}
_CACHE_SIZE = 8


def compile_pack(pack: RulePack) -> CompiledPack:
    """Compile (or fetch the compiled form of) a pack: cached by content hash, and by
    identity so that a loop over calls does not even hash the pack again."""
    entry = _by_identity.get(id(pack))
    if entry is not None and entry[0] is pack:
        return entry[1]
    key = pack.content_hash
    compiled = _by_hash.get(key)
    if compiled is None:
        compiled = _compile(pack)
        warm_up()  # the tokeniser for evidence quotes: seconds now, not on the first call
        if len(_by_hash) >= _CACHE_SIZE:
            _by_hash.clear()
        _by_hash[key] = compiled
    if len(_by_identity) >= 2 * _CACHE_SIZE:
        _by_identity.clear()
    _by_identity[id(pack)] = (pack, compiled)
    return compiled


# --- one call ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    turn: int
    match: Match
    start: float
    end: float

    @property
    def pos(self) -> tuple[int, int]:
        return (self.turn, self.match.start)


class _Call:
    """One transcript as the rules see it; every derived form is computed once."""

    def __init__(self, transcript: Transcript) -> None:
        self.turns = transcript.turns
        self.speech_end = max((t.end for t in self.turns), default=0.0)
        self._index: dict[int, TextIndex] = {}
        self._hits: dict[tuple[int, bool], list[_Hit]] = {}
        self._word_spans: dict[int, list[tuple[int, int, float, float, float]]] = {}
        self.by_speaker: dict[Speaker, list[int]] = {
            "agent": [i for i, t in enumerate(self.turns) if t.speaker == "agent"],
            "customer": [i for i, t in enumerate(self.turns) if t.speaker == "customer"],
            "any": list(range(len(self.turns))),
        }

    def index(self, i: int) -> TextIndex:
        if i not in self._index:
            self._index[i] = TextIndex(self.turns[i].text)
        return self._index[i]

    def hits(self, matcher: PhraseMatcher, speaker: Speaker, *, fuzzy: bool) -> list[_Hit]:
        key = (id(matcher), fuzzy)
        if key not in self._hits:
            out = []
            for i in self.by_speaker[speaker]:
                for m in matcher.matches(self.index(i), fuzzy=fuzzy):
                    start, end = self.times(i, m.start, m.end)
                    out.append(_Hit(i, m, start, end))
            self._hits[key] = out
        return self._hits[key]

    def times(self, i: int, c0: int, c1: int) -> tuple[float, float]:
        """Audio time of characters ``c0:c1`` of turn ``i``: from the recogniser's word
        timestamps where they line up with the text, else the whole turn's span."""
        turn = self.turns[i]
        spans = self._words(i)
        inside = [(s, e) for w0, w1, s, e, _ in spans if w0 < c1 and w1 > c0]
        if not inside:
            return turn.start, turn.end
        return min(s for s, _ in inside), max(e for _, e in inside)

    def word_probability(self, i: int, c0: int, c1: int) -> float | None:
        """Mean recogniser probability of the words under characters ``c0:c1`` of turn
        ``i``; None where the transcript has no word probabilities (written text)."""
        inside = [p for w0, w1, _, _, p in self._words(i) if w0 < c1 and w1 > c0]
        return sum(inside) / len(inside) if inside else None

    def _words(self, i: int) -> list[tuple[int, int, float, float, float]]:
        """(first char, end char, start s, end s, probability) of each recognised word
        found in the turn's text, aligned once per turn."""
        if i not in self._word_spans:
            turn = self.turns[i]
            spans = []
            cursor = 0
            for word in turn.words or ():
                token = word.text.strip()
                at = turn.text.find(token, cursor) if token else -1
                if at < 0:
                    continue  # a word the text clean-up dropped or rewrote: skip it
                spans.append((at, at + len(token), word.start, word.end, word.p))
                cursor = at + len(token)
            self._word_spans[i] = spans
        return self._word_spans[i]

    def evidence(self, hit: _Hit) -> Evidence:
        turn = self.turns[hit.turn]
        c0, c1 = word_span(turn.text, hit.match.start, hit.match.end)
        start, end = self.times(hit.turn, c0, c1)
        return Evidence(
            turn=hit.turn,
            start=round(start, 3),
            end=round(end, 3),
            speaker=turn.speaker,
            text=turn.text[c0:c1],
            phrase=hit.match.phrase,
            score=round(hit.match.score, 3),
        )

    def in_scope(self, hit: _Hit, cc: _CompiledCheck) -> bool:
        turns = self.by_speaker[cc.speaker]
        # A step that belongs to a part of the call is looked for in that part: the
        # opening's 有什么可以帮您 is no closing, however few turns the agent had.
        half = self.speech_end / 2
        if cc.first_turns is not None and (
            hit.turn not in turns[: cc.first_turns] or (hit.start > half and len(turns) > 1)
        ):
            return False
        if cc.last_turns is not None and (
            hit.turn not in turns[-cc.last_turns :] or (hit.end < half and len(turns) > 1)
        ):
            return False
        window = cc.window
        if window is None:
            return True
        if window.first_s is not None:
            return hit.start < window.first_s
        assert window.last_s is not None  # TimeWindow guarantees one of the two
        return hit.end > self.speech_end - window.last_s


# --- rules -------------------------------------------------------------------------------


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
    call = _Call(transcript)
    return tuple(_Evaluator(compiled, call, metadata or {}).rule(cr) for cr in compiled.rules)


class _Evaluator:
    def __init__(self, compiled: CompiledPack, call: _Call, metadata: Mapping[str, object]) -> None:
        self.compiled = compiled
        self.pack = compiled.pack
        self.call = call
        self.metadata = metadata
        self._events: dict[str, list[_Hit]] = {}

    # --- events ---
    def event_hits(self, name: str) -> list[_Hit]:
        """Where an event happened; an ordered event only where its order holds (the
        pack is checked for circles on load)."""
        if name not in self._events:
            event, matcher = self.compiled.events[name]
            hits = self.call.hits(matcher, event.speaker or "any", fuzzy=True)
            if event.before is not None or event.after is not None:
                hits = [h for h in hits if self._ordered(h, event, {}, strict=True)]
            self._events[name] = hits
        return self._events[name]

    def event_label(self, name: str) -> str:
        return self.compiled.events[name][0].label

    # --- a rule ---
    def rule(self, cr: _CompiledRule) -> RuleResult:
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

    def _decide(self, cr: _CompiledRule) -> RuleResult:
        rule = cr.rule
        if rule.answer_time is not None:
            return self._answer_time(rule)
        condition = rule.applies_when
        applies = self._applies(rule)
        if isinstance(applies, RuleResult):
            return applies
        applies_conf, sign_context = applies
        outcome = self._require(cr, fuzzy=False)
        if not outcome.satisfied(rule):
            outcome = self._require(cr, fuzzy=True)
        violations = [
            (cc, h)
            for cc in cr.forbid
            for h in self.call.hits(cc.matcher, cc.speaker, fuzzy=True)
            if self.call.in_scope(h, cc) and self._ordered(h, cc.check, {})
        ]
        if outcome.satisfied(rule) and not violations:
            reason = f"{rule.title}: " + "; ".join(
                f"{cc.check.label} ({_at(h)})" for cc, h in outcome.found
            )
            if cr.forbid and not cr.require:
                who = " or ".join(dict.fromkeys(_WHO[cc.speaker] for cc in cr.forbid))
                reason = f"{rule.title}: none found ({who})"
            evidence = [self.call.evidence(h) for _, h in outcome.found]
            if not evidence:
                evidence = [Evidence(turn=None, text=reason)]
            found = min((self._hit_confidence(h) for _, h in outcome.found), default=1.0)
            return self._result(
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
            quoted = ", ".join(f"'{h.match.text}' ({_at(h)})" for _, h in violations)
            labels = " / ".join(dict.fromkeys(cc.check.label for cc, _ in violations))
            parts.append(f"{labels}: {quoted}")
            evidence = [self.call.evidence(h) for _, h in violations] + evidence
            confidence = max(self._hit_confidence(h) for _, h in violations)
        if condition is not None:  # what made the rule apply, as context
            for e in sorted(set(condition.events())):
                if self.event_hits(e) and condition.holds({e}):
                    evidence.append(self.call.evidence(self.event_hits(e)[0]))
        return self._result(
            rule,
            "failed",
            f"{rule.title}: " + "; ".join(parts),
            evidence + sign_context,
            confidence=confidence,
        )

    def _applies(self, rule: Rule) -> tuple[float, list[Evidence]] | RuleResult:
        """How sure the rule applies, with the signs that made it apply quoted; or, where
        it does not (or may not) apply, its not_applicable or needs_review result."""
        condition = rule.applies_when
        if condition is None:
            return 1.0, []
        present = {e for e in set(condition.events()) if self.event_hits(e)}
        if condition.holds(present):
            return self._trigger_confidence(condition, present), []
        weight, signs = self._signs(rule)
        label = rule.applies_label or _describe(condition, self.event_label)
        sign_context = [self.call.evidence(self.event_hits(e)[0]) for e in signs]
        context = [self.call.evidence(self.event_hits(e)[0]) for e in sorted(present)]
        settings = self.pack.settings
        confidence = round(max(0.0, 1.0 - weight), 3)
        if weight >= settings.signs_apply:
            return min(1.0, weight / (settings.signs_apply + settings.signs_review)), sign_context
        if weight >= settings.signs_review:
            seen = ", ".join(self.event_label(e) for e in signs)
            return self._result(
                rule,
                "needs_review",
                f"needs review: no {label} recognised, but signs of one ({seen})",
                sign_context + context,
                confidence=confidence,
                leaning="not_applicable",
            )
        return self._result(
            rule,
            "not_applicable",
            f"not applicable: no {label} in this call",
            context,
            confidence=confidence,
        )

    def _signs(self, rule: Rule) -> tuple[float, list[str]]:
        """The weight of the rule's signs present in the call, and which they are."""
        present = [e for e in rule.signs if self.event_hits(e)]
        return sum(rule.signs[e] for e in present), present

    def _trigger_confidence(self, condition: Condition, present: set[str]) -> float:
        """How sure the condition holds: the best-recognised event that makes it hold on
        its own, else the least sure of those present."""
        alone = [e for e in present if condition.holds({e})]
        scores = [max(self._hit_confidence(h) for h in self.event_hits(e)) for e in present]
        if alone:
            return max(max(self._hit_confidence(h) for h in self.event_hits(e)) for e in alone)
        return min(scores, default=1.0)

    def _hit_confidence(self, hit: _Hit) -> float:
        """A match's similarity (1 for words as listed or a pattern), lowered where the
        recogniser itself was unsure of the words (their mean probability)."""
        p = self.call.word_probability(hit.turn, hit.match.start, hit.match.end)
        return hit.match.score * (1.0 if p is None else 0.6 + 0.4 * p)

    def _result(
        self,
        rule: Rule,
        outcome: str,
        reason: str,
        evidence: list[Evidence],
        *,
        confidence: float = 1.0,
        leaning: str | None = None,
    ) -> RuleResult:
        unique = list(dict.fromkeys(evidence))[: _MAX_EVIDENCE * 2]
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

    def _require(self, cr: _CompiledRule, *, fuzzy: bool) -> _Outcome:
        outcome = _Outcome()
        chosen: dict[str, list[_Hit]] = {}
        for cc in cr.require:
            check = cc.check
            scoped = [
                h
                for h in self.call.hits(cc.matcher, cc.speaker, fuzzy=fuzzy)
                if self.call.in_scope(h, cc)
            ]
            valid = [h for h in scoped if self._ordered(h, check, chosen)]
            chosen[check.name] = valid
            if valid:
                # Near the end of the call the last occurrence is the closing one.
                last = cc.last_turns is not None or (
                    cc.window is not None and cc.window.last_s is not None
                )
                outcome.found.append((cc, valid[-1] if last else valid[0]))
                continue
            anchors = self._anchors(check, chosen)
            missing_ref = next(
                (r for r in (check.before, check.after) if r in chosen and not chosen[r]), None
            )
            if missing_ref is not None:  # e.g. consent given, but never asked for
                text = f"no {check.label} (no {self._ref_label(missing_ref, cr.rule)} first)"
                outcome.failures.append(text)
                outcome.evidence.append(Evidence(turn=None, text=text))
            elif scoped:  # said, but in the wrong place
                anchor = f"; it came at {_at(anchors[0])}" if anchors else ""
                outcome.failures.append(
                    f"{check.label} only {self._order_text(check, cr.rule, negated=True)}"
                    f" (first at {_at(scoped[0])}{anchor})"
                )
                outcome.evidence += [self.call.evidence(h) for h in anchors[:1]]
                outcome.evidence += [self.call.evidence(h) for h in scoped[:_MAX_EVIDENCE]]
            else:
                text = f"no {check.label}{self._constraints(cc, cr.rule)}"
                outcome.failures.append(text)
                outcome.evidence.append(Evidence(turn=None, text=text))
                outcome.evidence += [self.call.evidence(h) for h in anchors[:1]]
        return outcome

    def _ref_hits(
        self, ref: str | tuple[str, ...], chosen: Mapping[str, list[_Hit]]
    ) -> list[_Hit] | None:
        """Hits of an event or an earlier check (or of any of several events); None when
        the event never happened."""
        if isinstance(ref, tuple):
            found = [self._ref_hits(r, chosen) for r in ref]
            hits = sorted((h for f in found if f for h in f), key=lambda h: h.pos)
            return hits or None
        if ref in chosen:
            return chosen[ref]
        hits = self.event_hits(ref) if ref in self.compiled.events else []
        return hits or None

    def _ordered(
        self,
        hit: _Hit,
        check: Check | Event,
        chosen: Mapping[str, list[_Hit]],
        *,
        strict: bool = False,
    ) -> bool:
        """Whether a hit respects ``before``/``after``. An event that never happened
        imposes no order on a check (``strict=False``), but an event ordered after
        another (an agreement after a proposal) needs that other one (``strict=True``)."""
        if check.before is not None:
            refs = self._ref_hits(check.before, chosen)
            if refs is not None and not (refs and hit.pos < min(r.pos for r in refs)):
                return False
        if check.after is not None:
            refs = self._ref_hits(check.after, chosen)
            if refs is None and strict:
                return False
            if refs is not None:
                limit = check.within_turns
                if not any(
                    r.pos <= hit.pos and (limit is None or hit.turn - r.turn <= limit) for r in refs
                ):
                    return False
        return True

    def _anchors(self, check: Check, chosen: Mapping[str, list[_Hit]]) -> list[_Hit]:
        out: list[_Hit] = []
        for ref in (check.before, check.after):
            if ref is not None:
                out += (self._ref_hits(ref, chosen) or [])[:1]
        return out

    def _ref_label(self, ref: str | tuple[str, ...], rule: Rule) -> str:
        if isinstance(ref, tuple):
            return " or ".join(self._ref_label(r, rule) for r in ref)
        if ref in self.compiled.events:
            return self.event_label(ref)
        return next((c.label for c in rule.require if c.name == ref), ref)

    def _order_text(self, check: Check, rule: Rule, *, negated: bool = False) -> str:
        parts = []
        if check.before is not None:
            parts.append(("after " if negated else "before ") + self._ref_label(check.before, rule))
        if check.after is not None:
            label = self._ref_label(check.after, rule)
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

    def _constraints(self, cc: _CompiledCheck, rule: Rule) -> str:
        parts = []
        if cc.speaker != "any":
            parts.append(f"by {_WHO[cc.speaker]}")
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
            parts.append(self._order_text(cc.check, rule))
        return (" " + ", ".join(parts)) if parts else ""

    # --- answer time ---
    def _answer_time(self, rule: Rule) -> RuleResult:
        spec = rule.answer_time
        assert spec is not None  # the caller dispatches on it
        limit = spec.limit_s or self.pack.settings.answer_limit_s
        agent_turns = self.call.by_speaker["agent"]
        evidence: list[Evidence] = []
        if agent_turns:
            first = self.call.turns[agent_turns[0]]
            evidence.append(_turn_evidence(agent_turns[0], first))
        raw = self.metadata.get(spec.metadata_key)
        if raw is not None:
            answered = _seconds(raw, spec.metadata_key)
            source = f"{spec.metadata_key} in the call metadata"
            evidence.insert(0, Evidence(turn=None, text=f"{spec.metadata_key} = {answered:g} s"))
        elif agent_turns:
            answered = self.call.turns[agent_turns[0]].start
            source = "the agent's first words in the recording"
        elif self.call.turns:
            text = "the agent never speaks in this recording"
            return self._result(
                rule, "failed", f"{rule.title}: {text}", [Evidence(turn=None, text=text)]
            )
        else:
            return self._result(
                rule, "not_applicable", "not applicable: the recording has no speech", []
            )
        ok = answered <= limit
        verdict = "within" if ok else "over"
        reason = f"{rule.title}: answered after {answered:.1f} s, {verdict} the {limit:g} s limit"
        return self._result(
            rule, "passed" if ok else "failed", f"{reason} (from {source})", evidence
        )


@dataclass
class _Outcome:
    """What the required checks of one rule found, and what they missed."""

    found: list[tuple[_CompiledCheck, _Hit]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def satisfied(self, rule: Rule) -> bool:
        if rule.require_mode == "any":
            return bool(self.found) or not rule.require
        return not self.failures


def _seconds(raw: object, key: str) -> float:
    try:
        value = float(raw)  # type: ignore[arg-type]  # numbers or numeric strings
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(raw, bool) or not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"call metadata {key}={raw!r}: expected a number of seconds >= 0; "
            f"fix the metadata or leave {key} out to measure from the recording"
        )
    return value


def _turn_evidence(i: int, turn: Turn) -> Evidence:
    return Evidence(
        turn=i,
        start=turn.start,
        end=turn.end,
        speaker=turn.speaker,
        text=turn.text[:40],
    )


def _at(hit: _Hit) -> str:
    return f"turn {hit.turn}, {hit.start:.1f} s"


def _describe(condition: Condition, label: Callable[[str], str]) -> str:
    if condition.op == "event":
        return label(condition.event or "")
    inner = [_describe(c, label) for c in condition.items]
    if condition.op == "not":
        return f"(not {inner[0]})"
    return (" or " if condition.op == "any" else " and ").join(inner)
