"""Flows benchmark (issue 4): what orchestration and storage cost per call, and whether two
worker processes on one machine keep up with the best single process.

    .venv/bin/python bench/bench_flows.py                      # 50 calls; throughput on 20
    .venv/bin/python bench/bench_flows.py --calls 6 --throughput-calls 6   # a quick check
    .venv/bin/python bench/bench_flows.py --skip-throughput --out flows.json
    .venv/bin/python bench/bench_flows.py --skip-overhead --skip-throughput \
        --concurrency-calls 6 --repeats 2                      # auto vs hand-picked only

1. Overhead. The same ~60 s stereo calls go through (a) the bare pipeline (decode from bytes
   → transcribe_call → Analyser.analyse, models loaded once, nothing written) and (b)
   ``run_batch`` (listing, Prefect task runs, ledger, metadata, transcript/analysis JSON,
   redacted Ogg/Opus, database writes) on a fresh SQLite store and a fresh folder. The
   batch is split in blocks and run a, b, a, b, … so drift on a shared machine hits both
   alike. Prefect's ephemeral API start-up and the model loads happen once per process,
   not per call: both are done before the clock starts and reported on their own.
2. Throughput. ``callqa process FOLDER`` as a single process (2 CPU threads, and 1 for
   reference) against two such processes started together on one folder and one store
   (1 thread each), each on a fresh copy; the store is then checked: every call done
   exactly once, and both workers did some.

3. Concurrency. ``run_batch`` (what ``callqa process`` runs) at ``concurrency = "auto"``
   (the default) against hand-picked workers x threads (1 x 2, the default before
   ``auto``; 2 x 1; 2 x 2), each on a fresh copy, interleaved over ``--repeats`` rounds
   (the order rotating), medians of calls per minute over the batch's own time; prints
   auto / best hand-picked (target >= 0.95) and auto / 1 x 2 (target >= 1.4).

The five distinct calls are synthesised once (Kokoro TTS) under ``$CALLQA_CACHE/bench``;
batches are copies under different names, in ``--work`` (default
``$CALLQA_CACHE/bench-flows``, outside the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OVERHEAD_TARGET = 0.05
THROUGHPUT_TARGET = 0.90
AUTO_VS_BEST_TARGET = 0.95
AUTO_VS_OLD_DEFAULT_TARGET = 1.4
CALL_SECONDS = 60.0


# --- the calls ------------------------------------------------------------------------
def _first_seconds(lines: Sequence[Any], seconds: float) -> list[Any]:
    """The opening lines of a script, up to about ``seconds`` of speech."""
    from synth.long_calls import estimate_seconds

    kept: list[Any] = []
    for line in lines:
        if kept and estimate_seconds([*kept, line]) > seconds:
            break
        kept.append(line)
    return kept


def call_scripts() -> dict[str, list[Any]]:
    """Five different ~60 s conversations: the long-call builder and four bank scripts
    (two with identity checks, so that redaction — and the redacted audio — has work)."""
    from synth.long_calls import long_call
    from synth.scripts import SCRIPTS

    return {
        "long-60s": long_call(CALL_SECONDS),
        "card-bill": _first_seconds(SCRIPTS["enquiry_card_bill"], CALL_SECONDS),
        "deposit-rate": _first_seconds(SCRIPTS["enquiry_deposit_rate"], CALL_SECONDS),
        # these two speak faster than the estimate: asked for more, they come out ~60 s
        "card-loss": _first_seconds(SCRIPTS["card_loss"], 75),
        "transfer-limit": _first_seconds(SCRIPTS["transfer_limit"], 66),
    }


def prepare_calls() -> list[Path]:
    """The distinct recordings, synthesised on first use and cached."""
    from models.cache import cache_dir
    from synth.calls import build_call, write_call

    folder = cache_dir("bench")
    paths = []
    for name, lines in call_scripts().items():
        path = folder / f"flows-{name}.wav"
        if not path.is_file():
            print(f"synthesising {name} ...", file=sys.stderr, flush=True)
            write_call(build_call(f"flows-{name}", lines, layout="stereo"), path)
        paths.append(path)
    return paths


def make_batch(calls: Sequence[Path], folder: Path, count: int, first: int = 0) -> list[Path]:
    """``count`` recordings in a fresh ``folder``: the calls in turn, each copy under its
    own name with a sidecar (agent, start time) as a recorder would leave it."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    paths = []
    for i in range(first, first + count):
        source = calls[i % len(calls)]
        path = folder / f"call-{i:04d}-{source.stem.removeprefix('flows-')}.wav"
        shutil.copyfile(source, path)
        meta = {"agent_id": f"A{100 + i % 7}", "started_at": f"2026-03-{1 + i % 28:02d}T09:30:00"}
        path.with_suffix(".meta.json").write_text(json.dumps(meta), encoding="utf-8")
        paths.append(path)
    return paths


