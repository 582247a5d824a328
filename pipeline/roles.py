"""Which speaker is the agent: fixed by configuration or call metadata, else judged from
what each side says (the greeting, the bank's phrases, the polite 您), with a confidence.

Recording systems differ (agent left on one, right on another), so guessing a channel is
not good enough; but the agent's words give them away quickly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.textnorm import to_simplified
from core.transcript import RoleEvidence

# Phrases an agent says and a customer rarely does, with weights. Matched on Simplified,
# lower-cased text; the active rule pack's greeting/closing phrases are added to these.
AGENT_CUES: Mapping[str, float] = {
    "很高兴为您服务": 4,
    "为您服务": 3,
    "工号": 3,
    "有什么可以帮您": 4,
    "有什么可以帮到您": 4,
    "请问有什么": 2,
    "感谢您的来电": 4,
    "感谢来电": 3,
    "还有其他可以帮您": 4,
    "还有什么可以帮您": 4,
    "客服": 2,
    "银行": 1,
    "为您查询": 3,
    "为您办理": 3,
    "帮您查": 2,
    "帮您办": 2,
    "核实": 2,
    "请您": 1.5,
    "您的": 0.5,
    "您": 0.3,
    "稍等": 1,
    "请问": 0.5,
    "祝您": 2,
    "thank you for calling": 4,
    "how can i help": 3,
    "how may i help": 3,
    "my name is": 1,
    "is there anything else": 3,
}
CUSTOMER_CUES: Mapping[str, float] = {
    "我想": 1.5,
    "我要": 1.5,
    "我的卡": 2,
    "帮我": 1.5,
    "你们": 1.5,
    "我这个": 1,
    "投诉": 1,
    "怎么回事": 1.5,
    "为什么": 0.5,
    "我查": 0.5,
    "我问一下": 2,
    "我想问": 2,
    "我刚才": 1,
    "i want to": 1.5,
    "my card": 2,
    "i'd like to": 1.5,
    "you guys": 1,
}
# How much the sides' cue scores must differ to be sure (see _confidence).
_SCALE = 4.0


@dataclass(frozen=True)
class RoleOptions:
    agent: str | None = None
    """A fixed agent label ("ch0"/"ch1" for left/right, or a diarization label), from
    configuration or call metadata; None = detect from content."""
    source: str = "configured"
    """Where a fixed ``agent`` came from: "configured" or "metadata"."""
    extra_agent_cues: tuple[str, ...] = ()
    first_speaker_is_agent: bool = True
    """Tie-breaker when nobody says anything telling: on an inbound call the agent
    answers, so speaks first."""


def assign_roles(
    text_by_label: Mapping[str, str], first_label: str | None, options: RoleOptions = RoleOptions()
) -> tuple[dict[str, str], RoleEvidence]:
    """Map each speaker label to "agent" or "customer"."""
    labels = list(text_by_label)
    if options.agent is not None:
        roles = {lab: "agent" if lab == options.agent else "customer" for lab in labels}
        method = "metadata" if options.source == "metadata" else "configured"
        return roles, RoleEvidence(method=method, confidence=1.0, agent=options.agent)
    if not labels:
        return {}, RoleEvidence(method="single_speaker", confidence=0.0, agent=None)

    cues = dict(AGENT_CUES)
    cues.update({to_simplified(c).lower(): 4.0 for c in options.extra_agent_cues})
    normalised = {lab: to_simplified(text).lower() for lab, text in text_by_label.items()}
    score = {
        lab: _score(text, cues) - _score(text, CUSTOMER_CUES) for lab, text in normalised.items()
    }
    if len(labels) == 1:
        (label,) = labels
        role = "agent" if score[label] >= 0 else "customer"
        return {label: role}, RoleEvidence(
            method="single_speaker",
            confidence=round(_confidence(abs(score[label])), 3),
            agent=label if role == "agent" else None,
            detail=f"only one speaker; cue score {score[label]:+.1f}",
        )

    ranked = sorted(labels, key=lambda lab: score[lab], reverse=True)
    margin = score[ranked[0]] - score[ranked[1]]
    if margin > 0:
        agent, method, confidence = ranked[0], "content", _confidence(margin)
    else:  # nothing telling: fall back on who spoke first
        agent = first_label if options.first_speaker_is_agent and first_label else ranked[0]
        method, confidence = "first_speaker", 0.55
    roles = {lab: "agent" if lab == agent else "customer" for lab in labels}
    detail = ", ".join(f"{lab} {score[lab]:+.1f}" for lab in ranked)
    return roles, RoleEvidence(
        method=method,
        confidence=round(confidence, 3),
        agent=agent,
        detail=f"cue scores: {detail}",
    )


def _score(normalised: str, cues: Mapping[str, float]) -> float:
    """Weighted cue count in text already folded to Simplified lower case."""
    return sum(weight * normalised.count(cue) for cue, weight in cues.items())


def _confidence(margin: float) -> float:
    """0.5 for no evidence, approaching 1 as the agent's cues outweigh the other side's."""
    return 0.5 + 0.5 * math.tanh(margin / _SCALE)


def first_label(starts: Sequence[tuple[float, str]]) -> str | None:
    return min(starts)[1] if starts else None
