"""The Prefect flows: a bucket of recordings → the scorecard store, each call exactly once.

``process_bucket`` lists the recordings at a source and runs ``process_call`` for each, a
configurable number at a time, in this process (the embedded default: Prefect's ephemeral
API, no server). With ``deployment=...`` it instead splits the batch into chunks and hands
each to the ``process-batch`` deployment, which workers on other machines pull from a work
pool. Either way the ledger (flows.ledger) makes a rerun, a kill or a race harmless.

Nothing is kept in module globals: ``run_batch`` opens the batch's worker from typed
``Settings`` and builds the flow around it and the command's ``BatchHook`` (a progress
bar); flow-run parameters carry the settings without secrets, which a deployment's worker
completes from its own environment.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from prefect import Flow, Task, flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from core.config import Settings, load_settings
from core.urls import has_password
from flows.work import CallReport, CallWorker, open_worker
from storage.database import TRANSIENT_STORE_ERRORS
from storage.objects import StorageUnavailable
from storage.results import utcnow


class BatchHook(Protocol):
    """Follows a batch in this process (the command's progress bar): how many recordings
    were listed, which one a worker started, and each call's report as it ends."""

    def listed(self, count: int) -> None: ...

    def started(self, key: str) -> None: ...

    def done(self, report: CallReport) -> None: ...


class NoHook:
    """A batch nobody follows (the deployment's chunks, library callers)."""

    def listed(self, count: int) -> None:
        pass

    def started(self, key: str) -> None:
        pass

    def done(self, report: CallReport) -> None:
        pass


SECRETS = ("s3_access_key", "s3_secret_key")


def parameters_for(settings: Settings) -> dict[str, Any]:
    """The settings as flow-run parameters, without secrets: what the Prefect API stores
    and what a deployment's worker rebuilds its settings from (its secrets come from its
    own environment or callqa.toml)."""
    exclude = set(SECRETS)
    if settings.store_url and has_password(settings.store_url):
        exclude.add("store_url")
    params = settings.model_dump(mode="json", exclude=exclude)
    return {k: v for k, v in params.items() if v is not None}


# --- retries: storage and database I/O only; a bad recording is quarantined, not retried --
_RETRIED: tuple[type[Exception], ...] = (StorageUnavailable, *TRANSIENT_STORE_ERRORS)


def _transient(_task: Any, _run: Any, state: Any) -> bool:
    try:
        state.result(raise_on_failure=True)
    except _RETRIED:
        return True
    except Exception:
        return False
    return False


def _call_task(worker: CallWorker, hook: BatchHook) -> Task[[str], CallReport]:
    """The ``process-call`` task for one batch: fetch → transcribe → analyse → store one
    recording with ``worker`` (or skip it, as the ledger says). Retries: storage and
    database I/O only; a bad recording is quarantined, not retried."""

    @task(
        name="process-call",
        task_run_name="{key}",
        retries=3,
        retry_delay_seconds=[2, 10, 30],
        retry_condition_fn=_transient,
        cache_policy=NO_CACHE,
    )
    def process_call(key: str) -> CallReport:
        hook.started(key)
        return worker.handle(worker.source.stat(key))

    return process_call


@dataclass
class BatchSummary:
    source: str
    reports: list[CallReport] = field(default_factory=list)
    failed: list[CallReport] = field(default_factory=list)
    seconds: float = 0.0
    concurrency: str = ""
    """Workers x threads the batch ran with, and how they were chosen."""

    def count(self, status: str) -> int:
        return sum(1 for r in self.reports if r.status == status)

    @property
    def audio_s(self) -> float:
        return sum(r.audio_s for r in self.reports)


def _failure(key: str, exc: BaseException) -> CallReport:
    return CallReport(key, "failed", problem=f"{type(exc).__name__}: {exc}")


def _bucket_flow(worker: CallWorker, hook: BatchHook) -> Flow[..., BatchSummary]:
    """The ``process-bucket`` flow for one batch: the worker (typed settings, models,
    connections) and the hook are held here, not in module globals; the flow run's
    parameters are the settings without secrets, as a deployment receives them."""
    process_call = _call_task(worker, hook)

    @flow(name="process-bucket", log_prints=True)
    def process_bucket(
        source: str,
        settings: dict[str, Any],
        deployment: str | None = None,
        chunk_size: int = 4,
    ) -> BatchSummary:
        """Every new recording at ``source`` processed once; returns what became of each."""
        started = time.perf_counter()
        keys = [obj.key for obj in worker.recordings()]
        hook.listed(len(keys))
        summary = BatchSummary(source)
        if deployment:
            summary.reports = _run_on_workers(worker, keys, settings, deployment, chunk_size, hook)
        else:
            futures = {process_call.submit(key): key for key in keys}
            for future in as_completed(list(futures)):
                try:
                    report = future.result()
                except Exception as exc:  # retries spent: say so, go on with the batch
                    report = _failure(futures[future], exc)
                summary.reports.append(report)
                hook.done(report)
        summary.failed = [r for r in summary.reports if r.status == "failed"]
        summary.seconds = time.perf_counter() - started
        return summary

    return process_bucket


@flow(name="process-batch")
def process_batch(source: str, keys: list[str], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """A chunk of a batch, on whichever worker pulled it: the deployment's entry point.
    Settings are rebuilt from the parameters and this machine's own environment (secrets
    are never flow-run parameters)."""
    process_call = _call_task(open_worker(source, load_settings(None, **settings)), NoHook())
    reports = []
    for key in keys:
        try:
            report = process_call(key)
        except Exception as exc:
            report = _failure(key, exc)
        reports.append(report.__dict__ | {"flags": list(report.flags)})
    return reports


def _run_on_workers(
    worker: CallWorker,
    keys: Sequence[str],
    settings: dict[str, Any],
    deployment: str,
    chunk_size: int,
    hook: BatchHook,
) -> list[CallReport]:
    """One flow run of the deployment per chunk; waits for all, then reads what became of
    each recording from the ledger (the workers' return values stay on their machines)."""
    from prefect.deployments import run_deployment

    since = utcnow()
    source = worker.source_location
    chunks = [list(keys[i : i + chunk_size]) for i in range(0, len(keys), chunk_size)]
    runs: list[Any] = [
        run_deployment(
            deployment,
            parameters={"source": source, "keys": chunk, "settings": settings},
            timeout=0,
            as_subflow=False,
        )
        for chunk in chunks
    ]
    ended = {run.id: _wait_for(run.id) for run in runs}
    reports = []
    for run, chunk in zip(runs, chunks, strict=True):
        for key in chunk:
            report = worker.outcome_since(key, since)
            if report.status == "failed" and ended[run.id]:
                report = CallReport(key, "failed", problem=ended[run.id])
            reports.append(report)
            hook.done(report)
    return reports


def _wait_for(run_id: Any, poll_s: float = 1.0) -> str | None:
    """Waits for a flow run to end; None if it completed, else what went wrong."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run_id)
            if run.state is not None and run.state.is_final():
                break
            time.sleep(poll_s)
    if run.state is not None and run.state.is_completed():
        return None
    return f"flow run {run.name} ended {run.state.name if run.state else 'without a state'}"


def run_batch(
    source: str,
    settings: Settings,
    *,
    concurrency: int | str | None = None,
    deployment: str | None = None,
    chunk_size: int = 4,
    hook: BatchHook | None = None,
    worker: CallWorker | None = None,
) -> BatchSummary:
    """Runs ``process-bucket`` with the configured concurrency: ``auto`` (the default) or a
    number of calls at once, threads in this process sharing one copy of the models. With a
    deployment each worker machine runs its chunks one call at a time, on all its cores.
    ``hook`` follows the batch; ``worker``, one already opened for ``source`` (its models
    perhaps loaded), is used instead of opening one."""
    from pipeline.configured import resolve_concurrency

    how, workers = "each deployment worker: one call at a time", 1
    if not deployment:
        settings, choice = resolve_concurrency(settings, concurrency)
        how, workers = choice.describe(), choice.workers
    runner: Any = ThreadPoolTaskRunner(max_workers=workers)
    worker = worker or open_worker(source, settings)
    configured = _bucket_flow(worker, hook or NoHook()).with_options(task_runner=runner)
    summary = configured(
        source,
        parameters_for(settings),
        deployment=deployment,
        chunk_size=chunk_size,
    )
    summary.concurrency = how
    return summary
