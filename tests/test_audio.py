"""Audio intake: every accepted format decodes; every bad input gets its own typed error
that names the input and the problem."""

from __future__ import annotations

import os

import numpy as np
import pytest

from core.errors import (
    AudioError,
    AudioNotFoundError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    NotAudioError,
    UnsupportedChannelsError,
)
from pipeline.audio import SAMPLE_RATE, decode
from pipeline.audio_writing import write_audio
from tests.conftest import real

FORMATS = [".wav", ".flac", ".mp3", ".ogg", ".m4a"]


def tone(seconds: float, rate: int, channels: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * (220 * (c + 1)) * t) for c in range(channels)])


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (44100, 2), (48000, 1), (22050, 2)])
def test_every_format_rate_and_layout_decodes(tmp_path, suffix, rate, channels):
    path = write_audio(tmp_path / f"call{suffix}", tone(2.0, rate, channels), rate)
    audio = decode(path)
    assert audio.channels == channels
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.samples.dtype == np.float32
    # AAC adds an encoder delay and pads to whole 1024-sample frames (our writer
    # records no edit list to hide them): allow two frames more there.
    slack = 0.1 + (2048 / rate if suffix == ".m4a" else 0.0)
    assert audio.duration == pytest.approx(2.0, abs=slack)
    # the channels stay apart: channel 1 carries the higher tone
    if channels == 2:
        spectrum = [np.abs(np.fft.rfft(audio.channel(c))).argmax() for c in (0, 1)]
        assert spectrum[1] == pytest.approx(2 * spectrum[0], rel=0.05)


def test_decodes_from_bytes_with_a_name(tmp_path):
    path = write_audio(tmp_path / "x.flac", tone(1.0, 16000, 2), 16000)
    audio = decode(path.read_bytes(), name="s3://calls/x.flac")
    assert audio.source == "s3://calls/x.flac"
    assert audio.channels == 2


def test_real_recordings_decode_with_their_facts():
    jfk = decode(real("faster-whisper/jfk.flac"))
    assert (jfk.original_sample_rate, jfk.channels, jfk.codec) == (44100, 2, "flac")
    assert jfk.duration == pytest.approx(11.0, abs=0.05)
    narrow = decode(real("joinly/OSR_us_000_0034_8k.wav"))
    assert narrow.original_sample_rate == 8000
    assert narrow.duration == pytest.approx(35.548, abs=0.05)
    mp3 = decode(real("faster-whisper/hotwords.mp3"))
    assert mp3.codec.startswith("mp3")


def _assert_names(err: AudioError, name: str) -> None:
    assert name in str(err)
    assert err.source.endswith(name)
    assert err.problem


def test_empty_file_and_empty_bytes(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(EmptyAudioError) as info:
        decode(empty)
    _assert_names(info.value, "empty.wav")
    assert info.value.reason == "empty"
    with pytest.raises(EmptyAudioError):
        decode(b"", name="upload.wav")


def test_zero_samples_is_empty(tmp_path):
    import wave

    path = tmp_path / "nothing.wav"
    with wave.open(str(path), "wb") as w:  # a valid header, no frames
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    with pytest.raises(EmptyAudioError):
        decode(path)


@pytest.mark.parametrize(
    "content", [b"this is a meeting note, not a recording\n" * 20, os.urandom(5000)]
)
def test_not_audio(tmp_path, content):
    path = tmp_path / "notes.mp3"
    path.write_bytes(content)
    with pytest.raises(NotAudioError) as info:
        decode(path)
    _assert_names(info.value, "notes.mp3")
    assert "expected WAV, FLAC, MP3, OGG/Opus or M4A" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(AudioNotFoundError) as info:
        decode(tmp_path / "gone.wav")
    _assert_names(info.value, "gone.wav")


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3"])
def test_truncated_recording_is_corrupt(tmp_path, suffix):
    whole = write_audio(tmp_path / f"whole{suffix}", tone(4.0, 16000, 1), 16000).read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CorruptAudioError) as info:
        decode(cut)
    _assert_names(info.value, f"cut{suffix}")


