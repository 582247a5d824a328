"""The Prefect flows end to end on the embedded defaults (a folder, SQLite, Prefect's
ephemeral API): each call exactly once, reruns add nothing, bad recordings quarantined,
nothing deleted, a new rule pack re-analyses without transcribing, a new version is
processed anew, and a killed batch finishes on the rerun."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flow_fixtures import snapshot

from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _settings(tmp_path: Path, **overrides):
    from core.config import load_settings

    return load_settings(None, data_dir=tmp_path / "data", **overrides)


def _run(source: Path | str, settings):
    from flows.process import run_batch

    summary = run_batch(str(source), settings)
    return {r.key: r for r in summary.reports}, summary


def _db(settings) -> sqlite3.Connection:
    return sqlite3.connect(settings.resolved_store_url().removeprefix("sqlite:///"))


def test_a_batch_is_stored_once_and_a_rerun_adds_nothing(recordings, tmp_path):
    settings = _settings(tmp_path)
    before = snapshot(recordings)

    first, _ = _run(recordings, settings)
    assert {k: r.status for k, r in first.items()} == {
        "card_loss.wav": "processed",
        "enquiry_card_bill.wav": "processed",
        "no_greeting.wav": "processed",
        "broken.wav": "quarantined",
    }
    assert "broken.wav" in (first["broken.wav"].problem or "")
    db = _db(settings)
    calls = db.execute("select id, agent_id, month, flagged from calls order by id").fetchall()
    assert [(c[0], c[1], c[2]) for c in calls] == [
        ("card_loss", "A02", "2026-03"),
        ("enquiry_card_bill", "A01", "2026-03"),
        ("no_greeting", "A03", "2026-04"),
    ]
    assert dict((c[0], c[3]) for c in calls)["no_greeting"] == 1  # no greeting, no closing
    assert db.execute("select count(*) from turns").fetchone()[0] > 6
    assert db.execute("select count(*) from rule_results").fetchone()[0] == 3 * 11
    # results written back beside the recordings; only the redacted text is there
    for name in ("card_loss", "enquiry_card_bill", "no_greeting"):
        for part in ("transcript.json", "analysis.json", "redacted.ogg"):
            assert (recordings / "results" / name / part).stat().st_size > 0
    # the bad recording is copied to quarantine with its reason; the original stays
    reason = (recordings / "quarantine" / "broken.wav.reason.json").read_text("utf-8")
    assert "not a recording" in reason or "not audio" in reason
    assert (recordings / "quarantine" / "broken.wav").read_bytes() == before["broken.wav"]
    ledger = db.execute("select finished_at from processed_recordings order by source").fetchall()

    _console_plays_the_redacted_call(settings, "no_greeting")

    second, _ = _run(recordings, settings)
    assert sorted(r.status for r in second.values()) == [
        "quarantined",
        "skipped",
        "skipped",
        "skipped",
    ]
    assert db.execute("select count(*) from calls").fetchone()[0] == 3
    assert (
        db.execute("select finished_at from processed_recordings order by source").fetchall()
        == ledger
    )
    assert snapshot(recordings) == before  # no recording deleted or changed


def test_a_new_rule_pack_reanalyses_stored_transcripts_without_transcribing(recordings, tmp_path):
    from flows.process import run_batch
    from flows.work import open_worker

    settings = _settings(tmp_path)
    _run(recordings, settings)
    pack = (ROOT / "rules" / "bank_remote_agent.yaml").read_text("utf-8")
    changed = tmp_path / "pack.yaml"
    # a comment alone changes nothing (the pack's label hashes its content, not its text)
    changed.write_text(re.sub(r"(?m)^version: .*$", 'version: "2-test"', pack), "utf-8")
    assert 'version: "2-test"' in changed.read_text("utf-8")

    worker = open_worker(str(recordings), _settings(tmp_path, rule_pack=changed))
    summary = run_batch(str(recordings), worker.settings, worker=worker)
    reports = {r.key: r for r in summary.reports}
    assert sorted(r.status for r in reports.values()) == [
        "quarantined",
        "reanalysed",
        "reanalysed",
        "reanalysed",
    ]
    assert not worker.processor.models_loaded  # no model was even loaded
    db = _db(settings)
    labels = {r[0] for r in db.execute("select rule_pack from calls")}
    assert labels == {worker.processor.analyser.pack.label}


def test_a_new_version_of_a_recording_is_processed_anew(recordings, flow_call_files, tmp_path):
    settings = _settings(tmp_path)
    _run(recordings, settings)
    db = _db(settings)
    old_version = db.execute("select source_version from calls where id='card_loss'").fetchone()[0]

    # the recording is replaced by another take (a different call's audio)
    (recordings / "card_loss.wav").write_bytes((flow_call_files / "no_greeting.wav").read_bytes())
    reports, _ = _run(recordings, settings)
    assert reports["card_loss.wav"].status == "processed"
    assert reports["enquiry_card_bill.wav"].status == "skipped"
    new_version = db.execute("select source_version from calls where id='card_loss'").fetchone()[0]
    assert new_version != old_version
    rows = db.execute(
        "select count(*) from processed_recordings where source like '%card_loss.wav'"
    ).fetchone()[0]
    assert rows == 2  # both versions remain in the ledger
    assert db.execute("select count(*) from calls").fetchone()[0] == 3


@pytest.mark.slow
def test_a_batch_killed_midway_finishes_on_the_rerun_each_call_once(recordings, tmp_path):
    (recordings / "broken.wav").unlink()
    env = {**os.environ, "CALLQA_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "callqa.cli", "process", str(recordings)]
    store = tmp_path / "data" / "callqa.db"

    victim = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    done_before: list[tuple[str, str]] = []
    while time.monotonic() < deadline and victim.poll() is None:
        if store.exists():
            with contextlib.suppress(sqlite3.OperationalError):  # not migrated yet
                done_before = (
                    sqlite3.connect(store)
                    .execute(
                        "select source, finished_at from processed_recordings where status='done'"
                    )
                    .fetchall()
                )
        if done_before:
            break
        time.sleep(0.2)
    assert victim.poll() is None, "the batch ended before it could be killed"
    assert done_before, "no call was stored within 4 minutes"
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    db = sqlite3.connect(store)
    assert db.execute("select count(*) from calls").fetchone()[0] < 3

    rerun = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert db.execute("select count(*) from calls").fetchone()[0] == 3
    ledger = db.execute(
        "select source, status, finished_at, attempts from processed_recordings"
    ).fetchall()
    assert len(ledger) == 3 and all(row[1] == "done" for row in ledger)
    finished = {row[0]: row[2] for row in ledger}
    for source, finished_at in done_before:  # stored before the kill: not done again
        assert finished[source] == finished_at
    assert f"{len(done_before)} skipped as already done" in " ".join(rerun.stdout.split())


def _console_plays_the_redacted_call(settings, call_id: str) -> None:
    """What the flows stored is what the console serves: the redacted audio, by range."""
    from fastapi.testclient import TestClient

    from console import create_app
    from console.audio import LocationAudio
    from console.auth import create_user
    from storage.database import Store

    url = settings.resolved_store_url()
    store = Store(url)
    with store.session() as session:
        create_user(session, "lead", "a long password", "qa_lead")
    store.close()
    client = TestClient(
        create_app(url, LocationAudio(settings), allowed_hosts=["testserver"]),
        headers={"Origin": "http://testserver"},
    )
    assert (
        client.post(
            "/api/session", json={"username": "lead", "password": "a long password"}
        ).status_code
        == 200
    )
    audio = client.get(f"/api/calls/{call_id}/audio", headers={"Range": "bytes=0-99"})
    assert audio.status_code == 206 and len(audio.content) == 100
    assert audio.content[:4] == b"OggS"  # the redacted Ogg/Opus copy, not the WAV recording


def test_storage_hiccups_are_retried_and_the_call_still_stored_once(
    recordings, tmp_path, monkeypatch
):
    """A recording whose first fetch fails with a transient storage error (the server
    dropped the connection) is fetched again by Prefect's retry and stored once."""
    from storage.local import LocalStore
    from storage.objects import StorageUnavailable

    (recordings / "broken.wav").unlink()
    real_get = LocalStore.get
    failures: list[str] = []

    def flaky_get(self, key):
        if key == "card_loss.wav" and not failures:
            failures.append(key)
            raise StorageUnavailable(f"{self.describe(key)}: connection reset by peer")
        return real_get(self, key)

    monkeypatch.setattr(LocalStore, "get", flaky_get)
    settings = _settings(tmp_path)
    reports, _ = _run(recordings, settings)
    assert failures == ["card_loss.wav"]
    assert reports["card_loss.wav"].status == "processed"
    db = _db(settings)
    assert db.execute("select count(*) from calls where id='card_loss'").fetchone()[0] == 1
    attempts = db.execute(
        "select attempts from processed_recordings where source like '%card_loss.wav'"
    ).fetchone()[0]
    assert attempts == 2  # claimed, released on the error, claimed again by the retry


