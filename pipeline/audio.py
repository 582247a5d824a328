"""Audio intake: any recording (path or bytes) in, 16 kHz channels out.

PyAV (which faster-whisper already depends on) opens every container we accept:
WAV, FLAC, MP3, OGG/Opus, M4A/AAC, at any sample rate, mono or stereo. Channels are
kept apart, because contact-centre recordings put the agent and the customer on
different channels and that is worth more than any diarization model.

Decoding streams: each resampled block is written straight into one int16 buffer per
channel, sized from the length the container declares. An hour of stereo is 230 MB held,
where float32 blocks joined at the end held 460 MB and briefly twice that; float32 is made
one channel at a time, when a stage asks for it (bench/bench_transcribe.py --hour).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.errors import (
    AudioNotFoundError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    NotAudioError,
    UnsupportedChannelsError,
)

SAMPLE_RATE = 16_000
DEFAULT_MAX_DURATION_S = 4 * 3600.0
ACCEPTED = "WAV, FLAC, MP3, OGG/Opus or M4A"
# A container that promises this much more audio than its stream delivers is truncated.
_TRUNCATION_TOLERANCE_S = 0.5
PCM_SCALE = 1.0 / 32768  # int16 full scale -> float [-1, 1)
_BLOCK = 1 << 20  # samples per block when a whole channel is only summarised


class Audio:
    """A recording at ``SAMPLE_RATE``: ``channels`` channels of ``frames`` samples each.

    Built either from float samples, shape (channels, n) (synthetic calls, redacted
    copies), or by ``decode`` from int16 buffers, one per channel (``pcm``). ``samples``
    and ``channel(i)`` give float32 in [-1, 1] either way; for decoded audio they are made
    on each call, so a stage that needs one channel converts only that one.
    """

    def __init__(
        self,
        source: str,
        samples: np.ndarray | None = None,
        original_sample_rate: int = SAMPLE_RATE,
        codec: str = "unknown",
        container: str = "unknown",
        sample_rate: int = SAMPLE_RATE,
        *,
        pcm: Sequence[np.ndarray] | None = None,
    ) -> None:
        if (samples is None) == (pcm is None):
            raise ValueError(f"{source}: give Audio either float samples or int16 pcm")
        self.source = source
        self.original_sample_rate = original_sample_rate
        self.codec = codec
        self.container = container
        self.sample_rate = sample_rate
        self._float = None if samples is None else np.atleast_2d(samples)
        self._pcm = None if pcm is None else tuple(pcm)
        if self._pcm is not None and len({len(ch) for ch in self._pcm}) > 1:
            raise ValueError(f"{source}: channels of different lengths")

    @property
    def channels(self) -> int:
        return len(self._pcm) if self._pcm is not None else int(self._float.shape[0])  # type: ignore[union-attr]

    @property
    def frames(self) -> int:
        return len(self._pcm[0]) if self._pcm is not None else int(self._float.shape[1])  # type: ignore[union-attr]

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    @property
    def pcm(self) -> tuple[np.ndarray, ...] | None:
        """The decoded int16 buffers, one per channel; None for audio built from floats."""
        return self._pcm

    @property
    def samples(self) -> np.ndarray:
        """All channels as float32, shape (channels, n): a new array for decoded audio."""
        if self._float is not None:
            return self._float
        return np.stack([self.channel(c) for c in range(self.channels)])

    def channel(self, index: int) -> np.ndarray:
        """One channel as float32 (a view of float audio; converted from int16 otherwise)."""
        if self._float is not None:
            return self._float[index]
        return np.multiply(self._pcm[index], PCM_SCALE, dtype=np.float32)  # type: ignore[index]

    def block(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` of every channel as float32, shape (channels, n): a new
        array the caller may change, so a long call is worked on one stretch at a time."""
        if self._float is not None:
            return np.array(self._float[:, start:stop], dtype=np.float32, copy=True)
        return np.stack(
            [np.multiply(ch[start:stop], PCM_SCALE, dtype=np.float32) for ch in self._pcm]  # type: ignore[union-attr]
        )

    def recognition_input(self, index: int) -> np.ndarray:
        """A channel as recognition takes it (``pipeline.transcribe`` reads int16 or float):
        the int16 buffer itself for decoded audio, so that no float copy of a whole
        channel is made; recognition converts one window at a time."""
        return self._pcm[index] if self._pcm is not None else self._float[index]  # type: ignore[index]

    def decimated(self, index: int, step: int) -> np.ndarray:
        """Every ``step``-th sample of a channel, as float32 (a cheap look at a long call)."""
        if self._float is not None:
            return self._float[index, ::step]
        return np.multiply(self._pcm[index][::step], PCM_SCALE, dtype=np.float32)  # type: ignore[index]

    def mono(self) -> np.ndarray:
        """The channels averaged: what a mono recording of the call would hold."""
        if self.channels == 1:
            return self.channel(0)
        if self._float is not None:
            return self._float.mean(axis=0).astype(np.float32)
        left, right = self._pcm  # type: ignore[misc]
        mixed = np.add(left, right, dtype=np.float32)
        mixed *= np.float32(PCM_SCALE / 2)
        return mixed

    def rms(self, index: int) -> float:
        """A channel's root-mean-square level (float scale), summed block by block so that
        an hour-long channel needs no float64 copy of itself."""
        data = self._float[index] if self._float is not None else self._pcm[index]  # type: ignore[index]
        scale = 1.0 if self._float is not None else PCM_SCALE
        total = 0.0
        for at in range(0, len(data), _BLOCK):
            block = data[at : at + _BLOCK].astype(np.float64)
            total += float(np.dot(block, block))
        return float(np.sqrt(total / max(len(data), 1))) * scale

    def with_samples(self, samples: np.ndarray) -> Audio:
        """The same recording's facts with other (float) samples: a redacted copy."""
        return Audio(
            self.source,
            samples,
            self.original_sample_rate,
            self.codec,
            self.container,
            self.sample_rate,
        )

    def facts(self) -> dict[str, object]:
        return {
            "source": self.source,
            "duration": round(self.duration, 3),
            "channels": self.channels,
            "sample_rate": self.original_sample_rate,
            "codec": self.codec,
            "container": self.container,
        }