# --- stage clocks inside run_batch ----------------------------------------------------
class StageClock:
    """Seconds spent in each wrapped function, summed (thread-safe enough: one call at a
    time in these runs, and a lost float update would only blur a breakdown)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start

        return timed


@contextmanager
def instrumented() -> Iterator[StageClock]:
    """Wraps the steps of ``CallWorker.handle`` in clocks for the length of the block.

    The bench only measures: the functions are restored afterwards, and the wrappers
    cost microseconds against seconds of work.
    """
    import pipeline.audio
    import pipeline.call
    from flows import ledger, naming, storing, work
    from pipeline.analyze import Analyser
    from storage.local import LocalStore

    clock = StageClock()
    targets = [
        (work.CallWorker, "handle", "handle (all)"),
        (work.CallWorker, "recordings", "listing"),
        (LocalStore, "stat", "stat"),
        (naming.CallNaming, "metadata", "metadata"),
        (storing, "_write_results", "results write"),
        (storing, "_store", "db write"),
        (ledger, "claim", "ledger claim"),
        (work, "redacted_audio", "redacted audio"),
        (pipeline.audio, "decode", "decode"),
        (pipeline.call, "transcribe_call", "transcribe"),
        (Analyser, "analyse", "analyse"),
    ]
    originals = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in targets]
    for (owner, attr, name), (_, _, fn) in zip(targets, originals, strict=True):
        setattr(owner, attr, clock.wrap(name, fn))
    try:
        yield clock
    finally:
        for owner, attr, fn in originals:
            setattr(owner, attr, fn)


# --- 1. overhead per call ---------------------------------------------------------------
def children_cpu_s() -> float:
    """CPU seconds used so far by this process's live children (Prefect's ephemeral API
    server runs as one): on 2 cores, whatever it burns is taken from transcription."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for listing in Path("/proc/self/task").glob("*/children"):
        for pid in listing.read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # it ended meanwhile
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


@dataclass
class Overhead:
    calls: int = 0
    audio_s: float = 0.0
    bare_s: float = 0.0
    batch_s: float = 0.0
    bare_cpu_s: float = 0.0  # this process's CPU time during (a)
    batch_cpu_s: float = 0.0  # ... and during (b)
    server_cpu_s: float = 0.0  # the Prefect API server's CPU time during (b)
    prefect_startup_s: float = 0.0
    model_load_s: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    blocks: list[dict[str, float]] = field(default_factory=list)

    @property
    def per_call_s(self) -> float:
        return (self.batch_s - self.bare_s) / self.calls

    @property
    def ratio(self) -> float:
        return (self.batch_s - self.bare_s) / self.bare_s


def _settings(data_dir: Path, **overrides: Any) -> Any:
    """Settings for one call at a time (the overhead runs), workers and threads fixed as
    ``run_batch(..., concurrency=1)`` fixes them, so that the preloaded worker is its."""
    from core.config import load_settings
    from pipeline.configured import resolve_concurrency

    return resolve_concurrency(load_settings(data_dir=data_dir, **overrides), 1)[0]


