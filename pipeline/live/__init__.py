"""Live listening (issue 12): calls still in progress, recognised as they go, checked by
the pack's live rules, supervisors alerted within seconds.

- ``events``: what the path reports (call opened, segment final, alert, call closed) and
  the hook type the command wires to the store or to JSON lines;
- ``pcm``: stream metadata and 16-bit PCM checked and converted; bad input named;
- ``endpoint``: voiced chunks cut at the speaker's pauses (a rolling window bounds them);
- ``rolling``: the transcript so far, built and redacted as the batch path would;
- ``live_rules``: the ``live: true`` rules and the pack's ``live_checks``, once per call;
- ``call`` / ``engine``: one call's state; every call with one recognition worker;
- ``recording``: the received audio kept for the batch path when the call ends;
- ``sources`` (replay, growing files) and ``websocket`` (the streaming server).

The live transcript is not the record: each call's audio goes through ``callqa process``.
"""

from pipeline.live.engine import LiveEngine, LiveOptions
from pipeline.live.events import (
    Alert,
    CallClosed,
    CallMeta,
    CallOpened,
    LiveEvent,
    LiveHook,
    SegmentFinal,
    fan_out,
    no_hook,
)
from pipeline.live.pcm import LiveStreamError

__all__ = [
    "Alert",
    "CallClosed",
    "CallMeta",
    "CallOpened",
    "LiveEngine",
    "LiveEvent",
    "LiveHook",
    "LiveOptions",
    "LiveStreamError",
    "SegmentFinal",
    "fan_out",
    "no_hook",
]