def decode(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    max_duration: float = DEFAULT_MAX_DURATION_S,
) -> Audio:
    """Decode a recording from a path or from bytes.

    ``name`` labels bytes input in errors (defaults to ``<bytes>``). Raises a subclass
    of :class:`core.errors.AudioError` naming the input and the problem.
    """
    import av  # heavy: imported on first use

    label, opener = _opened_input(source, name)
    try:
        container = av.open(opener, mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise NotAudioError(
            label, f"not a recording we can open ({_why(exc)}); expected {ACCEPTED}"
        ) from exc

    with container:
        if not container.streams.audio:
            raise NotAudioError(
                label, f"not a recording: the file holds no audio stream; expected {ACCEPTED}"
            )
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels or 0
        if channels not in (1, 2):
            raise UnsupportedChannelsError(
                label, f"{channels} channels; callqa accepts mono or stereo (agent/customer)"
            )
        declared = _declared_duration(container, stream)
        if declared is not None and declared > max_duration:
            raise AudioTooLongError(
                label,
                f"{declared / 60:.1f} min long; the limit is {max_duration / 60:.1f} min"
                " (raise max_duration_s in the configuration for longer calls)",
            )
        pcm = _decode_stream(container, stream, channels, label, max_duration, declared)
        codec = stream.codec_context.name or "unknown"
        container_name = container.format.name or "unknown"
        original_rate = stream.codec_context.sample_rate or stream.rate or 0

    if container_name == "wav":
        declared = _wav_declared_duration(source) or declared
    _require_whole(label, len(pcm[0]) / SAMPLE_RATE, declared)
    return Audio(
        source=label,
        pcm=pcm,
        original_sample_rate=int(original_rate),
        codec=codec,
        container=container_name,
    )


def _require_whole(label: str, decoded: float, declared: float | None) -> None:
    """Refuses no samples, or a stream ending well before its declared length (truncated)."""
    if decoded == 0:
        raise EmptyAudioError(label, "the recording holds no audio samples")
    if declared is not None and decoded + _TRUNCATION_TOLERANCE_S < declared * 0.98:
        raise CorruptAudioError(
            label,
            f"the audio stream ends at {decoded:.1f} s of the {declared:.1f} s it declares"
            " (truncated or damaged file)",
        )


def _opened_input(source: str | Path | bytes, name: str | None) -> tuple[str, object]:
    """The input's label for errors and what PyAV opens; empty or missing inputs refused
    before FFmpeg sees them (its own message for those is less clear)."""
    if isinstance(source, bytes | bytearray):
        label = name or "<bytes>"
        if len(source) == 0:
            raise EmptyAudioError(label, "the recording is empty (0 bytes)")
        return label, io.BytesIO(source)
    path = Path(source)
    label = name or str(path)
    if not path.is_file():
        raise AudioNotFoundError(label, "no such file")
    if path.stat().st_size == 0:
        raise EmptyAudioError(label, "the recording is empty (0 bytes)")
    return label, str(path)


def _why(exc: Exception) -> str:
    """FFmpeg's reason without the file name it repeats (the caller names the input)."""
    return str(getattr(exc, "strerror", None) or exc).rstrip(".").lower()


def _wav_declared_duration(source: str | Path | bytes | bytearray) -> float | None:
    """What a WAV header promises. FFmpeg estimates a truncated WAV's length from its size,
    so a cut-off recording would otherwise pass as a shorter, whole one."""
    if isinstance(source, bytes | bytearray):
        head, size = bytes(source[:4096]), len(source)
    else:
        with open(source, "rb") as fh:
            head = fh.read(4096)
        size = Path(source).stat().st_size
    fmt_at, data_at = head.find(b"fmt "), head.find(b"data")
    if head[:4] != b"RIFF" or fmt_at < 0 or data_at < 0:
        return None
    byte_rate = int.from_bytes(head[fmt_at + 16 : fmt_at + 20], "little")
    data_size = int.from_bytes(head[data_at + 4 : data_at + 8], "little")
    if byte_rate <= 0 or data_size in (0, 0xFFFFFFFF):  # streamed WAVs leave the size unset
        return None
    if data_at + 8 + data_size <= size:
        return None
    return data_size / byte_rate


def _declared_duration(container: object, stream: object) -> float | None:
    duration = getattr(stream, "duration", None)
    time_base = getattr(stream, "time_base", None)
    if duration and time_base:
        return float(duration * time_base)
    container_duration = getattr(container, "duration", None)
    if container_duration:
        return float(container_duration) / 1_000_000  # AV_TIME_BASE
    return None


# The most an encoder pads past the declared length, at 16 kHz: two AAC frames
_MAX_FRAME_PADDING = 2048


def _decode_stream(
    container: object,
    stream: object,
    channels: int,
    label: str,
    max_duration: float,
    declared: float | None,
) -> list[np.ndarray]:
    """The stream resampled to 16 kHz int16, written block by block into one buffer per
    channel (sized from the declared length, grown if the stream runs on)."""
    import av

    layout = "stereo" if channels == 2 else "mono"
    resampler = av.AudioResampler(format="s16p", layout=layout, rate=SAMPLE_RATE)
    limit = int(max_duration * SAMPLE_RATE)
    buffers = _ChannelBuffers(channels, declared)
    try:
        for frame in container.decode(stream):  # type: ignore[attr-defined]
            frame.pts = None  # let the resampler keep its own clock across gaps
            for out in resampler.resample(frame):
                buffers.append(out.to_ndarray())
            if buffers.filled > limit:
                raise AudioTooLongError(
                    label,
                    f"longer than the limit of {max_duration / 60:.1f} min"
                    " (raise max_duration_s in the configuration for longer calls)",
                )
        for out in resampler.resample(None):
            buffers.append(out.to_ndarray())
    except av.error.FFmpegError as exc:
        raise CorruptAudioError(label, f"the audio stream is damaged ({_why(exc)})") from exc
    if declared is not None:
        # an encoder pads its last frame (AAC: 1024 samples) past the length the container
        # declares; a decoder that keeps the padding (PyAV 18's AAC) lengthens the call
        buffers.drop_padding(round(declared * SAMPLE_RATE), at_most=_MAX_FRAME_PADDING)
    return buffers.trimmed()


class _ChannelBuffers:
    """One growing int16 buffer per channel: blocks are copied in as they come, so the
    decoded call exists once, at two bytes a sample."""

    def __init__(self, channels: int, declared_s: float | None) -> None:
        # the declared length (a little over: rounding, resampler tail), else a minute
        expected = int((declared_s or 60.0) * SAMPLE_RATE * 1.01) + SAMPLE_RATE
        self.channels = channels
        self.filled = 0
        self.buffers = [np.empty(expected, dtype=np.int16) for _ in range(channels)]

    def append(self, block: np.ndarray) -> None:
        if block.shape[0] != self.channels:  # a resampler may hand back packed mono
            block = block.reshape(self.channels, -1)
        n = block.shape[1]
        if self.filled + n > len(self.buffers[0]):
            size = max(2 * len(self.buffers[0]), self.filled + n)
            for c, old in enumerate(self.buffers):  # one channel at a time
                grown = np.empty(size, dtype=np.int16)
                grown[: self.filled] = old[: self.filled]
                self.buffers[c] = grown
        for c in range(self.channels):
            self.buffers[c][self.filled : self.filled + n] = block[c]
        self.filled += n

    def drop_padding(self, declared: int, at_most: int) -> None:
        """Forget the samples past the declared length when there are no more of them
        than an encoder's padding of its last frame (more is a wrong declaration)."""
        if declared < self.filled <= declared + at_most:
            self.filled = declared

    def trimmed(self) -> list[np.ndarray]:
        """The filled part of each buffer; copied only when much was left unused."""
        out = []
        for c in range(self.channels):
            buffer, self.buffers[c] = self.buffers[c], np.empty(0, dtype=np.int16)
            used = buffer[: self.filled]
            out.append(used.copy() if self.filled < 0.9 * len(buffer) else used)
        return out