def _loaded_worker(folder: Path, settings: Any) -> Any:
    """The worker ``run_batch`` will use for ``folder``, with its models loaded, so that
    loading is not counted as per-call work."""
    from flows.work import open_worker

    worker = open_worker(str(folder), settings)
    worker.processor.models.diarizer()  # lazily loaded otherwise: a mono call would pay it
    _ = worker.processor.analyser
    return worker


def bare_pipeline(worker: Any, paths: Sequence[Path]) -> float:
    """(a): the computation alone, as ``CallWorker._process`` does it, nothing else."""
    from core.call_metadata import CallMetadata

    processor = worker.processor
    total = 0.0
    for path in paths:
        data = path.read_bytes()  # reading the file is storage's part: (b) pays it
        sidecar = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
        meta = CallMetadata(call_id=path.stem, **sidecar)
        start = time.perf_counter()
        processor.process(data, meta, name=str(path))
        total += time.perf_counter() - start
    return total


def prefect_warm_up(calls: Sequence[Path], work: Path) -> tuple[float, float]:
    """Starts Prefect's ephemeral API (once per process) with a 1-call batch; returns
    (API start-up + first flow run, first model load), each in seconds."""
    from flows.process import run_batch

    folder = work / "warm-up"
    make_batch(calls, folder, 1)
    shutil.rmtree(work / "warm-up-data", ignore_errors=True)  # else: skipped as done
    settings = _settings(work / "warm-up-data")
    start = time.perf_counter()
    worker = _loaded_worker(folder, settings)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    summary = run_batch(str(folder), settings, concurrency=1, worker=worker)
    elapsed = time.perf_counter() - start
    if summary.count("processed") != 1:
        raise SystemExit(f"warm-up batch failed: {summary.reports}")
    return elapsed - summary.reports[0].seconds, loaded