def test_process_with_auto_concurrency_runs_the_chosen_workers_and_says_so(
    recordings, tmp_path, monkeypatch
):
    import threading

    from typer.testing import CliRunner

    import flows.process
    from callqa.cli import app
    from core.concurrency import choose_concurrency, this_machine
    from core.config import load_settings
    from models.whisper import model_bytes

    monkeypatch.setenv("CALLQA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "240")
    threads_seen: set[int] = set()
    running, peak, lock = [0], [0], threading.Lock()

    class Watch:
        def listed(self, count: int) -> None: ...

        def started(self, key: str) -> None:
            with lock:
                threads_seen.add(threading.get_ident())
                running[0] += 1
                peak[0] = max(peak[0], running[0])

        def done(self, report) -> None:
            with lock:
                running[0] -= 1

    class Both:  # the command's own progress bar, and the watch
        def __init__(self, *hooks) -> None:
            self.hooks = hooks

        def listed(self, count: int) -> None:
            for h in self.hooks:
                h.listed(count)

        def started(self, key: str) -> None:
            for h in self.hooks:
                h.started(key)

        def done(self, report) -> None:
            for h in self.hooks:
                h.done(report)

    run_batch, open_worker, opened = flows.process.run_batch, flows.process.open_worker, []

    def watched_batch(*args, hook, **kwargs):
        return run_batch(*args, hook=Both(hook, Watch()), **kwargs)

    def watched_worker(*args, **kwargs):
        opened.append(open_worker(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(flows.process, "run_batch", watched_batch)
    monkeypatch.setattr(flows.process, "open_worker", watched_worker)
    result = CliRunner().invoke(app, ["process", str(recordings), "--concurrency", "auto"])
    assert result.exit_code == 0, result.output
    said = re.search(r"concurrency: (\d+) workers? x (\d+) threads? \(auto: ", result.output)
    assert said, result.output
    workers, threads = int(said[1]), int(said[2])
    settings = load_settings(None)
    expected = choose_concurrency(
        this_machine(),
        model_bytes=model_bytes(settings.whisper_model),
        max_duration_s=settings.max_duration_s,
    )
    assert (workers, threads) == (expected.workers, expected.threads)
    # that many calls really ran at once, on that many threads, with a model that lets them
    assert len(threads_seen) == workers and peak[0] >= workers
    models = [w.processor.models.whisper.model for w in opened]
    assert any(m.num_workers == workers for m in models)
    assert "3 processed" in result.output
