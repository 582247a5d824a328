"""Answer-time rules (policy 5.1): how long the call rang before the agent answered.

From call metadata (``ring_time_s``) where the recording starts at pick-up and the ring is
not in the audio, else from the agent's first speech in the recording.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from core.analysis import Evidence, RuleResult
from core.errors import ConfigError
from core.transcript import Turn
from rules.call_view import CallView
from rules.pack import Rule, Settings
from rules.rule_result import rule_result


def answer_time_result(
    rule: Rule, call: CallView, metadata: Mapping[str, object], settings: Settings
) -> RuleResult:
    """An answer-time rule's outcome: passed within its limit, failed over it."""
    spec = rule.answer_time
    assert spec is not None  # the engine dispatches on it
    limit = spec.limit_s or settings.answer_limit_s
    agent_turns = call.by_speaker["agent"]
    evidence: list[Evidence] = []
    if agent_turns:
        first = call.turns[agent_turns[0]]
        evidence.append(_turn_evidence(agent_turns[0], first))
    raw = metadata.get(spec.metadata_key)
    if raw is not None:
        answered = _seconds(raw, spec.metadata_key)
        source = f"{spec.metadata_key} in the call metadata"
        evidence.insert(0, Evidence(turn=None, text=f"{spec.metadata_key} = {answered:g} s"))
    elif agent_turns:
        answered = call.turns[agent_turns[0]].start
        source = "the agent's first words in the recording"
    elif call.turns:
        text = "the agent never speaks in this recording"
        return rule_result(
            rule, "failed", f"{rule.title}: {text}", [Evidence(turn=None, text=text)]
        )
    else:
        return rule_result(
            rule, "not_applicable", "not applicable: the recording has no speech", []
        )
    ok = answered <= limit
    verdict = "within" if ok else "over"
    reason = f"{rule.title}: answered after {answered:.1f} s, {verdict} the {limit:g} s limit"
    return rule_result(rule, "passed" if ok else "failed", f"{reason} (from {source})", evidence)


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
