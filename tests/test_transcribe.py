"""Recognition on real recordings, scored against their references, and its guards."""

from __future__ import annotations

import re
from itertools import pairwise

import jiwer
import pytest

from core.textnorm import collapse_repeats, is_silence_hallucination
from core.transcript import Word
from pipeline.audio import decode
from pipeline.transcribe import TranscribeOptions, transcribe_channel
from tests.conftest import manifest, real


def _chars(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


def _text(ct) -> str:
    return " ".join(s.text for s in ct.segments)


def test_mandarin_character_error_rate(whisper):
    # Measured 2026-12-07, Whisper base float32, beam 5, VAD threshold 0.3, zh, OpenCC to
    # Simplified: 0.126 over the 8 Mandarin clips under AVX and AVX2 alike (int8: 0.119-0.152
    # by CPU and instruction set; greedy int8 at the old VAD threshold: 0.185).
    # Issue 9 asks for <= 0.15.
    rows = [r for r in manifest() if r["language"] == "zh" and r["kind"] == "transcript"]
    assert len(rows) == 8
    refs, hyps = [], []
    for row in rows:
        channel = transcribe_channel(decode(real(row["file"])).mono(), whisper, TranscribeOptions())
        refs.append(_chars(row["reference"]))
        hyps.append(_chars(_text(channel)))
    assert jiwer.cer(refs, hyps) <= 0.15


def test_the_product_runs_the_recogniser_measured_here():
    from core.config import Settings
    from models.whisper import WhisperConfig
    from pipeline.configured import whisper_config

    product = whisper_config(Settings())
    assert (product.model, product.compute_type) == ("base", WhisperConfig().compute_type)
    assert WhisperConfig().compute_type == "float32"


def test_output_is_simplified_by_default_and_traditional_on_request(whisper):
    samples = decode(real("PaddleSpeech/zh.wav")).mono()
    simplified = _text(transcribe_channel(samples, whisper, TranscribeOptions()))
    traditional = _text(
        transcribe_channel(samples, whisper, TranscribeOptions(output_script="traditional"))
    )
    assert "认为" in simplified and "体健康" in simplified
    assert "認為" in traditional and "體健康" in traditional


@pytest.mark.parametrize(
    "name",
    [
        "faster-whisper/jfk.flac",
        "wenet/librispeech-1995-1837-0001.wav",
        "joinly/OSR_us_000_0034_8k.wav",
    ],
)
def test_english_word_error_rate(whisper, name):
    # Measured 0.0 WER on all three (jfk 44.1 kHz FLAC, LibriSpeech, 8 kHz telephone-rate).
    (row,) = [r for r in manifest() if r["file"] == name]
    channel = transcribe_channel(
        decode(real(name)).mono(), whisper, TranscribeOptions(language="en")
    )
    assert jiwer.wer(_words(row["reference"]), _words(_text(channel))) <= 0.05


def test_language_auto_detects_each(whisper):
    zh = transcribe_channel(
        decode(real("PaddleSpeech/zh.wav")).mono(), whisper, TranscribeOptions(language="auto")
    )
    en = transcribe_channel(
        decode(real("faster-whisper/jfk.flac")).mono(), whisper, TranscribeOptions(language="auto")
    )
    assert (zh.language, en.language) == ("zh", "en")


def test_hotwords_reach_the_recogniser(whisper):
    samples = decode(real("faster-whisper/hotwords.mp3")).mono()
    channel = transcribe_channel(
        samples, whisper, TranscribeOptions(language="en", hotwords=("ComfyUI",))
    )
    assert "ComfyUI" in _text(channel)


def test_word_timestamps_lie_inside_their_segment(whisper):
    channel = transcribe_channel(
        decode(real("FunASR/asr_example.wav")).mono(), whisper, TranscribeOptions()
    )
    for segment in channel.segments:
        assert segment.words
        assert segment.text == "".join(w.text for w in segment.words).strip()
        for word in segment.words:
            assert segment.start <= word.start <= word.end <= segment.end
            assert 0.0 <= word.p <= 1.0


def test_repetition_loop_is_cut():
    looped = [
        Word(start=i * 0.2, end=i * 0.2 + 0.2, text=t, p=0.5)
        for i, t in enumerate(["您好", "请问"] + ["好的"] * 12 + ["再见"])
    ]
    kept = collapse_repeats(looped, key=lambda w: w.text, max_repeats=4)
    assert [w.text for w in kept] == ["您好", "请问", "好的", "再见"]
    phrase = list("我要挂失我要挂失我要挂失我要挂失我要挂失我要挂失")
    assert "".join(collapse_repeats(phrase, key=str, max_repeats=4)) == "我要挂失"


def test_ordinary_repetition_is_kept():
    said = list("好的好的，对对对，谢谢谢谢")
    assert "".join(collapse_repeats(said, key=str, max_repeats=4)) == "好的好的，对对对，谢谢谢谢"


@pytest.mark.parametrize(
    "text",
    [
        "字幕由Amara.org社区提供",
        "請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目",
        "Thank you for watching!",
    ],
)
def test_silence_hallucinations_are_recognised(text):
    assert is_silence_hallucination(text)


@pytest.mark.parametrize("text", ["谢谢您的来电，请问还有其他问题吗", "谢谢", "好的，谢谢"])
def test_real_speech_is_not_a_hallucination(text):
    assert not is_silence_hallucination(text)


def test_long_channels_are_cut_into_windows_between_sounds():
    import numpy as np

    from pipeline.transcribe import VoicedFrames

    rate = 16000
    t = np.arange(10 * rate) / rate
    signal = 0.3 * np.sin(2 * np.pi * 300 * t)
    gaps = [(3.5, 3.7), (7.2, 7.4)]
    for lo, hi in gaps:
        signal[int(lo * rate) : int(hi * rate)] = 0.0
    windows = VoicedFrames(signal.astype(np.float32)).windows(window_s=4.0, search_s=1.0)
    assert windows[0][0] == 0 and windows[-1][1] == len(signal)
    assert all(a[1] == b[0] for a, b in pairwise(windows))  # no hole
    cuts = [start / rate for start, _ in windows[1:]]
    assert len(cuts) == len(gaps)
    for cut, (lo, hi) in zip(cuts, gaps, strict=True):
        assert lo <= cut <= hi  # in the silence, not in the sound


def test_int16_channels_are_recognised_as_their_float_samples(whisper):
    audio = decode(real("faster-whisper/stereo_diarization.wav"))
    options = TranscribeOptions(language="en", beam_size=1)
    from_int16 = transcribe_channel(audio.pcm[0], whisper, options)
    from_float = transcribe_channel(audio.channel(0), whisper, options)
    assert from_int16.segments and from_int16.segments == from_float.segments


def test_a_long_channel_is_recognised_window_by_window_on_the_channels_clock(whisper, monkeypatch):
    import numpy as np

    import pipeline.transcribe

    # the eight real Mandarin clips one after another (~45 s), half a second apart
    rows = [r for r in manifest() if r["language"] == "zh" and r["kind"] == "transcript"]
    pause = np.zeros(8000, dtype=np.float32)
    samples = np.concatenate([x for r in rows for x in (decode(real(r["file"])).mono(), pause)])
    options = TranscribeOptions(beam_size=1)
    monkeypatch.setattr(pipeline.transcribe, "WINDOW_S", 15.0)
    monkeypatch.setattr(pipeline.transcribe, "CUT_SEARCH_S", 5.0)
    windowed = transcribe_channel(samples, whisper, options)
    windows = pipeline.transcribe.VoicedFrames(samples).windows(15.0, 5.0)
    assert len(windows) >= 3
    # each window recognised on its own, its times moved by where it starts
    expected = []
    for lo, hi in windows:
        alone = transcribe_channel(samples[lo:hi], whisper, options)
        expected += [(s.text, s.start + lo / 16000, s.end + lo / 16000) for s in alone.segments]
    got = [(s.text, s.start, s.end) for s in windowed.segments]
    assert [text for text, _, _ in got] == [text for text, _, _ in expected]
    for (_, start, end), (_, want_start, want_end) in zip(got, expected, strict=True):
        # edges are pinned on the whole channel's voiced frames, not the window's: they
        # may move by up to the search span, never more
        span = pipeline.transcribe.VoicedFrames.SEARCH_S
        assert start == pytest.approx(want_start, abs=span)
        assert end == pytest.approx(want_end, abs=span)
    assert windowed.segments[-1].start > 2 * 15.0 - 5.0  # the last window is on the clock


def test_batched_recognition_is_a_setting_and_recognises_alike(whisper):
    from faster_whisper import BatchedInferencePipeline

    from core.config import load_settings
    from pipeline.configured import call_options
    from pipeline.transcribe import _recogniser

    # off by default: on CPU it measured slower (bench/bench_batched.py)
    assert call_options(load_settings(None)).transcribe.batch_size == 0
    options = call_options(load_settings(None, whisper_batch_size=8)).transcribe
    assert options.batch_size == 8
    recognise = _recogniser(whisper, options)
    assert recognise.func.__self__.__class__ is BatchedInferencePipeline
    assert recognise.keywords == {"batch_size": 8}
    row = next(r for r in manifest() if r["file"] == "PaddleSpeech/zh.wav")
    channel = transcribe_channel(decode(real(row["file"])).mono(), whisper, options)
    assert jiwer.cer(_chars(row["reference"]), _chars(_text(channel))) <= 0.25
    assert all(s.words for s in channel.segments)  # word timings, as unbatched gives them
