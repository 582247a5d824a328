"""Redacted stretches of a recording silenced or covered by a tone, on the speaker's
channel where the recording is stereo."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from core.analysis import Redaction
from core.transcript import Transcript
from pipeline.audio import Audio
from pipeline.audio_writing import BLOCK_FRAMES, write_audio_blocks

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


@dataclass(frozen=True)
class Cover:
    """How a redacted stretch is covered: ``mode`` silence or a sine tone (``beep_hz``,
    ``beep_level``), each span padded by ``pad_s`` each side, the tone's edges faded."""

    mode: Literal["silence", "beep"] = "beep"
    pad_s: float = 0.15
    beep_hz: float = 1000.0
    beep_level: float = 0.1

    def __post_init__(self) -> None:
        if self.mode not in ("silence", "beep"):
            raise ValueError(f"mode {self.mode!r}: expected 'silence' or 'beep'")


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
    channel of a stereo recording; without one (or None) every channel is covered.
    The whole call is copied as float32: a long call is better written block by block
    with :func:`write_redacted_audio`."""
    cover = Cover(mode, pad_s, beep_hz, beep_level)
    samples = audio.block(0, audio.frames)
    _cover_block(samples, 0, audio, spans, cover)
    return audio.with_samples(samples)


def redacted_blocks(
    audio: Audio, spans: Sequence[Span], cover: Cover = Cover(), block_frames: int = BLOCK_FRAMES
) -> Iterator[np.ndarray]:
    """The redacted recording a block at a time (float32, (channels, n)): the same samples
    as :func:`redact_audio`, without ever holding the whole call as float32."""
    for at in range(0, audio.frames, block_frames):
        block = audio.block(at, min(audio.frames, at + block_frames))
        _cover_block(block, at, audio, spans, cover)
        yield block


def write_redacted_audio(
    path: str | Path, audio: Audio, spans: Sequence[Span], cover: Cover = Cover()
) -> Path:
    """Write the redacted recording to ``path`` (format by suffix), block by block: a
    4-hour call needs a few MB of float32 beside its decoded int16, not gigabytes."""
    return write_audio_blocks(
        path, redacted_blocks(audio, spans, cover), audio.channels, audio.sample_rate
    )


def _cover_block(
    block: np.ndarray, offset: int, audio: Audio, spans: Sequence[Span], cover: Cover
) -> None:
    """Cover, in place, the part of each span that falls in ``block`` (which starts at
    sample ``offset``). Tone phase and fades are counted from the span's own start, so
    blocks joined give exactly the samples of the whole call covered at once."""
    rate, total, end_of_block = audio.sample_rate, audio.frames, offset + block.shape[1]
    fade = max(1, int(0.005 * rate))
    for span in spans:
        start, end = float(span[0]), float(span[1])
        channel = span[2] if len(span) > 2 else None
        lo = max(0, int(np.floor((start - cover.pad_s) * rate)))
        hi = min(total, int(np.ceil((end + cover.pad_s) * rate)))
        a, b = max(lo, offset), min(hi, end_of_block)
        if hi <= lo or b <= a:
            continue
        rows: slice | int = (
            channel
            if channel is not None and audio.channels > 1 and 0 <= channel < audio.channels
            else slice(None)
        )
        if cover.mode == "silence":
            block[rows, a - offset : b - offset] = 0.0
            continue
        t = np.arange(a, b) / rate
        tone = cover.beep_level * np.sin(2 * np.pi * cover.beep_hz * t)
        n = min(fade, (hi - lo) // 2)
        if n:
            edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
            pos = np.arange(a, b) - lo
            head, tail = pos < n, pos >= hi - lo - n
            tone[head] *= edge[pos[head]]
            tone[tail] *= edge[hi - lo - 1 - pos[tail]]
        block[rows, a - offset : b - offset] = tone.astype(np.float32)
