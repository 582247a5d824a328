"""Audio output: recordings written by file suffix (redacted copies, synthetic calls).

``write_audio`` takes a whole array; ``write_audio_blocks`` takes the recording a stretch at
a time, so that a 4-hour call is encoded without a float32 copy of all of it (an hour of
16 kHz stereo is 460 MB as float32; clipping and framing it made two more copies).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.audio import SAMPLE_RATE

__all__ = ["BLOCK_FRAMES", "WRITABLE_SUFFIXES", "write_audio", "write_audio_blocks"]

# Container and codec per file suffix, for writing recordings (redacted copies, samples).
_WRITERS: dict[str, tuple[str, str]] = {
    ".wav": ("wav", "pcm_s16le"),
    ".flac": ("flac", "flac"),
    ".mp3": ("mp3", "libmp3lame"),
    ".ogg": ("ogg", "libopus"),
    ".opus": ("ogg", "libopus"),
    ".m4a": ("mp4", "aac"),
}
WRITABLE_SUFFIXES = frozenset(_WRITERS)
"""The suffixes ``write_audio`` can encode: check an output name before long work."""

BLOCK_FRAMES = 30 * SAMPLE_RATE
"""Samples per channel in one block of a long recording written block by block (30 s:
about 4 MB of float32 for a stereo block, and few enough blocks that framing costs nothing)."""


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Encode ``samples`` ((channels, n) or (n,), float32 in [-1, 1]) by the file's suffix."""
    data = np.atleast_2d(samples)
    return write_audio_blocks(path, [data], data.shape[0], sample_rate)


def write_audio_blocks(
    path: str | Path, blocks: Iterable[np.ndarray], channels: int, sample_rate: int = SAMPLE_RATE
) -> Path:
    """Encode consecutive blocks (each (channels, n), float32 in [-1, 1]) as one recording by
    the file's suffix. Only one block is held at a time; a block may be changed in place."""
    import av

    path = Path(path)
    try:
        container_format, codec = _WRITERS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path}: cannot write {path.suffix!r}; use one of {sorted(WRITABLE_SUFFIXES)}"
        ) from None
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    rate = (
        48_000
        if codec == "libopus" and sample_rate not in (8000, 12000, 16000, 24000, 48000)
        else sample_rate
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", format=container_format) as out:
        stream: Any = out.add_stream(codec, rate=rate)
        stream.layout = layout
        if codec == "libopus":
            # Speech at 24 kbit/s a channel, lowest encoder effort: libopus' defaults (maximum
            # effort, ~100 kbit/s) took 0.25 s a minute of call, this 0.10 s (measured with
            # bench/bench_flows.py's calls), at half the bytes; "voip" mode was slower still.
            stream.bit_rate = 24_000 * channels
            stream.options = {"compression_level": "0"}
        written = 0
        for block in blocks:
            data = np.atleast_2d(block)
            if data.shape[0] != channels:
                raise ValueError(f"{path}: a block of {data.shape[0]} channels, not {channels}")
            if not data.shape[1]:
                continue
            data = np.ascontiguousarray(np.clip(data, -1.0, 1.0, dtype=np.float32))
            frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
            frame.sample_rate = sample_rate
            # timed frames let the muxer record the encoder delay and keep blocks contiguous
            frame.pts = written
            written += data.shape[1]
            # PyAV converts each frame to the encoder's sample format, rate and frame size.
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