def measure_overhead(calls: Sequence[Path], work: Path, count: int, blocks: int) -> Overhead:
    """a, b, a, b … over ``blocks`` parts of a ``count``-call batch (fresh store)."""
    from flows.process import run_batch

    result = Overhead(calls=count)
    print("starting Prefect's ephemeral API (warm-up batch of 1 call) ...", file=sys.stderr)
    result.prefect_startup_s, result.model_load_s = prefect_warm_up(calls, work)
    data_dir = work / "overhead-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = _settings(data_dir)
    sizes = [count // blocks + (1 if i < count % blocks else 0) for i in range(blocks)]
    folders, first = [], 0
    for i, size in enumerate(sizes):
        folder = work / f"overhead-{i}"
        folders.append((folder, make_batch(calls, folder, size, first)))
        first += size
    workers = [_loaded_worker(folder, settings) for folder, _ in folders]
    stages: dict[str, float] = defaultdict(float)
    for i, ((folder, paths), worker) in enumerate(zip(folders, workers, strict=True)):
        print(f"block {i + 1}/{blocks}: a (bare) on {len(paths)} calls ...", file=sys.stderr)
        cpu = time.process_time()
        bare = bare_pipeline(worker, paths)
        result.bare_cpu_s += time.process_time() - cpu
        print(f"block {i + 1}/{blocks}: b (run_batch) on {len(paths)} calls ...", file=sys.stderr)
        cpu, server = time.process_time(), children_cpu_s()
        with instrumented() as clock:
            start = time.perf_counter()
            summary = run_batch(str(folder), settings, concurrency=1, worker=worker)
            batch = time.perf_counter() - start
        result.batch_cpu_s += time.process_time() - cpu
        result.server_cpu_s += children_cpu_s() - server
        if summary.count("processed") != len(paths):
            raise SystemExit(f"block {i + 1}: not every call processed: {summary.reports}")
        for name, seconds in clock.seconds.items():
            stages[name] += seconds
        stages["batch wall"] += batch
        result.bare_s += bare
        result.batch_s += batch
        result.audio_s += summary.audio_s
        result.blocks.append({"calls": len(paths), "bare_s": bare, "batch_s": batch})
    result.stages = overhead_breakdown(stages)
    return result


def overhead_breakdown(stages: dict[str, float]) -> dict[str, float]:
    """Where (b)'s time goes: the computation, each storage step, and what is left to
    Prefect (task runs, states, futures) and the ledger's transactions."""
    s = stages
    compute = s["decode"] + s["transcribe"] + s["analyse"]
    steps = s["metadata"] + s["redacted audio"] + s["results write"] + s["db write"]
    return {
        "compute in b (decode+transcribe+analyse)": compute,
        "redacted audio (Ogg/Opus encode)": s["redacted audio"],
        "results write (JSON + Ogg files)": s["results write"],
        "db write (save_call + ledger finish)": s["db write"],
        "metadata (sidecar read)": s["metadata"],
        "ledger claim (+ its commit, fetch, provenance)": s["handle (all)"] - compute - steps,
        "listing + stat (content hashes)": s["listing"] + s["stat"],
        "Prefect (flow + task runs)": s["batch wall"]
        - s["handle (all)"]
        - s["listing"]
        - s["stat"],
    }


# --- 2. throughput: worker processes ------------------------------------------------------
@dataclass
class Throughput:
    label: str
    processes: int
    threads: int
    calls: int
    wall_s: float
    startup_s: list[float]
    done_by: dict[str, int]
    exactly_once: bool

    @property
    def calls_per_min(self) -> float:
        return 60 * self.calls / self.wall_s


_FLOW_SECONDS = re.compile(r"failed \(([\d.]+) s\)")


def _callqa() -> str:
    """The ``callqa`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "callqa"
    return str(script) if script.is_file() else "callqa"


def run_processes(
    label: str, folder: Path, data_dir: Path, processes: int, threads: int
) -> Throughput:
    """``processes`` × ``callqa process folder`` started together on one store; wall time
    from the first start to the last end."""
    env = os.environ | {
        "CALLQA_DATA_DIR": str(data_dir),
        "CALLQA_CPU_THREADS": str(threads),
        "CALLQA_CONCURRENCY": "1",  # one call at a time in each process
        "COLUMNS": "200",  # one summary line, whatever the terminal
    }
    start = time.perf_counter()
    running = [
        subprocess.Popen(
            [_callqa(), "process", str(folder)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(processes)
    ]
    startups = []
    for proc in running:
        out, _ = proc.communicate()
        ended = time.perf_counter() - start
        flow = _FLOW_SECONDS.search(out)
        if proc.returncode != 0 or flow is None:
            raise SystemExit(f"{label}: callqa process failed ({proc.returncode}):\n{out}")
        # what the process spent outside its flow: imports, Prefect's API, shutdown
        startups.append(ended - float(flow.group(1)))
    wall = time.perf_counter() - start
    expected = _count_recordings(folder)
    done_by, once = check_store(data_dir, expected)
    return Throughput(label, processes, threads, expected, wall, startups, done_by, once)


def _count_recordings(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.suffix == ".wav")


def check_store(data_dir: Path, expected: int) -> tuple[dict[str, int], bool]:
    """Calls done per worker process (host:pid), and whether each recording was stored
    exactly once: one 'done' ledger row and one call row per recording."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data_dir / 'callqa.db'}")
    with engine.connect() as db:
        rows = db.execute(text("SELECT status, claimed_by FROM processed_recordings")).all()
        stored = db.scalar(text("SELECT COUNT(*) FROM calls"))
    engine.dispose()
    done_by: dict[str, int] = defaultdict(int)
    for status, claimed_by in rows:
        if status == "done":
            done_by[":".join(str(claimed_by).split(":")[:2])] += 1
    once = len(rows) == expected == stored and sum(done_by.values()) == expected
    return dict(done_by), once


