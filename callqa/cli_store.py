"""``callqa backup``, ``restore``, ``retention`` and ``hold``: looking after the scorecard
store (policy §6.2: regular backups; how long records are kept; legal holds)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from callqa.cli_common import ConfigOption, StoreOption, actor, fail, open_store, store_url
from core.errors import CallqaError

if TYPE_CHECKING:
    from storage.database import Session
    from storage.retention import RetentionPlan

T = TypeVar("T")
ByOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--by", help="Who does this, for the audit log (default: cli:<os user>)."),
]

hold_app = typer.Typer(
    help="Legal holds: calls that retention must keep, whatever their age.", no_args_is_help=True
)


def _who(by: str | None) -> str:
    return by or actor()


def _steps(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    )


def backup(
    dest: Annotated[Path, typer.Argument(help="Folder to write the backup into (created).")],
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Back up the scorecard store, with a manifest beside the dump.

    SQLite: a consistent copy by the online backup API; PostgreSQL: pg_dump -Fc. The
    manifest names the schema revision, the rows per table and the dump's SHA-256.
    """
    from storage.backup import backup as make_backup

    url = store_url(store, config)
    console = Console()
    try:
        with _steps(console) as progress:
            task = progress.add_task("starting", total=None)
            made = make_backup(url, dest, lambda step: progress.update(task, description=step))
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    m = made.manifest
    console.print(
        f"backup of [bold]{m.store}[/bold] ({m.engine}, schema {m.revision}): "
        f"{made.dump} ({m.bytes:,} bytes, SHA-256 {m.sha256[:16]}…)\n"
        f"manifest: {made.manifest_path}",
        highlight=False,
    )
    console.print(_rows_table(m.rows, "rows backed up"))


def restore(
    src: Annotated[Path, typer.Argument(help="A backup folder (its newest), manifest or dump.")],
    store: StoreOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a store that already holds data.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Restore a backup into the store, checked before and after.

    The dump's SHA-256 must match its manifest; the restored store must pass its integrity
    check, be at the current schema and hold the rows the manifest counted. Stop the
    console and batches on that store first.
    """
    from storage.backup import restore as run_restore

    url = store_url(store, config)
    console = Console()
    try:
        with _steps(console) as progress:
            task = progress.add_task("starting", total=None)
            report = run_restore(
                src, url, force=force, progress=lambda s: progress.update(task, description=s)
            )
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    m = report.backup.manifest
    migrated = f", migrated from schema {report.migrated_from}" if report.migrated_from else ""
    console.print(
        f"restored {report.backup.dump.name} (taken {m.created_at}) into "
        f"[bold]{report.store}[/bold]{migrated}",
        highlight=False,
    )
    console.print(_rows_table(m.rows, "rows restored"))
    if report.problems:
        for problem in report.problems:
            console.print(f"[red]check failed:[/red] {problem}", highlight=False)
        raise typer.Exit(1)
    console.print("[green]check passed[/green]: integrity, schema at head, rows as backed up")


def _rows_table(rows: dict[str, int], title: str) -> Table:
    table = Table("table", "rows", title=title)
    for name, count in sorted(rows.items()):
        table.add_row(name, f"{count:,}")
    return table


def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what is past its period.")
    ] = False,
    apply_: Annotated[
        bool, typer.Option("--apply", help="Remove (or archive) what is past its period.")
    ] = False,
    now: Annotated[
        Optional[datetime],  # noqa: UP045
        typer.Option("--now", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Judge as of."),
    ] = None,
    archive: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--archive", help="With --apply: write what is removed to JSONL here."),
    ] = None,
    policy: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--policy", help="Policy file with the periods (default: configured)."),
    ] = None,
    store: StoreOption = None,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Find or remove what is past the policy's retention periods.

    Results, transcripts and audit rows, each by its period in the policy file; calls
    under legal hold (callqa hold add) are kept. --apply writes an audit entry per kind.
    """
    from core.config import load_settings
    from rules.policy import load_policy
    from storage import retention as rules

    if dry_run == apply_:
        raise fail("give exactly one of --dry-run or --apply")
    if archive is not None and not apply_:
        raise fail("--archive goes with --apply")
    try:
        periods = load_policy(policy or load_settings(config).policy_file).retention
        opened = open_store(store, config)
        try:
            with opened.session() as session:
                if apply_:
                    found = rules.apply(session, periods, by=_who(by), now=now, archive=archive)
                else:
                    found = rules.plan(session, periods, now)
        finally:
            opened.close()
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    console = Console()
    console.print(_plan_table(found, applied=apply_))
    if apply_:
        where = f"; archived to {archive}" if archive else ""
        console.print(f"removed what was past its period, one audit entry per kind{where}")


def _plan_table(found: RetentionPlan, *, applied: bool) -> Table:
    table = Table(
        "kind",
        "period (days)",
        "before",
        "removed" if applied else "past period",
        "kept: legal hold",
        "examples",
        title=f"retention as of {found.now:%Y-%m-%d %H:%M} UTC",
    )
    for kind in found.kinds.values():
        table.add_row(
            kind.kind,
            str(kind.days),
            f"{kind.cutoff:%Y-%m-%d}",
            str(kind.count),
            str(kind.held),
            "\n".join(kind.examples) or "-",
        )
    return table


@hold_app.command("add")
def hold_add(
    call_id: Annotated[str, typer.Argument(help="The call to keep.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (a case number, a request).")],
    store: StoreOption = None,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Put a call under legal hold: retention keeps it and its audit rows."""
    from storage.retention import add_hold

    _with_store(store, config, lambda s: add_hold(s, call_id, reason, _who(by)))
    Console().print(f"call {call_id}: under legal hold ({reason})", highlight=False)


@hold_app.command("remove")
def hold_remove(
    call_id: Annotated[str, typer.Argument(help="The call to release.")],
    store: StoreOption = None,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Release a call's legal hold: retention treats it like any other again."""
    from storage.retention import remove_hold

    _with_store(store, config, lambda s: remove_hold(s, call_id, _who(by)))
    Console().print(f"call {call_id}: legal hold removed", highlight=False)


@hold_app.command("list")
def hold_list(store: StoreOption = None, config: ConfigOption = None) -> None:
    """List the calls under legal hold."""
    from storage.retention import holds

    table = Table("call", "reason", "placed by", "placed at (UTC)", title="legal holds")
    for hold in _with_store(store, config, holds):
        table.add_row(hold.call_id, hold.reason, hold.placed_by, f"{hold.placed_at:%Y-%m-%d %H:%M}")
    Console().print(table)


def _with_store(store: str | None, config: Path | None, work: Callable[[Session], T]) -> T:
    opened = open_store(store, config)
    try:
        with opened.session() as session:
            return work(session)
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    finally:
        opened.close()


def register(app: typer.Typer) -> None:
    """Add ``callqa backup``, ``restore``, ``retention`` and ``hold ...``."""
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("retention")(retention)
    app.add_typer(hold_app, name="hold")
