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

Segmentation, clustering and reconstruction are pyannote's, unchanged.
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
    from pyannote.audio.pipelines import SpeakerDiarization

    class CallqaSpeakerDiarization(SpeakerDiarization):
        def __init__(
            self,
            *,
            embedding_span: EmbeddingSpan,
            min_own_s: float,
            short_call_s: float,
            short_call_step: float,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            self.embedding_span = embedding_span
            self.min_own_s = min_own_s
            self.short_call_s = short_call_s
            self.short_call_step = short_call_step

        def get_segmentations(self, file: Any, hook: Any = None) -> Any:
            # The step is chosen per call; runs never overlap (DiarizationModel.session).
            step = step_for_duration(
                self._audio.get_duration(file),
                self.segmentation_step,
                self.short_call_s,
                self.short_call_step,
            )
            self._segmentation.step = step * self._segmentation.duration
            return super().get_segmentations(file, hook=hook)

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