@pytest.mark.parametrize("suffix", [".flac", ".mp3", ".ogg"])
def test_garbled_stream_is_corrupt(tmp_path, suffix):
    whole = write_audio(tmp_path / f"whole{suffix}", tone(4.0, 16000, 1), 16000).read_bytes()
    third = len(whole) // 3
    rng = np.random.default_rng(7)
    garbled = whole[:third] + rng.bytes(third) + whole[2 * third :]
    with pytest.raises(CorruptAudioError):
        decode(garbled, name=f"garbled{suffix}")


def test_more_than_two_channels(tmp_path):
    path = write_audio(tmp_path / "conference.wav", tone(1.0, 16000, 3), 16000)
    with pytest.raises(UnsupportedChannelsError) as info:
        decode(path)
    _assert_names(info.value, "conference.wav")
    assert "3 channels" in str(info.value)


@pytest.mark.parametrize("suffix", [".wav", ".ogg"])
def test_longer_than_the_limit(tmp_path, suffix):
    path = write_audio(tmp_path / f"long{suffix}", tone(3.0, 16000, 1), 16000)
    with pytest.raises(AudioTooLongError) as info:
        decode(path, max_duration=2.0)
    _assert_names(info.value, f"long{suffix}")
    assert decode(path, max_duration=10.0).duration == pytest.approx(3.0, abs=0.05)


def test_default_limit_is_four_hours():
    from pipeline.audio import DEFAULT_MAX_DURATION_S

    assert DEFAULT_MAX_DURATION_S == 4 * 3600


def _float_decode(path, channels: int) -> np.ndarray:
    """The decoder as it was before it streamed: PyAV resampling to float32 blocks, joined
    at the end. The reference the streamed int16 decoder must match."""
    import av

    layout = "stereo" if channels == 2 else "mono"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    blocks = []
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            frame.pts = None
            blocks += [out.to_ndarray() for out in resampler.resample(frame)]
        blocks += [out.to_ndarray() for out in resampler.resample(None)]
    return np.concatenate(blocks, axis=1).astype(np.float32).reshape(channels, -1)


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3"])
@pytest.mark.parametrize(("rate", "channels"), [(16000, 2), (44100, 2), (8000, 1)])
def test_streamed_int16_decoding_gives_the_samples_the_float_decoder_gave(
    tmp_path, suffix, rate, channels
):
    noise = np.random.default_rng(7).standard_normal((channels, 3 * rate))
    path = write_audio(tmp_path / f"call{suffix}", tone(3.0, rate, channels) + 0.05 * noise, rate)
    audio = decode(path)
    before = _float_decode(path, channels)
    assert audio.samples.shape == before.shape
    # the same samples, rounded to the nearest of int16's steps
    np.testing.assert_allclose(audio.samples, before, rtol=0, atol=0.5001 / 32768)


def test_decoded_channels_are_separate_int16_buffers():
    audio = decode(real("faster-whisper/stereo_diarization.wav"))
    assert audio.pcm is not None and len(audio.pcm) == 2
    left, right = audio.pcm
    assert left.dtype == right.dtype == np.int16
    assert left.ndim == 1 and len(left) == len(right) == audio.frames
    assert not np.shares_memory(left, right)  # one channel can go without the other
    # float32 is made on demand, one channel at a time, from those buffers
    assert audio.channel(1).dtype == np.float32
    np.testing.assert_array_equal(audio.channel(1), right.astype(np.float32) / 32768)
    assert audio.rms(0) == pytest.approx(float(np.sqrt(np.mean(audio.channel(0) ** 2.0))))


def test_buffers_grow_when_the_stream_outruns_its_declared_length():
    from pipeline.audio import _ChannelBuffers

    buffers = _ChannelBuffers(2, declared_s=0.001)  # a header promising almost nothing
    blocks = [np.full((2, 40_000), i, dtype=np.int16) for i in range(5)]
    for block in blocks:
        buffers.append(block)
    left, right = buffers.trimmed()
    assert left.dtype == np.int16
    np.testing.assert_array_equal(left, np.concatenate([b[0] for b in blocks]))
    np.testing.assert_array_equal(right, np.concatenate([b[1] for b in blocks]))
