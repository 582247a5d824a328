"""A rule pack compiled for evaluation: every phrase set of its events and checks turned
into a :class:`~rules.matching.PhraseMatcher` once, with each check's speaker, window and
turn limits resolved against its rule's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rules.matching import PhraseMatcher
from rules.pack import Check, Event, PhraseSet, Rule, RulePack, Speaker, TimeWindow
from rules.word_segmentation import warm_up


@dataclass(frozen=True)
class CompiledCheck:
    check: Check
    matcher: PhraseMatcher
    speaker: Speaker
    window: TimeWindow | None
    first_turns: int | None
    last_turns: int | None


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    require: tuple[CompiledCheck, ...]
    forbid: tuple[CompiledCheck, ...]


@dataclass(frozen=True)
class CompiledPack:
    """A pack with every phrase set compiled; built once per pack content."""

    pack: RulePack
    events: Mapping[str, tuple[Event, PhraseMatcher]]
    rules: tuple[CompiledRule, ...]


def _matcher(
    pack: RulePack,
    phrases: PhraseSet,
    threshold: float | None,
    *,
    wildcards: bool = False,
    forbidden: bool = False,
) -> PhraseMatcher:
    """``wildcards``: whether an unsure recognised word may stand for a syllable (required
    checks only: a guess may rescue what was said, never make an event or a violation);
    ``forbidden``: wording that fails a rule, whose patterns matched only by sound on
    recognised text score half the pack's ``review_below`` (a same-sounding word such as
    各个 for 个个 asks a QA lead to listen; it never fails the agent alone)."""
    s = pack.settings
    return PhraseMatcher(
        phrases.phrases,
        phrases.patterns,
        exclude=phrases.exclude,
        exclude_scope=phrases.exclude_scope,
        exclude_sentence=phrases.exclude_sentence,
        threshold=phrases.threshold or threshold or s.threshold,
        exact=phrases.exact,
        fuzzy_min_syllables=s.fuzzy_min_syllables,
        homophone_min_syllables=s.homophone_min_syllables,
        wildcard_below=s.wildcard_below if wildcards else 0.0,
        sound_score=s.review_below / 2 if forbidden else 1.0,
    )


def _compile(pack: RulePack) -> CompiledPack:
    events = {name: (event, _matcher(pack, event, None)) for name, event in pack.events.items()}
    rules = []
    for rule in pack.rules:

        def compiled(check: Check, rule: Rule = rule, *, required: bool) -> CompiledCheck:
            return CompiledCheck(
                check=check,
                matcher=_matcher(
                    pack, check, rule.threshold, wildcards=required, forbidden=not required
                ),
                speaker=check.speaker or rule.speaker or "any",
                window=check.time_window or rule.time_window,
                first_turns=check.first_turns or rule.first_turns,
                last_turns=check.last_turns or rule.last_turns,
            )

        rules.append(
            CompiledRule(
                rule,
                tuple(compiled(c, required=True) for c in rule.require),
                tuple(compiled(c, required=False) for c in rule.forbid),
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
