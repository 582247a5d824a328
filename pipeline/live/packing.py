"""Several voiced chunks recognised in one Whisper window.

Whisper's encoder always reads a 30-second window, however short the speech in it: a 2 s
chunk costs nearly what 28 s cost. When several chunks wait (other calls, the other
party), they are laid side by side in one window, a second of silence apart, decoded
once, and each word is handed back to the chunk it lies in (by its time). One chunk alone
is decoded as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.transcript import Word
from pipeline.audio import SAMPLE_RATE
from pipeline.live.endpoint import Chunk
from pipeline.transcribe import ChannelTranscript, Segment, TranscribeOptions, transcribe_channel

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

GAP_S = 1.0
WINDOW_S = 28.0


def fits(chunks: Sequence[Chunk], more: Chunk, window_s: float = WINDOW_S) -> bool:
    """Whether ``more`` still fits in the window with ``chunks``."""
    total = sum(len(c.samples) for c in (*chunks, more)) / SAMPLE_RATE
    return total + GAP_S * len(chunks) <= window_s


def recognise_together(
    chunks: Sequence[Chunk], model: WhisperModel, options: TranscribeOptions
) -> list[ChannelTranscript]:
    """Each chunk's recognised segments, times relative to the chunk's own start."""
    if len(chunks) == 1:
        return [transcribe_channel(chunks[0].samples, model, options, channel=chunks[0].channel)]
    gap = np.zeros(int(GAP_S * SAMPLE_RATE), dtype=np.float32)
    parts, spans, at = [], [], 0
    for chunk in chunks:
        parts += [chunk.samples, gap]
        spans.append((at / SAMPLE_RATE, (at + len(chunk.samples)) / SAMPLE_RATE))
        at += len(chunk.samples) + len(gap)
    window = np.concatenate(parts[:-1])
    whole = transcribe_channel(window, model, options)
    words: list[list[Word]] = [[] for _ in chunks]
    logprob: list[list[float]] = [[] for _ in chunks]
    for seg in whole.segments:
        pieces = seg.words or (Word(start=seg.start, end=seg.end, text=seg.text, p=1.0),)
        for word in pieces:
            i = _owner(spans, (word.start + word.end) / 2)
            lo, hi = spans[i]
            words[i].append(
                Word(
                    start=round(min(max(word.start - lo, 0.0), hi - lo), 3),
                    end=round(min(max(word.end - lo, 0.0), hi - lo), 3),
                    text=word.text,
                    p=word.p,
                )
            )
            logprob[i].append(seg.avg_logprob)
    out = []
    for i, chunk in enumerate(chunks):
        segments: tuple[Segment, ...] = ()
        if words[i]:
            text = "".join(w.text for w in words[i]).strip()
            mean = float(np.mean(logprob[i]))
            segments = (
                Segment(words[i][0].start, words[i][-1].end, text, tuple(words[i]), mean, 0.0),
            )
        out.append(
            ChannelTranscript(
                chunk.channel,
                segments,
                whole.language,
                whole.language_probability,
                len(chunk.samples) / SAMPLE_RATE,
            )
        )
    return out


def _owner(spans: Sequence[tuple[float, float]], t: float) -> int:
    """The chunk whose span holds ``t`` (or the nearest one, for a word in a gap)."""
    distance = [0.0 if lo <= t <= hi else min(abs(t - lo), abs(t - hi)) for lo, hi in spans]
    return int(np.argmin(distance))
