"""Hotwords: the agent-side phrases of a rule pack that the recogniser should be
biased towards."""

from __future__ import annotations

from rules.pack import RulePack


def hotwords(pack: RulePack) -> tuple[str, ...]:
    """The agent-side phrases worth biasing recognition towards (at most
    ``settings.max_hotwords``): the pack's own list, else round-robin over the agent's
    required checks and agent events, first-listed (canonical script) phrases first.
    Forbidden phrases are left out: biasing towards them would invent violations."""
    limit = pack.settings.max_hotwords
    if pack.hotwords is not None:
        return tuple(dict.fromkeys(pack.hotwords))[:limit]
    checks: list[tuple[str, ...]] = [
        check.phrases
        for rule in pack.rules
        for check in rule.require
        if (check.speaker or rule.speaker or "any") in ("agent", "any")
    ]
    events = [e.phrases for e in pack.events.values() if e.speaker == "agent"]
    chosen: dict[str, None] = {}
    # The script's own wording first; events (what the agent does) only fill what is left.
    for sources in (checks, events):
        depth = max((len(s) for s in sources), default=0)
        for i in range(depth):
            for phrases in sources:
                # 2..12 characters: distinctive, yet said as one stretch
                if i < len(phrases) and 2 <= len(phrases[i]) <= 12:
                    chosen.setdefault(phrases[i], None)
                    if len(chosen) >= limit:
                        return tuple(chosen)
    return tuple(chosen)
