"""Speech recognition of one channel with faster-whisper, guarded against its known failures.

A channel longer than ``WINDOW_S`` is recognised window by window (cut between words), so
that memory stays flat however long the call.

Defaults follow what measured best for call audio on 2 CPU cores (OFFLINE-STACK.md):
VAD on (a threshold of 0.3), beam search, no conditioning on previous text (it feeds loops), word
timestamps, OpenCC to the configured script, a repeated-token filter and a silence-
hallucination filter.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from core.progress import ProgressHook, no_progress
from core.textnorm import Script, collapse_repeats, is_silence_hallucination, script_converter
from core.transcript import Word
from pipeline.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from faster_whisper import WhisperModel


@dataclass(frozen=True)
class TranscribeOptions:
    """How to run the recogniser. Built once from configuration."""

    language: str = "zh"
    """A Whisper language code, or ``auto`` to detect it per channel. Mandarin calls with
    English words mixed in are transcribed well with ``zh``."""
    beam_size: int = 5
    """Beam 5 over greedy: CER 0.126 vs 0.185 on the real Mandarin clips (VAD threshold 0.3),
    and a 60 s stereo call at RTF 0.105 vs 0.070 on 2 cores (bench/bench_recognition.py)."""
    vad: bool = True
    vad_min_silence_ms: int = 500
    vad_threshold: float = 0.3
    """Silero's speech probability threshold. Its default 0.5 cut the starts of quiet or
    telephone-band speech: on the real Mandarin clips, beam 5, CER 0.199 at 0.5 and 0.126
    at 0.3 (bench/bench_recognition.py)."""
    word_timestamps: bool = True
    initial_prompt: str | None = None
    hotwords: tuple[str, ...] = ()
    """Phrases to bias recognition towards (the active rule pack's script phrases)."""
    output_script: Script = "simplified"
    max_repeats: int = 4
    """A unit repeated more often than this in a row is a decoding loop and is cut."""
    hallucination_silence_s: float | None = 2.0
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    batch_size: int = 0
    """Speech chunks decoded together by faster-whisper's ``BatchedInferencePipeline``; 0:
    one after another (see ``Settings.whisper_batch_size`` for what was measured)."""

    def whisper_kwargs(self) -> dict[str, object]:
        """The arguments for ``WhisperModel.transcribe`` (also used by the benchmark's baseline)."""
        kwargs: dict[str, object] = {
            "language": None if self.language == "auto" else self.language,
            "beam_size": self.beam_size,
            "vad_filter": self.vad,
            "vad_parameters": {
                "min_silence_duration_ms": self.vad_min_silence_ms,
                "threshold": self.vad_threshold,
            },
            "word_timestamps": self.word_timestamps,
            "condition_on_previous_text": False,
            "initial_prompt": self.initial_prompt,
            "hotwords": " ".join(self.hotwords) or None,
            "no_speech_threshold": self.no_speech_threshold,
            "log_prob_threshold": self.log_prob_threshold,
        }
        if self.word_timestamps and self.hallucination_silence_s is not None:
            kwargs["hallucination_silence_threshold"] = self.hallucination_silence_s
        return kwargs


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech on one channel."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class ChannelTranscript:
    channel: int
    segments: tuple[Segment, ...]
    language: str
    language_probability: float
    duration: float
    speech_duration: float = field(default=0.0)
    """Seconds the VAD judged to be speech: 0 means no speech at all on this channel."""


# Longer channels are recognised in windows of about this length, cut at the quietest
# 10 ms within the window's last CUT_SEARCH_S: faster-whisper computes the features of all
# the audio it is given at once (~1.5 GB for an hour), a window's take ~0.2 GB.
WINDOW_S = 600.0
CUT_SEARCH_S = 30.0


def transcribe_channel(
    samples: np.ndarray,
    model: WhisperModel,
    options: TranscribeOptions = TranscribeOptions(),
    *,
    channel: int = 0,
    progress: ProgressHook = no_progress,
) -> ChannelTranscript:
    """Transcribe one channel (16 kHz mono: float32 in [-1, 1], or int16 PCM)."""
    duration = len(samples) / SAMPLE_RATE
    stage = f"transcribe ch{channel}"
    progress(stage, 0.0, duration)
    if not np.any(samples):  # digital silence: the VAD would find nothing either
        return ChannelTranscript(channel, (), options.language, 0.0, duration, 0.0)
    convert = script_converter(options.output_script)
    voiced = VoicedFrames(samples)
    segments: list[Segment] = []
    speech = 0.0
    infos = []
    for lo, hi in voiced.windows(WINDOW_S, CUT_SEARCH_S):
        offset = lo / SAMPLE_RATE
        recognise = _recogniser(model, options)
        raw_segments, info = recognise(_float32(samples[lo:hi]), **options.whisper_kwargs())
        for raw in raw_segments:  # a generator: recognition happens while we iterate
            segment = _clean_segment(raw, convert, options, offset)
            if segment is not None:
                segments.append(voiced.tighten(segment))
            progress(stage, min(offset + float(raw.end), duration), duration)
        window_speech = float(info.duration_after_vad if options.vad else info.duration)
        speech += window_speech
        infos.append((window_speech, info))
    progress(stage, duration, duration)
    _, main = max(infos, key=lambda pair: pair[0])  # the language of the most speech
    return ChannelTranscript(
        channel=channel,
        segments=tuple(segments),
        language=main.language,
        language_probability=float(main.language_probability),
        duration=duration,
        speech_duration=speech,
    )


def _recogniser(model: WhisperModel, options: TranscribeOptions) -> Any:
    """``model.transcribe``, or the batched pipeline's (it decodes the VAD's speech chunks
    ``batch_size`` at a time, each on its own, without the text before it)."""
    if options.batch_size <= 0:
        return model.transcribe
    from faster_whisper import BatchedInferencePipeline

    batched = BatchedInferencePipeline(model)
    return functools.partial(batched.transcribe, batch_size=options.batch_size)


def _float32(samples: np.ndarray) -> np.ndarray:
    if samples.dtype == np.int16:
        return np.multiply(samples, 1.0 / 32768, dtype=np.float32)
    return np.asarray(samples, dtype=np.float32)


class VoicedFrames:
    """Where a channel carries sound, in 10 ms frames, to pin segment edges on the audio.

    Whisper starts the first word of a VAD chunk at the chunk's start, which the VAD pads
    by 0.4 s: left alone, every turn would begin early (and the agent would seem to answer
    faster than they did). The edges are moved onto the first and last voiced frame.
    """

    FRAME_S = 0.01
    ABOVE_FLOOR_DB = 10.0
    SEARCH_S = 1.0

    def __init__(self, samples: np.ndarray) -> None:
        self.hop = int(SAMPLE_RATE * self.FRAME_S)
        usable = len(samples) // self.hop * self.hop
        # block by block: an hour's frames as float would be another copy of the channel
        block = self.hop * 60_000
        levels = [
            np.mean(
                np.square(_float32(samples[at : min(at + block, usable)])).reshape(-1, self.hop),
                axis=1,
            )
            for at in range(0, usable, block)
        ]
        power = np.concatenate(levels) if levels else np.zeros(0)
        self.rms_db = 10 * np.log10(power + 1e-10)
        floor = float(np.percentile(self.rms_db, 10)) if len(self.rms_db) else -100.0
        self.voiced = self.rms_db > max(floor + self.ABOVE_FLOOR_DB, -60.0)
        self.samples = len(samples)

    def windows(self, window_s: float, search_s: float) -> list[tuple[int, int]]:
        """Sample ranges of about ``window_s`` that together cover the channel, each cut at
        the quietest frame of its last ``search_s`` seconds (between words, not in one)."""
        window, search = int(window_s / self.FRAME_S), int(search_s / self.FRAME_S)
        cuts, start, frames = [0], 0, len(self.rms_db)
        while frames - start > window + search:
            lo = start + window - search
            start = lo + int(np.argmin(self.rms_db[lo : start + window]))
            cuts.append(start)
        edges = [c * self.hop for c in cuts] + [self.samples]
        return list(pairwise(edges))

    def _frame(self, seconds: float) -> int:
        return min(max(int(seconds / self.FRAME_S), 0), len(self.voiced))

    def tighten(self, segment: Segment) -> Segment:
        if not segment.words or not len(self.voiced):
            return segment
        first, last = segment.words[0], segment.words[-1]
        lo, hi = self._frame(first.start), self._frame(min(first.end, first.start + self.SEARCH_S))
        hits = np.flatnonzero(self.voiced[lo:hi])
        start = round((lo + hits[0]) * self.FRAME_S, 3) if len(hits) else first.start
        lo, hi = self._frame(max(last.start, last.end - self.SEARCH_S)), self._frame(last.end)
        hits = np.flatnonzero(self.voiced[lo:hi])
        end = round((lo + hits[-1] + 1) * self.FRAME_S, 3) if len(hits) else last.end
        words: tuple[Word, ...]
        if len(segment.words) == 1:
            words = (first.model_copy(update={"start": start, "end": max(end, start)}),)
        else:
            words = (
                first.model_copy(update={"start": min(start, first.end)}),
                *segment.words[1:-1],
                last.model_copy(update={"end": max(end, last.start)}),
            )
        return Segment(
            words[0].start,
            words[-1].end,
            segment.text,
            words,
            segment.avg_logprob,
            segment.no_speech_prob,
        )


def _clean_segment(
    raw: object, convert: object, options: TranscribeOptions, offset: float = 0.0
) -> Segment | None:
    """A recognised segment, cleaned, on the channel's clock (``offset``: where the window
    it came from starts)."""
    text_of = convert  # a callable str -> str
    words_raw: Sequence[object] = getattr(raw, "words", None) or ()
    words = [
        Word(
            start=round(offset + float(w.start), 3),  # type: ignore[attr-defined]
            end=round(offset + max(float(w.end), float(w.start)), 3),  # type: ignore[attr-defined]
            text=text_of(w.word),  # type: ignore[attr-defined,operator]
            p=min(max(float(w.probability), 0.0), 1.0),  # type: ignore[attr-defined]
        )
        for w in words_raw
    ]
    if words:
        words = collapse_repeats(words, key=lambda w: w.text, max_repeats=options.max_repeats)
        text = "".join(w.text for w in words).strip()
        start, end = words[0].start, words[-1].end
    else:
        chars = list(text_of(raw.text))  # type: ignore[attr-defined,operator]
        text = "".join(collapse_repeats(chars, key=str, max_repeats=options.max_repeats)).strip()
        start, end = offset + float(raw.start), offset + float(raw.end)  # type: ignore[attr-defined]
    if not text or is_silence_hallucination(text):
        return None
    return Segment(
        start=round(start, 3),
        end=round(end, 3),
        text=text,
        words=tuple(words),
        avg_logprob=float(raw.avg_logprob),  # type: ignore[attr-defined]
        no_speech_prob=float(raw.no_speech_prob),  # type: ignore[attr-defined]
    )
