"""pyannote's ``SpeakerDiarization`` with speaker embeddings computed once per stretch of speech.

pyannote 3.1 slides its 10 s window by 1 s and embeds every local speaker over the whole
window, so each second of speech went through CAM++ about ten times: on 2 cores that was
16.5 of the 19 s a 52 s call took to diarize. Here the window slides by a quarter of its
length (``segmentation_step``) and each local speaker is embedded only over the window's *own*
part, the frames nearer its centre than any other window's (the middle ``step`` seconds;
the first and last windows also own their outer edges). The own parts tile the call, so
each second of speech is embedded about once. A speaker with too little speech in the own
part (``min_own_s``) falls back to the window's middle half, then to the whole window.
The fbanks of a window are computed once for all its speakers; silent speakers cost
nothing.

How many speak at each moment (pyannote's "speaker count", which decides where there is
speech at all) is the rounded mean of the windows' votes. At a 2.5 s step each moment has
about four votes instead of ten, and where they disagree the mean is noisy: on AMI dev01
that alone raised false alarm from 6 % to 16 % of the speech (DER 0.507 -> 0.523, while
confusion fell, 36 % -> 28 %). So where the windows disagree (``refine_count``), the
windows half a step in between are segmented too, only those that cover such a moment,
and the count there is the mean over both (dev01 0.476; bench_diarization_stages.py).
Disputes shorter than ``min_dispute_s`` (the scoring collar, 0.25 s) are left as they are:
they only move a turn's edge (skipping them: Mandarin 12 -> 0 extra windows, dev01 9 -> 7).
Embeddings, clustering and reconstruction stay on the step's windows; they are
pyannote's, unchanged.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import numpy as np

EmbeddingSpan = Literal["centre", "window"]
"""``centre``: each local speaker embedded over its window's own part (fast);
``window``: over the whole window (pyannote 3.1; each second embedded 1/step times)."""
EMBEDDING_SPANS: tuple[str, ...] = ("centre", "window")


def own_frames(num_chunks: int, num_frames: int, duration: float, step: float) -> np.ndarray:
    """(num_chunks, num_frames) booleans: the frames of each window nearer its centre than
    any other window's. Together they cover each moment of the call exactly once."""
    frame_centres = (np.arange(num_frames) + 0.5) * duration / num_frames
    chunks = np.arange(num_chunks)[:, None]
    # index of the window whose centre is nearest, for each (window, frame)
    nearest = np.rint((chunks * step + frame_centres[None, :] - duration / 2) / step)
    return np.clip(nearest, 0, num_chunks - 1) == chunks


def embedding_masks(
    segmentation: np.ndarray,
    duration: float,
    step: float,
    *,
    exclude_overlap: bool,
    min_own_frames: int,
    min_frames: int,
) -> np.ndarray:
    """Which frames to embed for each (window, local speaker).

    segmentation: (num_chunks, num_frames, num_speakers) binary activity. Returns the same
    shape, float32: the speaker's frames in the window's own part (overlapped speech left
    out when ``exclude_overlap``); when those are fewer than ``min_own_frames``, those in
    the window's middle half, if enough; else the speaker's frames over the whole window,
    overlap left out if that leaves more than ``min_frames`` (pyannote's rule), else all
    of them. A silent speaker's mask is empty.
    """
    activity = np.nan_to_num(segmentation, nan=0.0).astype(np.float32)
    num_chunks, num_frames, _ = activity.shape
    clean = activity
    if exclude_overlap:
        clean = activity * (activity.sum(axis=2, keepdims=True) < 2)
    own = clean * own_frames(num_chunks, num_frames, duration, step)[:, :, None]
    middle_half = np.abs(np.arange(num_frames) + 0.5 - num_frames / 2) <= num_frames / 4
    middle = clean * middle_half[None, :, None]
    whole = np.where((clean.sum(axis=1) > min_frames)[:, None, :], clean, activity)
    masks = np.where((middle.sum(axis=1) >= min_own_frames)[:, None, :], middle, whole)
    masks = np.where((own.sum(axis=1) >= min_own_frames)[:, None, :], own, masks)
    return masks.astype(np.float32)


