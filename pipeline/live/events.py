"""What the live path tells the world, as typed events through one injected hook.

The engine never writes anywhere itself: the command wires the hook to the console's
store (storage.live), to JSON lines on standard output, or to both. Every text in an
event is redacted already (nothing unredacted leaves the engine).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

Severity = Literal["critical", "major", "minor"]


@dataclass(frozen=True)
class CallMeta:
    """What the telephony side says about a call when it starts."""

    call_id: str
    sample_rate: int = 16_000
    channels: int = 2
    agent_id: str | None = None
    agent_channel: int | None = None
    """0 = left, 1 = right; None: told apart by what each party says (as in batch)."""
    layout: Literal["interleaved", "per_party"] = "interleaved"
    """Two channels: interleaved 16-bit frames, or messages tagged with a channel byte."""


@dataclass(frozen=True)
class CallOpened:
    call_id: str
    agent_id: str | None
    started_at: datetime
    source: str
    kind: Literal["call_opened"] = "call_opened"


@dataclass(frozen=True)
class SegmentFinal:
    """A stretch of one party's speech whose words will not change any more (redacted)."""

    call_id: str
    start: float
    end: float
    speaker: str
    text: str
    kind: Literal["segment"] = "segment"


@dataclass(frozen=True)
class Alert:
    """A live rule failed on this call (once per call and rule). ``t``: seconds of call
    time where the evidence ends; ``detected_at``: call time when it was found."""

    call_id: str
    t: float
    rule: str
    severity: Severity
    evidence: str
    title: str = ""
    detected_at: float = 0.0
    kind: Literal["alert"] = "alert"

    def json_line(self) -> str:
        """The ``callqa live --json`` line: call_id, t, rule, evidence, severity."""
        keep = ("call_id", "t", "rule", "evidence", "severity")
        return json.dumps({k: asdict(self)[k] for k in keep}, ensure_ascii=False)


@dataclass(frozen=True)
class CallClosed:
    """The call is over: ``reason`` says why (``ended`` when the source said so), and
    ``recording_path`` where its audio was kept for the batch path (None: nothing came)."""

    call_id: str
    reason: str
    recording_path: str | None
    duration_s: float = 0.0
    max_lag_s: float = 0.0
    """Worst delay between audio arriving and the engine taking it in (falling behind)."""
    alerts: tuple[str, ...] = field(default=())
    kind: Literal["call_closed"] = "call_closed"

    @property
    def clean(self) -> bool:
        return self.reason == ENDED


ENDED = "ended"
LiveEvent = CallOpened | SegmentFinal | Alert | CallClosed
LiveHook = Callable[[LiveEvent], None]


def no_hook(_event: LiveEvent) -> None:
    """A hook that drops every event (the engine's default)."""


def fan_out(*hooks: LiveHook) -> LiveHook:
    """One hook that calls each of ``hooks`` in turn."""

    def hook(event: LiveEvent) -> None:
        for each in hooks:
            each(event)

    return hook
