"""The held-out audio evaluation set (issue 9): its scripts are well-formed and cover what
the issue asks, and ``callqa eval`` judges a set from its recordings and its text side by
side (one short call synthesised as an 8 kHz telephone recording, end to end)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from callqa.cli import app
from synth.eval_calls import build_set, build_text_set, layout_of, load_scripts
from tests.conftest import BANK_RULE_IDS as RULES

SCRIPTS = Path(__file__).parent / "data" / "eval_audio"


@pytest.fixture(scope="module")
def scripts():
    return load_scripts(SCRIPTS)


def test_the_set_is_large_and_mixed_enough(scripts):
    assert len(scripts) >= 80
    layouts = Counter(layout_of(i)[0] for i in range(len(scripts)))
    assert layouts["mono"] >= 10
    channels = Counter(layout_of(i)[1] for i in range(len(scripts)) if layout_of(i)[0] == "stereo")
    assert channels[0] >= 20 and channels[1] >= 20  # the agent left in some, right in others
    assert {layout_of(i)[2] for i in range(len(scripts))} == {"wav", "flac", "ogg"}


def test_every_rule_fails_and_passes_often_enough_to_measure(scripts):
    counts = {rule: Counter(call["outcomes"][rule] for call in scripts.values()) for rule in RULES}
    for rule, c in counts.items():
        assert c["failed"] >= (5 if rule == "answer_time" else 8), (rule, dict(c))
        assert c["passed"] >= 8, (rule, dict(c))
    moods = Counter(call["sentiment_customer_end"] for call in scripts.values())
    assert min(moods.values()) >= 15, moods


TUNING = Path(__file__).parent / "data" / "eval_tune"


@pytest.mark.parametrize("folder", [SCRIPTS, TUNING], ids=["held-out", "tuning"])
def test_labels_follow_the_conventions(folder):
    scripts = load_scripts(folder)
    ops = ("identity_verification", "risk_disclosure", "customer_consent", "result_confirmation")
    for call_id, call in scripts.items():
        out = call["outcomes"]
        for rule in ("greeting", "forbidden_language", "closing", "answer_time"):
            assert out[rule] != "not_applicable", (call_id, rule)
        assert len({out[r] == "not_applicable" for r in ops}) == 1, call_id
        complaint = ("complaint_apology", "complaint_time_commitment")
        assert len({out[r] == "not_applicable" for r in complaint}) == 1, call_id
        ring = call.get("ring_time_s")
        assert out["answer_time"] == ("failed" if ring is not None and ring > 10 else "passed")


TINY = """
calls:
  zz01-tiny-enquiry:
    lines:
      - {s: a, t: "您好，云川银行，请问有什么可以帮您？"}
      - {s: c, t: "你好，我想问一下网点几点关门。"}
      - {s: a, t: "下午五点关门。请问还有其他问题吗？"}
      - {s: c, t: "没有了，谢谢。"}
      - {s: a, t: "感谢您的来电，再见。"}
    outcomes:
      greeting: passed
      identity_verification: not_applicable
      risk_disclosure: not_applicable
      customer_consent: not_applicable
      result_confirmation: not_applicable
      followup_commitment: not_applicable
      complaint_apology: not_applicable
      complaint_time_commitment: not_applicable
      forbidden_language: passed
      closing: passed
      answer_time: passed
    sentiment_customer_end: positive
    driver: branch_hours
"""


@pytest.mark.slow
def test_eval_judges_a_set_from_its_recordings_and_its_text(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "calls_zz.yaml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "set"
    assert build_set(scripts, out, progress=False) == ["zz01-tiny-enquiry"]
    recording = out / "recordings" / "zz01-tiny-enquiry.wav"
    assert recording.is_file()
    import soundfile

    assert soundfile.info(str(recording)).samplerate == 8000
    labels = yaml.safe_load((out / "labels.yaml").read_text(encoding="utf-8"))
    assert labels["calls"]["zz01-tiny-enquiry"]["outcomes"]["closing"] == "passed"

    result = CliRunner().invoke(app, ["eval", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == {"text", "audio"}
    for side in ("text", "audio"):
        assert report[side]["calls"] == 1
        assert set(report[side]["rules"]) == set(RULES)
    assert report["text"]["overall"]["accuracy"] == 1.0
    # the recording's transcript is kept: a second run judges without transcribing
    cached = list((out / "asr").glob("*/zz01-tiny-enquiry.json"))
    assert len(cached) == 1
    again = CliRunner().invoke(app, ["eval", str(out), "--from", "audio", "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout.strip().splitlines()[-1])["calls"] == 1


def test_a_text_only_set_is_built_without_speaking_and_judged(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "calls_zz.yaml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "set"
    assert build_text_set(scripts, out) == ["zz01-tiny-enquiry"]
    assert not (out / "recordings").exists()
    transcript = json.loads((out / "calls" / "zz01-tiny-enquiry.json").read_text("utf-8"))
    speakers = [turn["speaker"] for turn in transcript["turns"]]
    assert speakers[0] == "agent" and "customer" in speakers
    starts = [turn["start"] for turn in transcript["turns"]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    result = CliRunner().invoke(app, ["eval", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["source"] == "text" and report["calls"] == 1
    assert report["overall"]["accuracy"] == 1.0


def test_eval_names_the_missing_recordings(tmp_path):
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "other.wav").write_bytes(b"")
    (tmp_path / "calls").mkdir()
    (tmp_path / "labels.yaml").write_text(
        yaml.safe_dump({"calls": {"a1": {"outcomes": {}}}}), encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--from", "audio"])
    assert result.exit_code == 2
    assert "no recording for 1 labelled calls" in result.output
    assert "a1" in result.output


def test_eval_scores_one_split_of_a_set():
    dev = Path(__file__).parent / "data" / "eval"
    result = CliRunner().invoke(app, ["eval", str(dev), "--only", "ev0*", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["calls"] == 9
    none = CliRunner().invoke(app, ["eval", str(dev), "--only", "zz*"])
    assert none.exit_code == 2 and "no call id matches 'zz*'" in none.output


def test_eval_names_the_missing_transcripts(tmp_path):
    # a set whose recordings were built for some calls only: the text side says which
    # transcripts are missing instead of failing on the first with a traceback
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "a1.json").write_text("{}", encoding="utf-8")
    (tmp_path / "labels.yaml").write_text(
        yaml.safe_dump({"calls": {"a1": {"outcomes": {}}, "a2": {"outcomes": {}}}}),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--from", "text"])
    assert result.exit_code == 2
    assert "no transcript for 1 labelled calls" in result.output
    assert "a2" in result.output and "--from audio" in result.output
