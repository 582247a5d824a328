"""Redacted stretches of a recording silenced or covered by a tone, on the speaker's
channel where the recording is stereo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from core.analysis import Redaction
from core.transcript import Transcript
from pipeline.audio import Audio

Span = tuple[float, float] | tuple[float, float, int | None]


def audio_spans(
    transcript: Transcript, redactions: Sequence[Redaction]
) -> list[tuple[float, float, int | None]]:
    """(start, end, channel) to silence for ``redactions``: the speaker's channel if the
    turn has one (stereo), else None (all channels)."""
    return [
        (r.start, r.end, transcript.turns[r.turn].channel)
        for r in redactions
        if r.start is not None and r.end is not None
    ]


def redact_audio(
    audio: Audio,
    spans: Sequence[Span],
    *,
    mode: Literal["silence", "beep"] = "beep",
    pad_s: float = 0.15,
    beep_hz: float = 1000.0,
    beep_level: float = 0.1,
) -> Audio:
    """A copy of ``audio`` with each span (padded by ``pad_s`` each side) silenced or
    replaced by a sine tone. A span's third item, a channel index, limits it to that
    channel of a stereo recording; without one (or None) every channel is covered."""
    if mode not in ("silence", "beep"):
        raise ValueError(f"mode {mode!r}: expected 'silence' or 'beep'")
    samples = np.array(audio.samples, dtype=np.float32, copy=True)
    rate, total = audio.sample_rate, samples.shape[1]
    fade = max(1, int(0.005 * rate))
    for span in spans:
        start, end = float(span[0]), float(span[1])
        channel = span[2] if len(span) > 2 else None
        lo = max(0, int(np.floor((start - pad_s) * rate)))
        hi = min(total, int(np.ceil((end + pad_s) * rate)))
        if hi <= lo:
            continue
        rows: slice | int = (
            channel
            if channel is not None and audio.channels > 1 and 0 <= channel < audio.channels
            else slice(None)
        )
        if mode == "silence":
            samples[rows, lo:hi] = 0.0
        else:
            t = np.arange(lo, hi) / rate
            tone = beep_level * np.sin(2 * np.pi * beep_hz * t)
            ramp = np.ones(hi - lo)
            n = min(fade, (hi - lo) // 2)
            if n:
                edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
                ramp[:n], ramp[hi - lo - n :] = edge, edge[::-1]
            samples[rows, lo:hi] = (tone * ramp).astype(np.float32)
    return audio.with_samples(samples)
