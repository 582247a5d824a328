"""Servers drill (issue 10, policy §8 "drills: system recovery"): a batch of short synthetic
calls read from a real S3 server (SeaweedFS) into a real PostgreSQL, where mid-batch

  (a) the S3 server is stopped, kept down a while, and started again on the same data;
  (b) the PostgreSQL server is stopped, kept down a while, and started again;

then the same ``callqa process`` runs once more (§8's backlog catch-up). The drill counts,
per recording: stored once, lost (not stored after the rerun), doubled (stored as more than
one call), and which run stored it; and checks that every stored call is whole (turns, rule
outcomes, its transcript object in the bucket).

    .venv/bin/python bench/drill_servers.py                    # 20 calls
    .venv/bin/python bench/drill_servers.py --calls 30 --s3-down 60 --pg-down 20

An outage shorter than the flow's retries (2 + 10 + 30 s between four tries) is ridden out
by the batch itself; a longer one fails the calls it catches, and the rerun stores them.
Everything runs on loopback in a scratch folder (``--work``, default
``$CALLQA_CACHE/drill-servers``); the synthetic calls are cached under ``$CALLQA_CACHE/bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

SCRIPTS = ("enquiry_card_bill", "card_loss", "no_greeting", "transfer_limit", "complaint_rude")
BUCKET = "drill-calls"
PREFIX = "incoming/"
_SUMMARY = re.compile(
    r"(\d+) processed, (\d+) re-analysed.*?(\d+) skipped as already done, (\d+) quarantined, "
    r"(\d+) in progress elsewhere, (\d+) failed \(([\d.]+) s\)"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the calls ----------------------------------------------------------------------------
def prepare_calls(lines: int) -> list[Path]:
    """A few distinct short stereo calls (Kokoro TTS), synthesised once and cached."""
    from models.cache import cache_dir
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS as ALL

    folder = cache_dir("bench")
    paths = []
    for script in SCRIPTS:
        path = folder / f"drill-{script}-{lines}.wav"
        if not path.is_file():
            log(f"synthesising {script} ...")
            write_call(build_call(f"drill-{script}", ALL[script][:lines], agent_channel=1), path)
        paths.append(path)
    return paths


# --- the servers --------------------------------------------------------------------------
@dataclass
class Weed:
    """SeaweedFS's S3 gateway (``weed mini``) on fixed loopback ports, restartable on the
    same data folder."""

    home: Path
    access_key: str = "callqa-drill"
    secret_key: str = "drill-secret-key-0123456789"
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3']}"

    def start(self) -> None:
        from services_s3 import GRPC_OFFSET, _free_port_with_partner

        if not self.ports:
            names = ("master", "volume", "filer", "s3", "admin")
            self.ports = {name: _free_port_with_partner() for name in names}
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        args = [
            str(Path(sys.executable).parent / "weed"), "mini", f"-dir={self.home / 'data'}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false", "-admin.ui=false",
            "-master.telemetry=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-volume.preStopSeconds=0", f"-s3.localSocket={self.home / 's3.sock'}",
            f"-filer.localSocket={self.home / 'filer.sock'}",
        ]  # fmt: skip
        for name, port in self.ports.items():
            args += [f"-{name}.port={port}", f"-{name}.port.grpc={port + GRPC_OFFSET}"]
        env = os.environ | {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }
        with (self.home / "weed.log").open("ab") as out:
            self.process = subprocess.Popen(
                args, cwd=self.home, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.client().list_buckets()
                return
            except Exception:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        raise SystemExit(f"SeaweedFS did not come up; see {self.home / 'weed.log'}")

    def stop(self) -> None:
        from services_s3 import _stop

        if self.process is not None:
            _stop(self.process)
            self.process = None

    def client(self) -> Any:
        from minio import Minio

        return Minio(self.endpoint, self.access_key, self.secret_key, secure=False)


def restart_postgres(cluster: Any, down_s: float) -> None:
    """``pg_ctl stop -m fast``, ``down_s`` seconds with no server, then start it again."""
    from pgcluster import _binary

    pg_ctl = _binary("pg_ctl")
    cluster._run(pg_ctl, "-D", str(cluster.data), "-m", "fast", "-w", "stop")
    time.sleep(down_s)
    options = f"-h 127.0.0.1 -p {cluster.port} -k {cluster.root} " + " ".join(
        f"-c {k}={v}" for k, v in cluster.settings.items()
    )
    cluster._run(pg_ctl, "-D", str(cluster.data), "-l", str(cluster.root / "log"), "-o", options,
                 "-w", "-t", "60", "start")  # fmt: skip


# --- the batch and the faults -------------------------------------------------------------
def upload(weed: Weed, calls: list[Path], count: int) -> list[str]:
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    client = weed.client()
    client.make_bucket(BUCKET)
    client.set_bucket_versioning(BUCKET, VersioningConfig(ENABLED))
    keys = []
    for i in range(count):
        source = calls[i % len(calls)]
        key = f"{PREFIX}call-{i:03d}-{source.stem.removeprefix('drill-')}.wav"
        client.fput_object(BUCKET, key, str(source), content_type="audio/wav")
        meta = {"agent_id": f"A{100 + i % 5}", "started_at": f"2026-11-{1 + i % 28:02d}T10:00:00"}
        data = json.dumps(meta).encode()
        client.put_object(BUCKET, key.removesuffix(".wav") + ".meta.json", _bytes(data), len(data))
        keys.append(key)
    return keys


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def done_count(store_url: str) -> int | None:
    """Recordings the ledger has finished; None while PostgreSQL does not answer."""
    import psycopg

    dsn = store_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, connect_timeout=2) as db:
            row = db.execute(
                "SELECT COUNT(*) FROM processed_recordings WHERE status = 'done'"
            ).fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return None


@dataclass
class Fault:
    name: str
    at_done: int
    action: Callable[[], None]
    started_s: float | None = None
    ended_s: float | None = None


def run_batch(
    env: dict[str, str], out: Path, faults: list[Fault], store_url: str
) -> dict[str, Any]:
    """``callqa process`` in a subprocess; each fault fires once the ledger shows its count of
    finished recordings. Returns the parsed summary line, exit code and wall time."""
    command = [str(Path(sys.executable).parent / "callqa"), "process", f"s3://{BUCKET}/{PREFIX}"]
    start = time.perf_counter()
    with out.open("w") as sink:
        batch = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        pending = list(faults)
        while batch.poll() is None:
            done = done_count(store_url)
            if pending and done is not None and done >= pending[0].at_done:
                fault = pending.pop(0)
                fault.started_s = time.perf_counter() - start
                log(f"{fault.name} (after {done} calls done)")
                fault.action()
                fault.ended_s = time.perf_counter() - start
                log(f"{fault.name}: over after {fault.ended_s - fault.started_s:.0f} s")
            time.sleep(0.5)
    wall = time.perf_counter() - start
    text = out.read_text(errors="replace")
    found = _SUMMARY.search(text)
    names = ("processed", "reanalysed", "skipped", "quarantined", "busy", "failed", "flow_s")
    summary = dict(zip(names, map(float, found.groups()), strict=True)) if found else {}
    return {"exit": batch.returncode, "wall_s": wall, "summary": summary, "unfired": pending}


# --- counting -----------------------------------------------------------------------------
def count(store_url: str, weed: Weed, keys: list[str], rerun_started: Any) -> dict[str, Any]:
    import psycopg

    dsn = store_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as db:
        calls = db.execute("SELECT id, source, transcript_key FROM calls").fetchall()
        ledger = db.execute(
            "SELECT source, status, finished_at, attempts FROM processed_recordings"
        ).fetchall()
        turns = dict(db.execute("SELECT call_id, COUNT(*) FROM turns GROUP BY call_id").fetchall())
        rules = dict(
            db.execute("SELECT call_id, COUNT(*) FROM rule_results GROUP BY call_id").fetchall()
        )
    sources = {f"s3://{BUCKET}/{k}": k for k in keys}
    per_source: dict[str, list[tuple[str, str]]] = {s: [] for s in sources}
    for call_id, source, transcript_key in calls:
        per_source.setdefault(source, []).append((call_id, transcript_key or ""))
    client = weed.client()
    whole = 0
    for rows in per_source.values():
        for call_id, transcript_key in rows:
            key = transcript_key.removeprefix(f"s3://{BUCKET}/")
            try:
                client.stat_object(BUCKET, key)
                present = True
            except Exception:
                present = False
            whole += bool(turns.get(call_id) and rules.get(call_id) and present)
    by_rerun = [
        s for s, status, finished, _ in ledger if status == "done" and finished >= rerun_started
    ]
    return {
        "recordings": len(keys),
        "stored": sum(1 for s in sources if len(per_source[s]) == 1),
        "lost": sum(1 for s in sources if not per_source[s]),
        "doubled": sum(1 for s in sources if len(per_source[s]) > 1),
        "strangers": sum(1 for s in per_source if s not in sources),
        "whole": whole,
        "call_rows": len(calls),
        "retried_by_rerun": len([s for s in by_rerun if s in sources]),
        "max_attempts": max((a for *_, a in ledger), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20, help="recordings in the batch (>= 20)")
    parser.add_argument("--lines", type=int, default=4, help="script lines per call")
    parser.add_argument("--s3-down", type=float, default=60.0, help="seconds S3 stays down")
    parser.add_argument("--pg-down", type=float, default=20.0, help="seconds PostgreSQL is down")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--work", type=Path, help="scratch folder")
    parser.add_argument("--out", type=Path, help="write the counts as JSON here")
    args = parser.parse_args()

    from pgcluster import PgCluster

    from models.cache import cache_dir

    wall_start = time.perf_counter()
    work = (args.work or cache_dir("drill-servers")).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    calls = prepare_calls(args.lines)
    weed = Weed(work / "seaweedfs")
    # a durable cluster: a restart must not lose what was committed
    cluster = PgCluster({"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"})
    try:
        log("starting SeaweedFS and PostgreSQL ...")
        weed.start()
        cluster.start()
        store_url = cluster.create_database("callqa_drill")
        keys = upload(weed, calls, args.calls)
        log(f"{len(keys)} recordings in s3://{BUCKET}/{PREFIX}")
        env = os.environ | {
            "CALLQA_STORE_URL": store_url,
            "CALLQA_S3_ENDPOINT": weed.endpoint,
            "CALLQA_S3_ACCESS_KEY": weed.access_key,
            "CALLQA_S3_SECRET_KEY": weed.secret_key,
            "CALLQA_DATA_DIR": str(work / "data"),
            "CALLQA_CONCURRENCY": str(args.concurrency),
            "PREFECT_HOME": str(work / "prefect"),
            "COLUMNS": "250",
        }

        def s3_outage() -> None:
            weed.stop()
            time.sleep(args.s3_down)
            weed.start()

        faults = [
            Fault(f"(a) S3 server stopped for {args.s3_down:.0f} s", args.calls // 4, s3_outage),
            Fault(
                f"(b) PostgreSQL restarted, {args.pg_down:.0f} s down",
                args.calls // 2,
                lambda: restart_postgres(cluster, args.pg_down),
            ),
        ]
        log("batch 1 (with the faults) ...")
        first = run_batch(env, work / "batch-1.log", faults, store_url)
        log(f"batch 1 ended ({first['exit']}) in {first['wall_s']:.0f} s: {first['summary']}")
        from storage.results import utcnow

        rerun_started = utcnow()
        log("batch 2 (the rerun: backlog catch-up) ...")
        second = run_batch(env, work / "batch-2.log", [], store_url)
        log(f"batch 2 ended ({second['exit']}) in {second['wall_s']:.0f} s: {second['summary']}")
        counts = count(store_url, weed, keys, rerun_started)
    finally:
        weed.stop()
        cluster.stop()
    report(args, faults, first, second, counts, time.perf_counter() - wall_start, work)
    if args.out:
        numbers = {"counts": counts, "first": _plain(first), "rerun": _plain(second)}
        args.out.write_text(json.dumps(numbers, indent=2), encoding="utf-8")


def _plain(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "unfired"}


def report(
    args: Any,
    faults: list[Fault],
    first: dict[str, Any],
    second: dict[str, Any],
    counts: dict[str, Any],
    wall_s: float,
    work: Path,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    table = Table(title=f"servers drill: {counts['recordings']} calls, S3 + PostgreSQL faults")
    for column in ("run", "exit", "wall s", "processed", "skipped", "busy", "failed"):
        table.add_column(column)
    for name, run in (("1: with faults", first), ("2: rerun", second)):
        s = run["summary"]
        table.add_row(
            name,
            str(run["exit"]),
            f"{run['wall_s']:.0f}",
            *(str(int(s.get(k, -1))) for k in ("processed", "skipped", "busy", "failed")),
        )
    console.print(table)
    for fault in faults:
        when = (
            f"at {fault.started_s:.0f}-{fault.ended_s:.0f} s of run 1"
            if fault.started_s is not None and fault.ended_s is not None
            else "NOT FIRED (the batch ended first)"
        )
        console.print(f"{fault.name}: {when}", highlight=False)
    c = counts
    console.print(
        f"stored once {c['stored']}/{c['recordings']}, lost {c['lost']}, doubled {c['doubled']}, "
        f"retried by the rerun {c['retried_by_rerun']}, whole (turns, outcomes, transcript "
        f"object) {c['whole']}, call rows {c['call_rows']}, most attempts on one recording "
        f"{c['max_attempts']}",
        highlight=False,
    )
    caught_up = "by the batch itself" if not c["retried_by_rerun"] else "after the rerun"
    ok = c["lost"] == 0 and c["doubled"] == 0 and c["stored"] == c["recordings"] == c["whole"]
    verdict = "[green]PASS[/green]" if ok else "[red]FAIL[/red]"
    console.print(f"every call stored once {caught_up}: {verdict} ({wall_s:.0f} s in all)")
    console.print(f"logs: {work}/batch-1.log, {work}/batch-2.log", highlight=False)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