def measure_throughput(calls: Sequence[Path], work: Path, count: int) -> list[Throughput]:
    """One process at 2 threads, two processes at 1 thread each, one process at 1 thread."""
    runs = [
        ("single process, 2 threads", 1, 2),
        ("two processes, 1 thread each", 2, 1),
        ("single process, 1 thread", 1, 1),
    ]
    results = []
    for i, (label, processes, threads) in enumerate(runs):
        print(f"throughput: {label} on {count} calls ...", file=sys.stderr, flush=True)
        folder, data_dir = work / f"throughput-{i}", work / f"throughput-{i}-data"
        make_batch(calls, folder, count)
        shutil.rmtree(data_dir, ignore_errors=True)
        results.append(run_processes(label, folder, data_dir, processes, threads))
    return results


# --- 3. concurrency: auto against hand-picked workers x threads ----------------------------
CONCURRENCY_RUNS: tuple[tuple[str, str, int | None], ...] = (
    ("auto", "auto", None),
    ("1 x 2 (default before auto)", "1", 2),
    ("2 x 1", "2", 1),
    ("2 x 2", "2", 2),
)


@dataclass
class ConcurrencyRun:
    label: str
    calls: int
    flow_s: list[float] = field(default_factory=list)
    chosen: str = ""

    @property
    def calls_per_min(self) -> float:
        return 60 * self.calls / statistics.median(self.flow_s)


def measure_concurrency(
    calls: Sequence[Path], work: Path, count: int, repeats: int, settings_count: int
) -> list[ConcurrencyRun]:
    """Each setting's ``run_batch`` (what ``callqa process --concurrency`` runs) on a fresh
    copy and store, in this process (one Prefect API for all: its start-up is the same for
    every setting and not what is compared), every setting once per round, the order
    rotating (A B C, B C A, ...); the models of each setting are loaded before the clock."""
    from flows.process import run_batch
    from models.whisper import load_whisper
    from pipeline.configured import resolve_concurrency, whisper_config

    chosen = CONCURRENCY_RUNS[:settings_count]
    runs = [ConcurrencyRun(label, count) for label, _, _ in chosen]
    for _, workers, threads in chosen:
        resolved, _ = resolve_concurrency(_plain_settings(work, threads), workers)
        load_whisper(whisper_config(resolved))
    # the process's first batch starts Prefect's API and loads the analysis: not per setting
    print("concurrency: warm-up batch of 1 call ...", file=sys.stderr, flush=True)
    make_batch(calls, work / "concurrency-warm-up", 1)
    shutil.rmtree(work / "concurrency-warm-up-data", ignore_errors=True)
    run_batch(
        str(work / "concurrency-warm-up"),
        _plain_settings(work / "concurrency-warm-up-data", None),
        concurrency=1,
    )
    for round_ in range(repeats):
        order = list(range(len(chosen)))
        order = order[round_ % len(order) :] + order[: round_ % len(order)]
        for i in order:
            label, workers, threads = chosen[i]
            print(
                f"concurrency round {round_ + 1}/{repeats}: {label} on {count} calls"
                f" (load {os.getloadavg()[0]:.1f}) ...",
                file=sys.stderr,
                flush=True,
            )
            # a new folder and store each time: a worker (and its store) is kept per folder
            folder = work / f"concurrency-{i}-round-{round_}"
            data_dir = work / f"concurrency-{i}-round-{round_}-data"
            make_batch(calls, folder, count)
            shutil.rmtree(data_dir, ignore_errors=True)
            settings = _plain_settings(data_dir, threads)
            summary = run_batch(str(folder), settings, concurrency=workers)
            if summary.count("processed") != count:
                raise SystemExit(f"{label}: not every call processed: {summary.reports}")
            runs[i].flow_s.append(summary.seconds)
            runs[i].chosen = summary.concurrency
            print(f"  {summary.seconds:.1f} s: {summary.concurrency}", file=sys.stderr, flush=True)
    return runs


def _plain_settings(data_dir: Path, threads: int | None) -> Any:
    from core.config import load_settings

    return load_settings(data_dir=data_dir, cpu_threads=threads)