def disputed_frames(mean: np.ndarray, mean_square: np.ndarray, min_frames: int) -> np.ndarray:
    """Frames whose windows disagree on how many speak (the votes' variance is above zero),
    in runs of at least ``min_frames``: a shorter dispute only moves a turn's edge by less.
    ``mean`` and ``mean_square``: per frame, the mean of the windows' local speaker counts
    and of their squares."""
    disputed = np.asarray(mean_square - mean**2 > 1e-6)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], disputed.astype(np.int8), [0]])))
    for start, end in zip(edges[0::2], edges[1::2], strict=True):
        if end - start < min_frames:
            disputed[start:end] = False
    return disputed


def windows_covering(start_frames: np.ndarray, num_frames: int, frames: np.ndarray) -> np.ndarray:
    """Which windows (each given by its first frame on the call's frame grid, ``num_frames``
    long) cover at least one of ``frames`` (booleans over the call's frames)."""
    marked = np.concatenate([[0], np.cumsum(frames, dtype=np.int64)])
    first = np.clip(start_frames, 0, len(frames))
    last = np.clip(start_frames + num_frames, 0, len(frames))
    return np.asarray(marked[last] - marked[first] > 0)


def interleave(step_windows: np.ndarray, between: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The windows on a grid of half the step: the step's windows at even places, the
    ``chosen`` in-between windows (their activity ``between``, in order) at odd places, NaN
    (not run: pyannote's aggregation leaves those out) for the others."""
    num_chunks, num_frames, num_speakers = step_windows.shape
    grid = np.full((2 * num_chunks - 1, num_frames, num_speakers), np.nan, dtype=np.float32)
    grid[0::2] = step_windows
    grid[2 * np.flatnonzero(chosen) + 1] = between
    return grid


def step_for_duration(
    duration_s: float, step: float, short_call_s: float, short_step: float
) -> float:
    """The segmentation step (share of the window) for a call of ``duration_s`` seconds:
    ``short_step`` under ``short_call_s``, else ``step``."""
    return short_step if duration_s < short_call_s else step


@functools.cache
def pipeline_class() -> type:
    """``SpeakerDiarization`` with the embeddings above (defined on first use: pyannote and
    torch are heavy)."""
    import torch
    from pyannote.audio.core.inference import Inference
    from pyannote.audio.pipelines import SpeakerDiarization
    from pyannote.audio.pipelines.utils import SpeakerDiarizationMixin
    from pyannote.core import Segment, SlidingWindow, SlidingWindowFeature

    class CallqaSpeakerDiarization(SpeakerDiarization):
        def __init__(
            self,
            *,
            embedding_span: EmbeddingSpan,
            min_own_s: float,
            short_call_s: float,
            short_call_step: float,
            refine_count: bool,
            min_dispute_s: float,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            self.embedding_span = embedding_span
            self.min_own_s = min_own_s
            self.short_call_s = short_call_s
            self.short_call_step = short_call_step
            self.refine_count = refine_count
            self.min_dispute_s = min_dispute_s
            self.refinement_windows = 0
            """How many in-between windows the last run segmented (for tests and benches)."""
            self._file: Any = None

        def get_segmentations(self, file: Any, hook: Any = None) -> Any:
            # The step is chosen per call; runs never overlap (DiarizationModel.session).
            step = step_for_duration(
                self._audio.get_duration(file),
                self.segmentation_step,
                self.short_call_s,
                self.short_call_step,
            )
            self._segmentation.step = step * self._segmentation.duration
            self._file = file  # for speaker_count's in-between windows
            self.refinement_windows = 0
            return super().get_segmentations(file, hook=hook)

        def speaker_count(  # type: ignore[override]  # pyannote's is static; this needs the call
            self, binarized: Any, frames: Any, warm_up: tuple[float, float] = (0.1, 0.1)
        ) -> Any:
            """pyannote's count, refined where the step's windows disagree (see above)."""
            count = SpeakerDiarizationMixin.speaker_count(binarized, frames, warm_up=warm_up)
            # the call's audio is not kept past its run (an hour is 230 MB)
            file, self._file = self._file, None
            num_chunks = binarized.data.shape[0]
            if not self.refine_count or self.training or num_chunks < 2 or file is None:
                return count
            votes = np.sum(binarized.data, axis=-1, keepdims=True)
            moments = Inference.aggregate(
                SlidingWindowFeature(
                    np.concatenate([votes, votes**2], axis=-1),
                    binarized.sliding_window,
                ),
                frames,
                missing=0.0,
            ).data
            min_frames = round(self.min_dispute_s / frames.step)
            disputed = disputed_frames(moments[:, 0], moments[:, 1], min_frames)
            if not disputed.any():
                return count
            refined = self._count_with_windows_between(file, binarized, frames, disputed, warm_up)
            if refined is None:
                return count
            length = min(len(refined.data), len(count.data), len(disputed))
            where = disputed[:length]
            count.data[:length][where] = refined.data[:length][where]
            return count

        def _count_with_windows_between(
            self, file: Any, binarized: Any, frames: Any, disputed: np.ndarray, warm_up: tuple
        ) -> Any:
            """pyannote's speaker count over the step's windows and those half a step in
            between that cover a ``disputed`` frame; None when none does (a dispute at the
            call's very edge, before the first in-between window)."""
            chunks = binarized.sliding_window
            num_chunks, num_frames, _ = binarized.data.shape
            starts = chunks.start + chunks.step * (np.arange(num_chunks - 1) + 0.5)
            grid = SlidingWindow(start=chunks.start, duration=frames.duration, step=frames.step)
            start_frames = np.array([grid.closest_frame(s + 0.5 * frames.duration) for s in starts])
            chosen = windows_covering(start_frames, num_frames, disputed)
            if not chosen.any():
                return None
            between = self._segment_windows(file, starts[chosen], chunks.duration)
            self.refinement_windows = int(chosen.sum())
            windows = SlidingWindowFeature(
                interleave(binarized.data, between, chosen),
                SlidingWindow(start=chunks.start, duration=chunks.duration, step=chunks.step / 2),
            )
            return SpeakerDiarizationMixin.speaker_count(windows, frames, warm_up=warm_up)

        def _segment_windows(self, file: Any, starts: np.ndarray, duration: float) -> np.ndarray:
            """The segmentation's binary speaker activity of the windows at ``starts``
            (seconds), zero-padded past the end as pyannote pads its last window."""
            waveforms = [
                self._audio.crop(file, Segment(start, start + duration), mode="pad")[0]
                for start in starts
            ]
            batch_size = self._segmentation.batch_size
            outputs = [
                self._segmentation.infer(torch.stack(waveforms[first : first + batch_size]))
                for first in range(0, len(waveforms), batch_size)
            ]
            return np.concatenate(outputs, axis=0)

        def get_embeddings(
            self,
            file: Any,
            binary_segmentations: Any,
            exclude_overlap: bool = False,
            hook: Any = None,
        ) -> np.ndarray:
            if self.embedding_span == "window" or self.training:
                return super().get_embeddings(file, binary_segmentations, exclude_overlap, hook)
            window = binary_segmentations.sliding_window
            num_chunks, num_frames, num_speakers = binary_segmentations.data.shape
            frames_per_s = num_frames / window.duration
            # pyannote's minimum: fewer samples than CAM++ can take give no embedding
            min_samples = self._embedding.min_num_samples
            masks = embedding_masks(
                binary_segmentations.data,
                window.duration,
                window.step,
                exclude_overlap=exclude_overlap,
                min_own_frames=int(np.ceil(self.min_own_s * frames_per_s)),
                min_frames=int(np.ceil(min_samples / self._embedding.sample_rate * frames_per_s)),
            )
            model = self._embedding.model_
            embeddings = np.full((num_chunks, num_speakers, model.dimension), np.nan)
            if hook is not None:
                hook("embeddings", None, total=num_chunks, completed=0)
            for index, (chunk, _) in enumerate(binary_segmentations):
                speaking = masks[index].sum(axis=0) > 0
                if speaking.any():
                    waveform, _ = self._audio.crop(file, chunk, mode="pad")
                    chunk_masks = torch.from_numpy(np.ascontiguousarray(masks[index].T[speaking]))
                    with torch.inference_mode():
                        rows = model.embed_masked(waveform.to(self._embedding.device), chunk_masks)
                    embeddings[index, speaking] = rows.cpu().numpy()
                if hook is not None:
                    hook("embeddings", None, total=num_chunks, completed=index + 1)
            return embeddings

    return CallqaSpeakerDiarization
