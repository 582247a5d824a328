"""Voiced chunks of one channel as audio arrives: an utterance starts at the first voiced
frame and is cut when its speaker pauses, or when the rolling window grows too long.

Voicing is frame energy above the channel's own noise floor (cheap enough to run on every
block of every call); the recogniser's Silero VAD then trims each chunk again, and guards
against decoding noise.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from pipeline.audio import SAMPLE_RATE

FRAME = SAMPLE_RATE // 50  # 20 ms


@dataclass(frozen=True)
class EndpointOptions:
    end_silence_s: float = 0.5
    """A pause this long ends an utterance: words before it are decoded and final."""
    max_chunk_s: float = 12.0
    """The rolling window: a longer utterance is cut at its quietest recent frame."""
    pre_roll_s: float = 0.3
    post_roll_s: float = 0.25
    min_voiced_s: float = 0.15
    above_floor_db: float = 10.0
    min_level_db: float = -55.0


@dataclass(frozen=True)
class Chunk:
    channel: int
    start: float
    """Seconds of call time of the first sample."""
    samples: np.ndarray
    ready_at: float
    """Call time at which the chunk could be cut (its end plus the pause that ended it)."""


class Endpointer:
    """One channel's audio not yet handed to recognition, and where speech is in it."""

    def __init__(self, channel: int, options: EndpointOptions = EndpointOptions()) -> None:
        self.channel = channel
        self.options = options
        self.buffer = np.zeros(0, dtype=np.float32)
        self.base = 0  # sample index (call time) of buffer[0]
        self.levels: deque[float] = deque(maxlen=1500)  # the last 30 s of frame levels
        self.scanned = 0  # frames of the buffer already judged
        self.voiced: list[bool] = []  # per frame of the buffer
        self.frame_levels: list[float] = []  # dB, per frame of the buffer
        self.utterance: int | None = None  # frame where the current utterance starts
        self.silent_frames = 0
        self.last_voiced_at = 0.0  # call time of the latest voiced frame

    @property
    def received_s(self) -> float:
        return (self.base + len(self.buffer)) / SAMPLE_RATE

    def feed(self, samples: np.ndarray) -> list[Chunk]:
        """Takes 16 kHz float samples; returns the utterances they completed."""
        self.buffer = np.concatenate([self.buffer, samples.astype(np.float32, copy=False)])
        chunks: list[Chunk] = []
        n_frames = len(self.buffer) // FRAME
        if n_frames <= self.scanned:
            return chunks
        frames = self.buffer[self.scanned * FRAME : n_frames * FRAME].reshape(-1, FRAME)
        levels = 10 * np.log10(np.mean(np.square(frames, dtype=np.float64), axis=1) + 1e-10)
        self.levels.extend(levels.tolist())
        floor = float(np.percentile(np.fromiter(self.levels, float), 10))
        threshold = max(floor + self.options.above_floor_db, self.options.min_level_db)
        for level in levels.tolist():
            frame = self.scanned
            self.scanned += 1
            voiced = level > threshold
            self.voiced.append(voiced)
            self.frame_levels.append(level)
            chunk = self._step(frame, voiced)
            if chunk is not None:
                chunks.append(chunk)
        return chunks

    def flush(self) -> list[Chunk]:
        """The utterance in progress when the call ends."""
        if self.utterance is None:
            return []
        chunk = self._cut(self.utterance, self.scanned)
        self.utterance = None
        return [chunk] if chunk is not None else []

    def _frames(self, seconds: float) -> int:
        return max(1, round(seconds * SAMPLE_RATE / FRAME))

    def _step(self, frame: int, voiced: bool) -> Chunk | None:
        if voiced:
            self.last_voiced_at = (self.base + (frame + 1) * FRAME) / SAMPLE_RATE
            self.silent_frames = 0
            if self.utterance is None:
                self.utterance = max(0, frame - self._frames(self.options.pre_roll_s))
            elif frame - self.utterance >= self._frames(self.options.max_chunk_s):
                return self._cut_long(frame)
            return None
        if self.utterance is None:
            self._drop_before(max(0, frame - self._frames(self.options.pre_roll_s)))
            return None
        self.silent_frames += 1
        if self.silent_frames < self._frames(self.options.end_silence_s):
            return None
        end = frame - self.silent_frames + 1 + self._frames(self.options.post_roll_s)
        chunk = self._cut(self.utterance, min(end, frame + 1))
        self.utterance = None
        return chunk

    def _cut_long(self, frame: int) -> Chunk | None:
        """Cut a long utterance at its quietest frame in the last 2 s (between words)."""
        look = self._frames(2.0)
        first = self.utterance or 0
        lo = max(first + 1, frame - look)
        at = lo + int(np.argmin(self.frame_levels[lo : frame + 1])) + 1
        chunk = self._cut(first, at)
        self.utterance = 0  # the rest of the utterance now starts the buffer
        return chunk

    def _cut(self, first: int, end: int) -> Chunk | None:
        voiced = sum(self.voiced[first:end])
        samples = self.buffer[first * FRAME : end * FRAME].copy()
        start = (self.base + first * FRAME) / SAMPLE_RATE
        ready = (self.base + self.scanned * FRAME) / SAMPLE_RATE
        self._drop_before(end)
        if voiced < self._frames(self.options.min_voiced_s):
            return None  # a click, not speech
        return Chunk(self.channel, round(start, 3), samples, round(ready, 3))

    def _drop_before(self, frame: int) -> None:
        """Forget audio before ``frame`` (it is kept, whole, by the call's recording)."""
        if frame <= 0:
            return
        self.buffer = self.buffer[frame * FRAME :]
        self.base += frame * FRAME
        self.voiced = self.voiced[frame:]
        self.frame_levels = self.frame_levels[frame:]
        self.scanned -= frame
        if self.utterance is not None:
            self.utterance -= frame