def _concurrency_report(console: Any, runs: Sequence[ConcurrencyRun]) -> dict[str, Any]:
    from rich.table import Table

    table = Table(
        title=f"calls per minute by concurrency ({runs[0].calls} x ~60 s stereo calls, medians)"
    )
    for column in ("setting", "ran as", "flow s (each round)", "calls/min", "vs 1 x 2"):
        table.add_column(column)
    old_default = runs[1].calls_per_min
    for r in runs:
        table.add_row(
            r.label,
            r.chosen.split(" (")[0],
            ", ".join(f"{s:.1f}" for s in r.flow_s),
            f"{r.calls_per_min:.2f}",
            f"{r.calls_per_min / old_default:.3f}",
        )
    console.print(table)
    auto = runs[0]
    best = max(runs[1:], key=lambda r: r.calls_per_min)
    vs_best, vs_old = auto.calls_per_min / best.calls_per_min, auto.calls_per_min / old_default
    passed = vs_best >= AUTO_VS_BEST_TARGET and vs_old >= AUTO_VS_OLD_DEFAULT_TARGET
    console.print(
        f"auto chose: {auto.chosen}\n"
        f"auto / best hand-picked ({best.label}) = {vs_best:.3f} (target >= {AUTO_VS_BEST_TARGET});"
        f" auto / 1 x 2 = {vs_old:.3f} (target >= {AUTO_VS_OLD_DEFAULT_TARGET}): "
        f"{'[green]PASS[/green]' if passed else '[red]FAIL[/red]'}"
    )
    return {"auto_vs_best": vs_best, "auto_vs_old_default": vs_old, "concurrency": passed}


# --- the report -----------------------------------------------------------------------
def report(
    overhead: Overhead | None,
    throughput: list[Throughput],
    concurrency: Sequence[ConcurrencyRun] = (),
) -> dict[str, Any]:
    from rich.console import Console

    console = Console(width=160)
    verdicts: dict[str, Any] = {}
    if overhead is not None:
        console.print(_overhead_table(overhead))
        passed = overhead.ratio <= OVERHEAD_TARGET
        verdicts["overhead"] = passed
        console.print(
            f"overhead per call {overhead.per_call_s:.3f} s = {overhead.ratio:.1%} of the "
            f"bare pipeline; target <= {OVERHEAD_TARGET:.0%}: "
            f"{'[green]PASS[/green]' if passed else '[red]FAIL[/red]'}"
        )
    if throughput:
        console.print(_throughput_table(throughput))
        two = next(r for r in throughput if r.processes == 2)
        best = max(r.calls_per_min for r in throughput if r.processes == 1)
        ratio = two.calls_per_min / best
        passed = ratio >= THROUGHPUT_TARGET and two.exactly_once and len(two.done_by) == 2
        verdicts["throughput_ratio"] = ratio
        verdicts["throughput"] = passed
        console.print(
            f"two workers / best single process = {ratio:.3f}; target >= {THROUGHPUT_TARGET}"
            f" (and each call once, both workers busy): "
            f"{'[green]PASS[/green]' if passed else '[red]FAIL[/red]'}"
        )
    if concurrency:
        verdicts |= _concurrency_report(console, concurrency)
    return verdicts


def _overhead_table(o: Overhead) -> Any:
    from rich.table import Table

    table = Table(title=f"orchestration + storage overhead, {o.calls} x ~60 s stereo calls")
    table.add_column("measure")
    table.add_column("seconds", justify="right")
    table.add_column("per call", justify="right")
    table.add_column("% of a", justify="right")
    n, a = o.calls, o.bare_s

    def row(name: str, seconds: float, per_call: bool = True) -> None:
        each = f"{seconds / n:.3f}" if per_call else "-"
        table.add_row(name, f"{seconds:.2f}", each, f"{100 * seconds / a:.2f}" if a else "-")

    row(f"audio ({o.audio_s / n:.1f} s a call)", o.audio_s)
    row("a: bare pipeline (decode+transcribe+analyse)", o.bare_s)
    row("b: run_batch (concurrency 1)", o.batch_s)
    row("b - a: overhead", o.batch_s - o.bare_s)
    for name, seconds in o.stages.items():
        row(f"  b: {name}", seconds)
    row("CPU: this process during a", o.bare_cpu_s)
    row("CPU: this process during b", o.batch_cpu_s)
    row("CPU: Prefect API server during b", o.server_cpu_s)
    row("once per process: Prefect API start-up", o.prefect_startup_s, per_call=False)
    row("once per worker: model load", o.model_load_s, per_call=False)
    return table


