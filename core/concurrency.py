"""How many calls a batch processes at once (workers) and how many CPU threads each call's
models use: ``concurrency = "auto"`` chooses both from the machine when a batch starts.

Why one thread per call: on CPU, Whisper (CTranslate2) and the VAD scale better across
calls than within one: two 1-thread workers did 1.42 x the calls per minute of one
2-thread worker on a 2-core machine (bench/bench_flows.py). So every core gets its own
call, as far as memory allows; cores left over when memory is short go to threads.

The choice itself (``choose_concurrency``) is pure arithmetic on the machine's facts, so
that every machine shape can be tested; ``this_machine`` reads the facts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

GIB = 1 << 30
SAMPLE_RATE = 16_000
# What one process holds however many calls it runs: the interpreter, the libraries, Prefect,
# the models once (measured ~0.55 GiB RSS before a call; rounded up).
PROCESS_BASE_BYTES = 800 << 20
# One call's working memory beside its audio: a recognition window's features, the VAD,
# decoding state, the analysis (bench/bench_transcribe.py: a 1-hour call peaks at ~1 GiB
# with ~0.35 GiB of that its audio).
CALL_WORKING_BYTES = 400 << 20
# Memory kept free for everything else on the machine.
HEADROOM = 0.10


@dataclass(frozen=True)
class Machine:
    """What a batch may use: cores it may run on, memory it may take (bytes)."""

    cores: int
    available_bytes: int


@dataclass(frozen=True)
class ConcurrencyChoice:
    workers: int
    threads: int
    how: str
    """How it was chosen, for the run summary."""

    def describe(self) -> str:
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        threads = f"{self.threads} thread{'s' if self.threads != 1 else ''}"
        return f"{workers} x {threads} ({self.how})"


def call_bytes(model_bytes: int, max_duration_s: float) -> int:
    """The most memory one call may take: its longest allowed recording held as int16
    stereo, one channel of it as float32 while recognised, a model replica's scratch, and
    the working set. The longest call, not the typical one: a batch must survive a
    4-hour recording arriving on every worker at once."""
    samples = int(max_duration_s * SAMPLE_RATE)
    return samples * 2 * 2 + samples * 4 + model_bytes + CALL_WORKING_BYTES


def choose_concurrency(
    machine: Machine,
    *,
    model_bytes: int,
    max_duration_s: float,
    threads: int | None = None,
) -> ConcurrencyChoice:
    """Workers x threads for ``machine``. ``threads`` fixes the threads per call (the
    configured ``cpu_threads``); otherwise each call gets one, or more when memory allows
    fewer workers than cores."""
    cores = max(1, machine.cores)
    per_call = call_bytes(model_bytes, max_duration_s)
    usable = int(machine.available_bytes * (1 - HEADROOM)) - PROCESS_BASE_BYTES - model_bytes
    by_memory = max(1, usable // per_call)
    by_cores = max(1, cores // (threads or 1))
    workers = min(by_cores, by_memory)
    chosen_threads = threads or max(1, cores // workers)
    limit = "memory" if by_memory < by_cores else "cores"
    how = (
        f"auto: {cores} cores, {machine.available_bytes / GIB:.1f} GiB available,"
        f" up to {per_call / GIB:.1f} GiB a call; limited by {limit}"
    )
    return ConcurrencyChoice(workers, chosen_threads, how)


def fixed_concurrency(machine: Machine, workers: int, threads: int | None) -> ConcurrencyChoice:
    """An explicit worker count: threads as configured, else the cores shared among them."""
    chosen = threads or max(1, machine.cores // workers)
    return ConcurrencyChoice(workers, chosen, "configured")


def this_machine() -> Machine:
    """The cores this process may run on (CPU affinity, and a cgroup CPU quota) and the
    memory available (MemAvailable, and a cgroup memory limit), read now."""
    cores = len(os.sched_getaffinity(0))
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cores = max(1, min(cores, int(quota)))
    available = _meminfo_available()
    limit = _cgroup_memory_left()
    if limit is not None:
        available = min(available, limit)
    return Machine(cores, available)


def usable_cores() -> int:
    return this_machine().cores


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _cgroup_cpu_quota() -> float | None:
    text = _read("/sys/fs/cgroup/cpu.max")  # cgroup v2: "max 100000" or "200000 100000"
    if not text or text.startswith("max"):
        return None
    quota, period = text.split()[:2]
    return int(quota) / int(period)


def _meminfo_available() -> int:
    text = _read("/proc/meminfo") or ""
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 4 * GIB  # no /proc: assume a small machine rather than a large one


def _cgroup_memory_left() -> int | None:
    limit = _read("/sys/fs/cgroup/memory.max")
    used = _read("/sys/fs/cgroup/memory.current")
    if not limit or limit == "max" or not used:
        return None
    return max(0, int(limit) - int(used))
