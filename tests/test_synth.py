"""synth/: the right voice on the right channel at the right time, and files that decode.

The checks measure the audio with their own simple detectors (frame energy, an
autocorrelation pitch estimate) rather than trusting synth's bookkeeping.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, ModelNotFoundError
from pipeline.audio import decode
from synth import (
    DESCRIPTIONS,
    SCRIPTS,
    Line,
    RefTurn,
    SyntheticCall,
    build_call,
    estimate_seconds,
    long_call,
    speak,
    write_call,
)

RATE = 16_000
FRAME = RATE // 100  # 10 ms
BOUNDARY_TOLERANCE_S = 0.1

LINES = [
    Line("agent", "您好，云川银行，工号1024，很高兴为您服务。"),
    Line("customer", "你好，我想问一下信用卡还款的事。", gap=0.6),
    Line("agent", "好的，您请讲。", gap=0.5),
]
# The customer cuts in 0.5 s before the agent has finished.
OVERLAP_LINES = [LINES[0], Line("customer", "喂，你好，我想问一下", gap=-0.5)]


@pytest.fixture(scope="module")
def call() -> SyntheticCall:
    return build_call("test-stereo", LINES, agent_channel=1, metadata={"agent_id": "1024"})


@pytest.fixture(scope="module")
def overlap_call() -> SyntheticCall:
    return build_call("test-overlap", OVERLAP_LINES)


# --- measuring helpers -------------------------------------------------------------


def frame_rms(x: np.ndarray) -> np.ndarray:
    n = len(x) // FRAME
    return np.sqrt(np.mean(np.square(x[: n * FRAME].reshape(n, FRAME), dtype=np.float64), axis=1))


def voiced_frames(channel: np.ndarray) -> np.ndarray:
    """Frames 6 dB above the line noise, measured in the silent first 0.5 s."""
    rms = frame_rms(channel)
    floor = float(np.median(rms[:50]))
    return rms > 2 * floor


def segment(x: np.ndarray, start: float, end: float) -> np.ndarray:
    return x[int(start * RATE) : int(end * RATE)]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def median_f0(x: np.ndarray) -> float:
    """Median pitch of the clearly periodic 40 ms frames, by normalised autocorrelation."""
    size, lo, hi = 640, RATE // 400, RATE // 70
    estimates = []
    for i in range(0, len(x) - size, size // 2):
        f = x[i : i + size] - x[i : i + size].mean()
        energy = float(np.dot(f, f))
        if energy < 1e-4:
            continue
        ac = np.correlate(f, f, mode="full")[size - 1 :] / energy
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5:
            estimates.append(RATE / lag)
    assert estimates, "no periodic frames found"
    return float(np.median(estimates))


def speech_of(c: SyntheticCall, speaker: str) -> np.ndarray:
    ch = c.samples[c.channel_of(speaker)]  # type: ignore[arg-type]
    return np.concatenate([segment(ch, t.start, t.end) for t in c.turns if t.speaker == speaker])


# --- the call --------------------------------------------------------------------------


def test_reference_follows_the_script(call: SyntheticCall) -> None:
    assert call.samples.dtype == np.float32
    assert call.samples.shape[0] == 2
    assert call.sample_rate == RATE
    assert call.agent_channel == 1
    assert [(t.speaker, t.text) for t in call.turns] == [(li.speaker, li.text) for li in LINES]
    assert call.turns[0].start == pytest.approx(0.8, abs=0.01)  # the default lead-in
    gaps = [b.start - a.end for a, b in zip(call.turns, call.turns[1:], strict=False)]
    assert gaps == pytest.approx([0.6, 0.5], abs=0.01)
    assert call.metadata == {"agent_id": "1024"}


def test_each_turn_is_on_its_own_channel(call: SyntheticCall) -> None:
    for turn in call.turns:
        own = rms(segment(call.samples[call.channel_of(turn.speaker)], turn.start, turn.end))
        other = rms(segment(call.samples[1 - call.channel_of(turn.speaker)], turn.start, turn.end))
        assert own > 0.03, turn  # speech, about -20 dBFS
        assert other < 0.01, turn  # only the line noise, about -45 dBFS
        assert 20 * np.log10(own / other) > 20, turn


def test_silence_is_line_noise_not_digital_zero(call: SyntheticCall) -> None:
    lead_in = call.samples[:, : int(0.5 * RATE)]
    assert 0.002 < rms(lead_in) < 0.01


def test_turn_boundaries_match_the_voiced_audio(call: SyntheticCall) -> None:
    for ch in (0, 1):
        voiced = voiced_frames(call.samples[ch])
        turns = [t for t in call.turns if call.channel_of(t.speaker) == ch]
        for turn in turns:
            window = voiced[int(turn.start * 100) - 30 : int(turn.end * 100) + 30]
            idx = np.flatnonzero(window) + int(turn.start * 100) - 30
            assert abs(idx[0] / 100 - turn.start) <= BOUNDARY_TOLERANCE_S, turn
            assert abs((idx[-1] + 1) / 100 - turn.end) <= BOUNDARY_TOLERANCE_S, turn
        inside = np.zeros_like(voiced)
        for turn in turns:
            lo = int((turn.start - BOUNDARY_TOLERANCE_S) * 100)
            inside[lo : int((turn.end + BOUNDARY_TOLERANCE_S) * 100)] = True
        assert not voiced[~inside].any(), f"channel {ch} has speech outside its turns"


def test_the_two_voices_differ_in_pitch(call: SyntheticCall) -> None:
    agent = median_f0(speech_of(call, "agent"))  # jm_kumo
    customer = median_f0(speech_of(call, "customer"))  # jf_nezumi
    assert agent < 160
    assert customer > 180
    assert customer > 1.5 * agent


def test_negative_gap_overlaps_in_reference_and_audio(overlap_call: SyntheticCall) -> None:
    agent, customer = overlap_call.turns
    assert customer.start == pytest.approx(agent.end - 0.5, abs=0.01)
    both = overlap_call.samples[:, int(customer.start * RATE) : int(agent.end * RATE)]
    assert rms(both[0]) > 0.02 and rms(both[1]) > 0.02  # both really talking
    transcript = overlap_call.to_transcript()
    assert all(t.overlap for t in transcript.turns)


def test_mono_mixes_both_parties(call: SyntheticCall) -> None:
    mono = build_call("test-mono", LINES, layout="mono", noise_db=None)
    clean = build_call("test-mono", LINES, noise_db=None)
    assert mono.samples.shape == (1, clean.samples.shape[1])
    assert mono.agent_channel is None
    assert mono.turns == clean.turns == call.turns
    np.testing.assert_allclose(mono.samples[0], clean.samples.sum(axis=0), atol=1e-6)
    for turn in mono.turns:
        assert rms(segment(mono.samples[0], turn.start, turn.end)) > 0.03, turn
    assert not mono.samples[:, : int(0.5 * RATE)].any()  # noise_db=None: true silence


def test_band_limit_keeps_the_telephone_band(call: SyntheticCall) -> None:
    phone = build_call("test-stereo", LINES, agent_channel=1, band_limit=True)
    spectrum = np.abs(np.fft.rfft(phone.samples[1])) ** 2
    freqs = np.fft.rfftfreq(phone.samples.shape[1], 1 / RATE)
    in_band = spectrum[(freqs > 400) & (freqs < 3300)].sum()
    assert spectrum[freqs < 150].sum() < 1e-3 * in_band
    assert spectrum[freqs > 3600].sum() < 1e-3 * in_band


def test_same_speaker_cannot_talk_over_themselves() -> None:
    with pytest.raises(ConfigError, match="same speaker"):
        build_call("bad", [LINES[0], Line("agent", "好的，您请讲。", gap=-1.0)])


# --- files ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg", "m4a"])
def test_write_call_round_trips_through_decode(
    call: SyntheticCall, tmp_path: Path, fmt: str
) -> None:
    path = write_call(call, tmp_path / "calls" / "c001", format=fmt)
    assert path == tmp_path / "calls" / f"c001.{fmt}"
    audio = decode(path)
    assert audio.channels == 2
    assert audio.duration == pytest.approx(call.duration, abs=0.05)
    n = min(audio.samples.shape[1], call.samples.shape[1])
    for ch in (0, 1):
        assert np.corrcoef(audio.samples[ch, :n], call.samples[ch, :n])[0, 1] > 0.95, ch
    sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["agent_channel"] == 1
    assert sidecar["metadata"] == {"agent_id": "1024"}
    assert [RefTurn(**t) for t in sidecar["turns"]] == [
        RefTurn(t.speaker, round(t.start, 3), round(t.end, 3), t.text) for t in call.turns
    ]


def test_write_call_rejects_unknown_format(call: SyntheticCall, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="wav"):
        write_call(call, tmp_path / "c", format="aiff")


# --- voice and scripts -----------------------------------------------------------------


def test_speak_returns_16k_mono_and_is_repeatable() -> None:
    first = speak("好的，您请讲。", "jm_kumo")
    again = speak("好的，您请讲。", "jm_kumo")
    assert first.dtype == np.float32 and first.ndim == 1
    assert 0.5 < len(first) / RATE < 3.0
    assert np.abs(first).max() <= 1.0
    np.testing.assert_array_equal(first, again)


def test_speak_rejects_unknown_voice() -> None:
    with pytest.raises(ConfigError, match="jf_nezumi"):
        speak("你好", "zf_xiaobei")


def test_missing_tts_packages_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth import voice

    voice._engine.cache_clear()
    monkeypatch.setitem(sys.modules, "misaki.zh", None)  # what an absent package looks like
    try:
        with pytest.raises(ModelNotFoundError, match=r"pip install .*misaki\[zh\]"):
            speak("这句话从来不会合成出来。")
    finally:
        voice._engine.cache_clear()


def test_scripts_are_complete_and_carry_no_real_looking_numbers() -> None:
    assert SCRIPTS.keys() == DESCRIPTIONS.keys()
    for name, lines in SCRIPTS.items():
        assert {li.speaker for li in lines} == {"agent", "customer"}, name
        for line in lines:
            assert not re.search(r"\d{5,}", line.text), (name, line.text)


@pytest.mark.parametrize("target", [60.0, 300.0])
def test_long_call_reaches_the_target_with_different_material(target: float) -> None:
    lines = long_call(target)
    assert estimate_seconds(lines) == pytest.approx(target, rel=0.15)
    texts = [li.text for li in lines]
    assert len(set(texts)) == len(texts)
