"""``callqa process SOURCE``: a bucket (or folder) of recordings into the scorecard store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape  # file names and problems are text, not markup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.errors import CallqaError

if TYPE_CHECKING:
    from core.config import Settings
    from flows.process import BatchSummary
    from flows.work import CallReport


def process(
    source: Annotated[str, typer.Argument(help="s3://bucket/prefix, or a folder of recordings.")],
    concurrency: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on 3.11
        typer.Option(
            "--concurrency",
            "-j",
            help="Calls processed at once: a number, or 'auto' (the default: chosen from the"
            " cores and memory, and printed in the summary).",
        ),
    ] = None,
    store: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Scorecard store URL (default: SQLite in the data folder)."),
    ] = None,
    deployment: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Hand the batch to this Prefect deployment's workers "
            "(e.g. process-batch/callqa) instead of processing here."
        ),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="With --deployment: recordings per flow run.")
    ] = 4,
    config: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--config", "-c", help="TOML settings file."),
    ] = None,
) -> None:
    """Transcribe, analyse and store every new recording at SOURCE, each exactly once."""
    from core.config import load_settings

    console = Console()
    try:
        settings = load_settings(config, store_url=store, concurrency=_concurrency(concurrency))
        from storage.s3_versioning import results_versioning_warning

        unprotected = results_versioning_warning(source, settings)
        if unprotected:
            console.print(f"[yellow]warning:[/yellow] {unprotected}", highlight=False)
        summary = run_with_progress(
            source, settings, console, deployment=deployment, chunk_size=chunk_size
        )
    except CallqaError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    print_summary(console, summary)
    raise typer.Exit(1 if summary.failed else 0)


def _concurrency(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise typer.BadParameter(f"{value!r}: give 'auto' or a whole number >= 1", param_hint="-j")


def run_with_progress(
    source: str,
    settings: Settings,
    console: Console,
    *,
    deployment: str | None = None,
    chunk_size: int = 4,
) -> BatchSummary:
    """Runs the batch with a progress bar: calls done of calls listed, and the latest."""
    from flows.process import run_batch

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    task = progress.add_task(f"listing {source}", total=None)

    class ProgressBar:
        def listed(self, count: int) -> None:
            progress.update(task, total=float(count), description="processing calls")

        def started(self, key: str) -> None:
            progress.update(task, description=f"processing {escape(key)}")

        def done(self, report: CallReport) -> None:
            progress.advance(task)
            if report.status in ("quarantined", "failed"):
                progress.console.print(
                    f"[yellow]{report.status}:[/yellow] {escape(report.key)}: "
                    f"{escape(report.problem or '')}",
                    highlight=False,
                    soft_wrap=True,
                )

    # A CallqaError ending the flow (source not found, S3 down) is printed below as one
    # line naming the location; Prefect would also log it with a full traceback.
    flow_log = logging.getLogger("prefect.flow_runs")
    flow_log.addFilter(_known_errors_reported_by_us)
    try:
        with progress:
            summary = run_batch(
                source,
                settings,
                deployment=deployment,
                chunk_size=chunk_size,
                hook=ProgressBar(),
            )
            progress.update(task, description="done")
    finally:
        flow_log.removeFilter(_known_errors_reported_by_us)
    return summary


def _known_errors_reported_by_us(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], CallqaError))


def print_summary(console: Console, summary: BatchSummary) -> None:
    counts = {
        s: summary.count(s)
        for s in ("processed", "reanalysed", "skipped", "quarantined", "busy", "failed")
    }
    console.print(
        f"[bold]{summary.source}[/bold]: {counts['processed']} processed, "
        f"{counts['reanalysed']} re-analysed (new rule pack or policy), "
        f"{counts['skipped']} skipped as already done, {counts['quarantined']} quarantined, "
        f"{counts['busy']} in progress elsewhere, {counts['failed']} failed "
        f"({summary.seconds:.1f} s)",
        highlight=False,
    )
    if summary.concurrency:
        console.print(f"concurrency: {escape(summary.concurrency)}", highlight=False)
    troubled = [r for r in summary.reports if r.status in ("quarantined", "failed")]
    if troubled:
        table = Table("recording", "status", "reason", title="needs attention")
        for r in sorted(troubled, key=lambda r: r.key):
            table.add_row(escape(r.key), r.status, escape(r.problem or "-"))
        console.print(table)


def deploy(
    pool: Annotated[str, typer.Option(help="Prefect work pool (created if missing).")] = "callqa",
    name: Annotated[str, typer.Option(help="Deployment name.")] = "callqa",
) -> None:
    """Register the process-batch deployment on the Prefect server in PREFECT_API_URL."""
    from flows.deploy import deploy as register_deployment

    full = register_deployment(pool, name)
    Console().print(
        f"deployment [bold]{full}[/bold] on work pool [bold]{pool}[/bold].\n"
        f"On each worker machine: prefect worker start --pool {pool}\n"
        f"Then: callqa process s3://bucket/prefix --deployment {full}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("deploy")(deploy)
