"""The flows beyond one machine: recordings in a real S3 server (seaweedfs), results in a
real PostgreSQL, and a Prefect server on loopback with two workers pulling from a work pool.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ROOT

VENV_BIN = Path(sys.executable).parent


def _upload(s3_server, bucket: str, folder: Path, prefix: str, copies: int = 1) -> list[str]:
    """The calls in ``folder`` into ``bucket``: metadata as S3 object metadata for the first,
    as a sidecar for the rest; ``copies`` of each under different keys."""
    from storage.s3 import S3Store

    store = S3Store(
        bucket,
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    keys = []
    for n in range(copies):
        for i, wav in enumerate(sorted(folder.glob("*.wav"))):
            meta = json.loads(wav.with_name(wav.stem + ".meta.json").read_text("utf-8"))
            key = f"{prefix}{wav.stem}-{n}.wav"
            meta["call_id"] = f"{wav.stem}-{n}"
            if i == 0:
                store.put(key, wav.read_bytes(), metadata={k: str(v) for k, v in meta.items()})
            else:
                store.put(key, wav.read_bytes())
                store.put(f"{prefix}{wav.stem}-{n}.meta.json", json.dumps(meta).encode())
            keys.append(key)
    return keys


def test_a_bucket_in_s3_into_postgresql_once(
    s3_server, s3_settings, fresh_postgres_url, flow_call_files, prefect_harness
):
    from flows.process import run_batch
    from storage.s3 import S3Store

    bucket = s3_server.new_bucket(versioned=True)
    keys = _upload(s3_server, bucket, flow_call_files, "2026/03/")
    store = S3Store(
        bucket,
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    store.put("2026/03/broken.wav", b"\x00" * 64)
    settings = s3_settings.model_copy(update={"store_url": fresh_postgres_url})

    summary = run_batch(f"s3://{bucket}/2026/03", settings)
    statuses = {r.key: r.status for r in summary.reports}
    assert statuses == {**dict.fromkeys(keys, "processed"), "2026/03/broken.wav": "quarantined"}
    engine = create_engine(fresh_postgres_url)
    with engine.connect() as db:
        rows = db.execute(text("select id, agent_id, source from calls order by id")).all()
        assert [(r[0], r[1]) for r in rows] == [
            ("card_loss-0", "A02"),  # metadata from the sidecar
            ("enquiry_card_bill-0", "A01"),
            ("no_greeting-0", "A03"),
        ]
        assert all(r[2].startswith(f"s3://{bucket}/2026/03/") for r in rows)
    listed = {o.key for o in store.list("2026/03/")}
    assert {
        "2026/03/results/card_loss-0/transcript.json",
        "2026/03/results/card_loss-0/redacted.ogg",
        "2026/03/quarantine/broken.wav",
        "2026/03/quarantine/broken.wav.reason.json",
    } <= listed
    assert "2026/03/broken.wav" in listed  # the original is never deleted

    again = run_batch(f"s3://{bucket}/2026/03", settings)
    assert again.count("skipped") == 3 and again.count("processed") == 0
    with engine.connect() as db:
        assert db.execute(text("select count(*) from calls")).scalar() == 3


def _runs_taken(worker_log: str) -> set[str]:
    run = r"flow run '([0-9a-f-]{36})'"
    submitted = set(re.findall(rf"[Ss]ubmitting {run}", worker_log))
    return submitted - set(re.findall(rf"Aborted submission of {run}", worker_log))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the Prefect server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the Prefect server at {url} did not answer within {timeout:.0f} s")


@pytest.mark.slow
def test_a_prefect_server_with_two_workers_splits_a_batch_each_call_once(
    s3_server, fresh_postgres_url, flow_call_files, tmp_path
):
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "CALLQA_STORE_URL": fresh_postgres_url,
        "CALLQA_S3_ENDPOINT": s3_server.endpoint,
        "CALLQA_S3_ACCESS_KEY": s3_server.access_key,
        "CALLQA_S3_SECRET_KEY": s3_server.secret_key,
        "CALLQA_CPU_THREADS": "1",  # two workers share this machine's two cores
        # the deployment runs in the checkout: keep the workers' data (the pseudonym key)
        # in the test's own folder, not the repository's default callqa-data/
        "CALLQA_DATA_DIR": str(tmp_path / "callqa-data"),
    }
    processes: list[subprocess.Popen] = []
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    try:
        server = subprocess.Popen(
            [VENV_BIN / "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(server)
        _wait_healthy(f"http://127.0.0.1:{port}/api/health", server)
        deployed = subprocess.run(
            [sys.executable, "-m", "callqa.cli", "deploy", "--pool", "callqa-test"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        for n, log in enumerate(logs, 1):
            processes.append(
                subprocess.Popen(
                    [
                        VENV_BIN / "prefect",
                        "worker",
                        "start",
                        "--pool",
                        "callqa-test",
                        "--name",
                        f"worker-{n}",
                        "--limit",
                        "1",
                    ],
                    env=env,
                    cwd=tmp_path,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        bucket = s3_server.new_bucket()
        keys = _upload(s3_server, bucket, flow_call_files, "in/", copies=2)

        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "callqa.cli",
                "process",
                f"s3://{bucket}/in",
                "--deployment",
                "process-batch/callqa",
                "--chunk-size",
                "2",
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=540,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "6 processed" in " ".join(run.stdout.split()), run.stdout

        engine = create_engine(fresh_postgres_url)
        with engine.connect() as db:
            assert db.execute(text("select count(*) from calls")).scalar() == len(keys)
            ledger = db.execute(
                text("select status, count(*) from processed_recordings group by status")
            ).all()
        assert ledger == [("done", len(keys))]
        # each worker took flow runs of the batch: its log names the runs it submitted, and
        # those the server refused it because the other worker had already taken them
        taken = [_runs_taken(log.read_text()) for log in logs]
        assert all(taken), [log.read_text()[-2000:] for log in logs]
        assert not taken[0] & taken[1]  # no run taken by both
        assert len(taken[0] | taken[1]) == 3  # 6 calls in chunks of 2
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
