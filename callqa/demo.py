"""``callqa demo``: the README's main job on embedded defaults, no servers.

Builds a handful of sample Mandarin bank calls (synthesised with two distinct voices,
agent on the left channel in some, on the right in others, one mono), transcribes them
all, prints the transcripts, checks the agent was found in each, and judges each call
against the bank's rule pack (flagged calls first). Synthesised speech is cached, so a
rerun is quick.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from callqa.config import load_settings
from callqa.console import BatchProgress, print_transcript
from callqa.runner import Outcome, Transcriber, transcribe_files

# (script, layout, agent channel): both channel orders, and a mono call for diarization.
DEMO_CALLS = (
    ("enquiry_card_bill", "stereo", 0),
    ("card_loss", "stereo", 1),
    ("complaint_annual_fee", "stereo", 0),
    ("no_greeting", "stereo", 1),
    ("callback_remittance", "mono", 0),
)


def build_demo_calls(folder: Path, console: Console) -> list[Path]:
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS

    paths = []
    with Progress(console=console) as progress:
        task = progress.add_task("building sample calls", total=len(DEMO_CALLS))
        for script, layout, agent_channel in DEMO_CALLS:
            name = f"{script}-{layout}"
            path = folder / f"{name}.wav"
            if not path.is_file():
                progress.update(task, description=f"synthesising {name}")
                call = build_call(name, SCRIPTS[script], layout=layout, agent_channel=agent_channel)  # type: ignore[arg-type]
                write_call(call, path)
            paths.append(path)
            progress.advance(task)
        progress.update(task, description="sample calls ready")
    return paths


def agent_found(outcome: Outcome) -> bool | None:
    """Whether the detected agent matches the synthetic call's truth (its sidecar)."""
    if outcome.transcript is None:
        return None
    truth = json.loads(outcome.source.with_suffix(".json").read_text(encoding="utf-8"))
    by_time = {(round(t["start"]), t["speaker"]) for t in truth["turns"]}
    hits = [(round(t.start), t.speaker) in by_time for t in outcome.transcript.turns]
    return bool(hits) and sum(hits) / len(hits) >= 0.8


def print_flagged(console: Console, outcomes: list[Outcome]) -> None:
    """Each call judged against the bank's rule pack and policy; flagged calls first."""
    from rich.table import Table

    from pipeline.analyze import load_analyser

    analyser = load_analyser()
    judged = [analyser.analyse(o.transcript)[1] for o in outcomes if o.transcript is not None]
    judged.sort(key=lambda a: (not a.flags, a.score))
    table = Table("call", "score", "failed rules", "flags", title="calls judged (flagged first)")
    for a in judged:
        failed = ", ".join(r.id for r in a.rules if r.outcome == "failed") or "-"
        flags = "; ".join(a.flags) or "-"
        table.add_row(
            a.call_id, f"{a.score:.1f}", failed, f"[red]{flags}[/red]" if a.flags else flags
        )
    console.print(table)


def run_demo(out: Path, config: Path | None) -> int:
    console = Console()
    calls = build_demo_calls(out / "calls", console)
    console.print(
        f"[bold]callqa demo[/bold]: transcribing {len(calls)} sample calls from {out / 'calls'}"
    )
    settings = load_settings(config)
    transcriber = Transcriber(settings)
    batch = BatchProgress(console, len(calls))
    outcomes: list[Outcome] = []

    def on_done(outcome: Outcome) -> None:
        batch.file_done()
        outcomes.append(outcome)
        if outcome.transcript is not None:
            print_transcript(batch.progress.console, outcome.transcript)
        else:
            batch.progress.console.print(f"[red]error:[/red] {outcome.error}", soft_wrap=True)

    with batch.shown():
        transcribe_files(
            calls,
            transcriber,
            out_dir=out / "transcripts",
            progress_for=batch.hook_for,
            on_done=on_done,
        )
    print_flagged(console, outcomes)
    right = sum(1 for o in outcomes if agent_found(o))
    failed = sum(1 for o in outcomes if o.error is not None)
    console.print(
        f"{len(outcomes) - failed} calls transcribed, {failed} failed; agent identified in"
        f" {right} of {len(outcomes)}; transcripts in {out / 'transcripts'}"
    )
    return 1 if failed else 0