def _throughput_table(runs: Sequence[Throughput]) -> Any:
    from rich.table import Table

    table = Table(title="batch throughput, callqa process subprocesses")
    columns = ("run", "calls", "wall s", "calls/min", "vs 1st row", "start-up s", "done by")
    for column in columns:
        table.add_column(column)
    for r in runs:
        table.add_row(
            r.label,
            str(r.calls),
            f"{r.wall_s:.1f}",
            f"{r.calls_per_min:.2f}",
            f"{r.calls_per_min / runs[0].calls_per_min:.3f}",
            ", ".join(f"{s:.1f}" for s in r.startup_s),
            ", ".join(f"{v}" for v in r.done_by.values())
            + ("" if r.exactly_once else " [red]NOT exactly once[/red]"),
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="overhead batch size")
    parser.add_argument("--blocks", type=int, default=2, help="a/b alternations (a b a b ...)")
    parser.add_argument("--throughput-calls", type=int, default=20)
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument(
        "--concurrency-calls",
        type=int,
        default=8,
        help="auto vs hand-picked: calls a run (0: skip)",
    )
    parser.add_argument("--repeats", type=int, default=2, help="auto vs hand-picked: rounds")
    parser.add_argument(
        "--concurrency-settings",
        type=int,
        default=len(CONCURRENCY_RUNS),
        help="how many of auto, 1 x 2, 2 x 1, 2 x 2 to run (3: leave out the oversubscribed 2 x 2)",
    )
    parser.add_argument("--work", type=Path, help="scratch folder (default $CALLQA_CACHE/...)")
    parser.add_argument("--out", type=Path, help="write the numbers as JSON here")
    args = parser.parse_args()

    from models.cache import cache_dir

    work = (args.work or cache_dir("bench-flows")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    # Prefect's own database for these runs, apart from the user's (~/.prefect); shared
    # by the in-process runs and the subprocesses, as workers on one machine share it.
    os.environ.setdefault("PREFECT_HOME", str(work / "prefect"))
    # a shared, loaded machine can take minutes to start the API: not what is measured
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    # callqa's Prefect defaults (quiet logs, no analytics) must be set before Prefect is
    # imported; flows.process imports Prefect first, so import them here explicitly.
    import flows.prefect_env  # noqa: F401

    calls = prepare_calls()
    overhead = None
    if not args.skip_overhead:
        overhead = measure_overhead(calls, work, args.calls, max(1, args.blocks))
    throughput = []
    if not args.skip_throughput:
        throughput = measure_throughput(calls, work, args.throughput_calls)
    concurrency: list[ConcurrencyRun] = []
    if args.concurrency_calls:
        concurrency = measure_concurrency(
            calls, work, args.concurrency_calls, args.repeats, args.concurrency_settings
        )
    verdicts = report(overhead, throughput, concurrency)
    if args.out:
        numbers = {
            "overhead": None
            if overhead is None
            else asdict(overhead) | {"per_call_s": overhead.per_call_s, "ratio": overhead.ratio},
            "throughput": [asdict(t) | {"calls_per_min": t.calls_per_min} for t in throughput],
            "concurrency": [asdict(c) | {"calls_per_min": c.calls_per_min} for c in concurrency],
            "verdicts": verdicts,
        }
        args.out.write_text(json.dumps(numbers, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
