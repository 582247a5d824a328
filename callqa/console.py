"""What a person sees on the terminal: progress bars and readable transcripts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from core.progress import ProgressHook
from core.transcript import Transcript

ROLE_STYLE = {"agent": "bold cyan", "customer": "bold yellow"}


def clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def print_transcript(console: Console, transcript: Transcript) -> None:
    audio, roles = transcript.audio, transcript.roles
    who = ""
    if roles is not None:
        who = f"; agent = {roles.agent or '?'} ({roles.method}, confidence {roles.confidence:.2f})"
    console.print(
        f"[bold]{transcript.call_id}[/bold]  {audio.channels} ch, {audio.duration:.1f} s,"
        f" {transcript.language or '?'}{who}"
    )
    if not transcript.turns:
        console.print("  [dim](no intelligible speech)[/dim]")
    for turn in transcript.turns:
        mark = " [red]⇄[/red]" if turn.overlap else ""
        console.print(
            f"  [dim]{clock(turn.start)}–{clock(turn.end)}[/dim] "
            f"[{ROLE_STYLE[turn.speaker]}]{turn.speaker:<8}[/]{mark} {turn.text}",
            highlight=False,
            soft_wrap=True,  # Chinese has no spaces: rich's word wrap would break lines badly
        )
    console.print()


class BatchProgress:
    """An overall bar (files) and a bar for the current file's current stage."""

    def __init__(self, console: Console, total_files: int) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.overall: TaskID = self.progress.add_task("all files", total=total_files)
        self.current: TaskID | None = None

    def hook_for(self, path: Path) -> ProgressHook:
        if self.current is not None:
            self.progress.remove_task(self.current)
        self.current = self.progress.add_task(f"{path.name}: starting", total=None)
        current = self.current

        def hook(stage: str, done: float, total: float | None = None) -> None:
            self.progress.update(
                current,
                description=f"{path.name}: {stage}",
                completed=round(done, 1),
                total=round(total, 1) if total else None,
            )

        return hook

    def file_done(self) -> None:
        self.progress.advance(self.overall)

    @contextmanager
    def shown(self) -> Iterator[BatchProgress]:
        with self.progress:
            yield self
        if self.current is not None:
            self.progress.remove_task(self.current)
