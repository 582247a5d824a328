"""A whole call through transcription and speaker attribution, on synthetic Mandarin calls
with known turns (Kokoro voices) and on the real recordings."""

from __future__ import annotations

import re

import jiwer
import numpy as np
import pytest

from core.errors import NoSpeechError
from pipeline.audio import decode
from pipeline.call import CallOptions, channel_layout, transcribe_call
from pipeline.roles import RoleOptions
from pipeline.transcribe import TranscribeOptions
from synth.calls import Line, build_call
from synth.scripts import SCRIPTS
from tests.conftest import real

# An enquiry, trimmed to keep the suite fast; a customer interruption (negative gap) in it.
LINES = [*SCRIPTS["enquiry_card_bill"][:3], Line("customer", "对，就是那个还款日。", -0.6)]


def _chars(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text)


def _audio_of(call):
    from pipeline.audio import Audio

    return Audio(
        source=f"{call.call_id}.wav",
        samples=call.samples,
        original_sample_rate=16000,
        codec="pcm_f32le",
        container="wav",
    )


@pytest.fixture(scope="module")
def stereo_agent_right():
    return build_call("enquiry-right", LINES, layout="stereo", agent_channel=1)


@pytest.fixture(scope="module")
def transcript_agent_right(stereo_agent_right, call_models):
    return transcribe_call(_audio_of(stereo_agent_right), call_models)


def test_stereo_roles_found_from_what_is_said(transcript_agent_right):
    roles = transcript_agent_right.roles
    assert roles.method == "content"
    assert roles.agent == "ch1"  # the agent was put on the right channel
    assert roles.confidence >= 0.8
    for turn in transcript_agent_right.turns:
        assert turn.channel == (1 if turn.speaker == "agent" else 0)


def test_stereo_text_per_party_matches_the_script(stereo_agent_right, transcript_agent_right):
    for speaker in ("agent", "customer"):
        ref = _chars("".join(t.text for t in stereo_agent_right.turns if t.speaker == speaker))
        hyp = _chars(transcript_agent_right.text_of(speaker))
        assert jiwer.cer(ref, hyp) <= 0.25, (speaker, hyp)


def test_stereo_turn_boundaries_follow_the_audio(stereo_agent_right, transcript_agent_right):
    for ref in stereo_agent_right.turns:
        same = [
            t
            for t in transcript_agent_right.turns
            if t.speaker == ref.speaker and min(t.end, ref.end) > max(t.start, ref.start)
        ]
        assert same, f"no {ref.speaker} turn over {ref.start:.1f}-{ref.end:.1f}"
        assert min(abs(t.start - ref.start) for t in same) <= 0.3
        assert min(abs(t.end - ref.end) for t in same) <= 0.3


def test_overlapping_speech_is_kept_and_marked(stereo_agent_right, transcript_agent_right):
    (interruption,) = [t for t in stereo_agent_right.turns if t.text == "对，就是那个还款日。"]
    marked = [t for t in transcript_agent_right.turns if t.overlap]
    assert {t.speaker for t in marked} == {"agent", "customer"}
    assert any(abs(t.start - interruption.start) <= 0.3 for t in marked if t.speaker == "customer")
    unmarked = [t for t in transcript_agent_right.turns if not t.overlap]
    assert unmarked, "turns with nobody talking over them must not be marked"


def test_words_carry_times_and_probabilities(transcript_agent_right):
    words = [w for t in transcript_agent_right.turns for w in t.words or ()]
    assert len(words) > 20
    assert all(0 <= w.p <= 1 and w.start <= w.end for w in words)


def test_fixed_agent_channel_wins(stereo_agent_right, call_models):
    options = CallOptions(roles=RoleOptions(agent="ch0", source="metadata"))
    transcript = transcribe_call(_audio_of(stereo_agent_right), call_models, options)
    assert transcript.roles.method == "metadata"
    assert transcript.roles.confidence == 1.0
    assert all(t.speaker == ("agent" if t.channel == 0 else "customer") for t in transcript.turns)


@pytest.mark.slow
def test_mono_call_is_diarized_and_roles_follow_content(call_models):
    call = build_call("card-loss-mono", SCRIPTS["card_loss"][:6], layout="mono")
    transcript = transcribe_call(_audio_of(call), call_models)
    assert channel_layout(_audio_of(call)) == "mono"
    assert transcript.roles.method == "content"
    assert {t.speaker_label for t in transcript.turns} <= {"SPEAKER_00", "SPEAKER_01"}
    # score attribution by time: how much reference speech landed on the right role
    right = total = 0.0
    for ref in call.turns:
        for turn in transcript.turns:
            shared = min(turn.end, ref.end) - max(turn.start, ref.start)
            if shared > 0:
                total += shared
                right += shared if turn.speaker == ref.speaker else 0.0
    assert total > 0 and right / total >= 0.85


def test_real_stereo_recording_per_channel(call_models):
    audio = decode(real("faster-whisper/stereo_diarization.wav"))
    options = CallOptions(transcribe=TranscribeOptions(language="en"))
    transcript = transcribe_call(audio, call_models, options)
    by_channel = {t.channel: t.text for t in transcript.turns}
    norm = lambda s: " ".join(re.sub(r"[^a-z ]+", " ", s.lower()).split())  # noqa: E731
    left = (
        "he began a confused complaint against the wizard"
        " who had vanished behind the curtain on the left"
    )
    right = "the horizon seems extremely distant"
    assert jiwer.wer(left, norm(by_channel[0])) <= 0.1
    assert jiwer.wer(right, norm(by_channel[1])) <= 0.1
    assert all(t.overlap for t in transcript.turns)  # the two utterances overlap in time


def test_stereo_file_holding_one_signal_is_treated_as_mono():
    assert channel_layout(decode(real("faster-whisper/jfk.flac"))) == "duplicated_stereo"
    assert channel_layout(decode(real("faster-whisper/stereo_diarization.wav"))) == "stereo"


@pytest.mark.parametrize("layout", ["silence", "noise"])
def test_no_speech_at_all(call_models, layout):
    from pipeline.audio import Audio

    rng = np.random.default_rng(3)
    samples = np.zeros((2, 16000 * 5), np.float32)
    if layout == "noise":
        samples = (rng.standard_normal((2, 16000 * 5)) * 0.003).astype(np.float32)
    audio = Audio(
        source=f"{layout}.wav",
        samples=samples,
        original_sample_rate=16000,
        codec="pcm_s16le",
        container="wav",
    )
    with pytest.raises(NoSpeechError) as info:
        transcribe_call(audio, call_models)
    assert f"{layout}.wav" in str(info.value)
