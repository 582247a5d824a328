"""16-bit PCM as streams send it: metadata read and checked, bytes turned into the 16 kHz
float channels recognition takes, and audio that is no speech recording told apart."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import numpy as np

from core.errors import CallqaError
from pipeline.audio import SAMPLE_RATE
from pipeline.live.events import CallMeta

RATES = (8000, 16000)
# Speech sits near -20 dBFS; random bytes, float32 or big-endian samples read as 16-bit
# little-endian are noise near full scale. Sustained this loud, it is no recording.
GARBAGE_RMS_DBFS = -8.0
GARBAGE_WINDOW_S = 1.0
_AGENT_CHANNELS: dict[str | int, int] = {"left": 0, "right": 1, 0: 0, 1: 1}
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


class LiveStreamError(CallqaError):
    """A live stream that cannot be taken as a call: its metadata, framing or samples."""


def safe_call_id(value: str) -> str:
    """A call id usable as a file name (kept recordings are named by it)."""
    cleaned = _SAFE_ID.sub("-", value).strip(".-")[:120]
    return cleaned or "call"


def parse_meta(raw: str | bytes | Mapping[str, object], *, where: str) -> CallMeta:
    """The call's metadata (JSON: call_id, agent_id, agent_channel, sample_rate,
    channels, layout); :class:`LiveStreamError` naming ``where`` and the problem."""
    data: object = raw
    if isinstance(raw, str | bytes):
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LiveStreamError(
                f"{where}: missing metadata: the first message must be a JSON object with"
                f" call_id, sample_rate and channels (got no JSON: {exc})"
            ) from None
    if not isinstance(data, Mapping):
        raise LiveStreamError(f"{where}: missing metadata: expected a JSON object")
    call_id = data.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip():
        raise LiveStreamError(f"{where}: missing metadata: no call_id")
    rate = data.get("sample_rate")
    if rate not in RATES:
        raise LiveStreamError(
            f"{where}: call {call_id}: wrong sample format: sample_rate {rate!r}"
            f" (16-bit PCM at {' or '.join(map(str, RATES))} Hz expected)"
        )
    channels = data.get("channels", 2)
    if channels not in (1, 2):
        raise LiveStreamError(f"{where}: call {call_id}: channels {channels!r} (1 or 2)")
    layout = data.get("layout", "interleaved")
    if layout not in ("interleaved", "per_party"):
        raise LiveStreamError(f"{where}: call {call_id}: layout {layout!r} (interleaved|per_party)")
    agent = data.get("agent_channel")
    agent_channel = _AGENT_CHANNELS.get(agent) if isinstance(agent, str | int) else None
    if agent is not None and agent_channel is None:
        raise LiveStreamError(f"{where}: call {call_id}: agent_channel {agent!r} (0/1/left/right)")
    agent_id = data.get("agent_id")
    return CallMeta(
        call_id=call_id.strip(),
        sample_rate=int(rate),
        channels=int(channels),
        agent_id=str(agent_id) if agent_id is not None else None,
        agent_channel=agent_channel if agent_channel is None or channels == 2 else None,
        layout=layout,
    )


def frames_of(data: bytes, channels: int, *, where: str) -> np.ndarray:
    """Interleaved little-endian 16-bit frames as int16 of shape (channels, n)."""
    width = 2 * channels
    if len(data) % width:
        raise LiveStreamError(
            f"{where}: wrong sample format: {len(data)} bytes is no whole number of"
            f" {channels}-channel 16-bit frames"
        )
    return np.frombuffer(data, dtype="<i2").reshape(-1, channels).T.copy()


def to_float(frames: np.ndarray) -> np.ndarray:
    return frames.astype(np.float32) / 32768.0


class Upsampler:
    """8 kHz to 16 kHz one block at a time (linear; the last sample carried over so block
    edges join smoothly). 16 kHz passes through."""

    def __init__(self, rate: int, channels: int) -> None:
        self.factor = SAMPLE_RATE // rate
        self.last = np.zeros((channels, 1), dtype=np.float32)

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if self.factor == 1 or block.shape[1] == 0:
            return block
        joined = np.concatenate([self.last, block], axis=1)
        n = block.shape[1]
        positions = np.arange(1, n * self.factor + 1, dtype=np.float64) / self.factor
        out = np.stack([np.interp(positions, np.arange(n + 1), ch) for ch in joined])
        self.last = block[:, -1:]
        return out.astype(np.float32)


class GarbageDetector:
    """Says when a stream's samples have been full-scale noise for a whole window."""

    def __init__(self, rate: int) -> None:
        self.window = int(rate * GARBAGE_WINDOW_S)
        self.loud_run = 0

    def check(self, samples: np.ndarray, *, where: str) -> None:
        if samples.shape[1] == 0:
            return
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
        dbfs = 20 * np.log10(rms + 1e-12)
        self.loud_run = self.loud_run + samples.shape[1] if dbfs > GARBAGE_RMS_DBFS else 0
        if self.loud_run >= self.window:
            raise LiveStreamError(
                f"{where}: garbage or wrong sample format: {self.loud_run / self.window:.1f} s"
                f" of full-scale noise ({dbfs:.0f} dBFS); expected 16-bit little-endian PCM"
            )
