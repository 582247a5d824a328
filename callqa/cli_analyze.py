"""``callqa analyze`` and ``callqa eval``: judge calls the way the bank's policy asks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.status import Status
from rich.table import Table

from core.errors import CallqaError

if TYPE_CHECKING:
    from core.analysis import CallAnalysis
    from core.call_metadata import CallMetadata
    from core.transcript import Transcript
    from pipeline.one_call import CallProcessor

PackOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
    typer.Option("--rules", "-r", help="Rule pack YAML (default: the bank's pack)."),
]
PolicyOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--policy", "-p", help="Policy YAML (default: rules/policy.yaml)."),
]
OUTCOME_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "not_applicable": "dim",
    "needs_review": "bold yellow",
}


def register(app: typer.Typer) -> None:
    app.command()(analyze)
    app.command(name="eval")(evaluate_set)


def analyze(
    file: Annotated[
        Path, typer.Argument(help="A recording, or a transcript JSON (exchange format).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    rules: PackOption = None,
    policy: PolicyOption = None,
    metadata: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Call metadata JSON (default: <name>.meta.json beside the file)."),
    ] = None,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="Write <call>.transcript.json and <call>.analysis.json."),
    ] = None,
    config: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--config", "-c", help="TOML settings file for transcription."),
    ] = None,
) -> None:
    """Check one call: script rules with evidence, sentiment, service metrics, score, flags."""
    from core.call_metadata import metadata_beside
    from core.config import load_settings
    from pipeline.one_call import CallProcessor

    err = Console(stderr=True)
    try:
        settings = load_settings(config)
        # the pack being judged is also the one whose phrases may be hotwords
        overrides = {"rule_pack": rules, "policy_file": policy}
        settings = settings.model_copy(update={k: v for k, v in overrides.items() if v})
        processor = CallProcessor(settings)
        _ = processor.analyser  # a pack or policy that cannot load fails before any work
        call_metadata = metadata_beside(file, metadata)
        transcript = _transcript_of(file, processor, call_metadata, err)
        redacted, analysis = processor.analyse(transcript, call_metadata)
    except CallqaError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except OSError as exc:
        err.print(f"[red]error:[/red] {file}: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    if out:
        out.mkdir(parents=True, exist_ok=True)
        redacted.write(out / f"{analysis.call_id}.transcript.json")
        (out / f"{analysis.call_id}.analysis.json").write_text(
            analysis.model_dump_json(indent=2), encoding="utf-8"
        )
    if as_json:
        sys.stdout.write(analysis.model_dump_json() + "\n")
    else:
        print_report(Console(), redacted, analysis)


def _transcript_of(
    file: Path, processor: CallProcessor, metadata: CallMetadata, err: Console
) -> Transcript:
    """The transcript JSON as given, or the recording transcribed on the one call path."""
    from core.transcript import Transcript

    if file.suffix.lower() == ".json":
        return Transcript.read(file)
    from callqa.console import BatchProgress

    batch = BatchProgress(err, 1)
    with batch.shown():
        transcript = processor.transcribe(file, metadata, progress=batch.hook_for(file))[1]
        batch.file_done()
    return transcript


def print_report(console: Console, transcript: Transcript, analysis: CallAnalysis) -> None:
    from callqa.console import clock

    a = analysis
    flags = ", ".join(a.flags) or "none"
    console.print(
        f"[bold]{a.call_id}[/bold]  score [bold]{a.score:.1f}[/bold]  flags: "
        f"[{'red' if a.flags else 'green'}]{flags}[/]",
        highlight=False,
        soft_wrap=True,
    )
    table = Table("rule", "outcome", "evidence", show_lines=False, expand=True)
    for rule in a.rules:
        evidence = "; ".join(
            (f"{clock(e.start)} {e.speaker or ''} «{e.text}»" if e.start is not None else e.text)
            for e in rule.evidence[:2]
        )
        mark = " (critical)" if rule.critical else ""
        table.add_row(
            rule.id + mark,
            f"[{OUTCOME_STYLE[rule.outcome]}]{rule.outcome}[/]",
            f"{rule.reason}\n[dim]{evidence}[/dim]" if evidence else rule.reason,
        )
    console.print(table)
    metrics = {k: v for k, v in a.metrics.items() if v is not None}
    console.print("[bold]service metrics[/bold] " + json.dumps(metrics, ensure_ascii=False))
    summary = a.sentiment.stored()
    console.print("[bold]sentiment[/bold] " + json.dumps(summary, ensure_ascii=False))
    console.print(
        "[bold]score[/bold] " + json.dumps(a.score_breakdown, ensure_ascii=False),
        soft_wrap=True,
    )


def evaluate_set(
    folder: Annotated[
        Path,
        typer.Argument(help="An evaluation set: calls/*.json, labels.yaml, maybe recordings/."),
    ] = Path("tests/data/eval"),
    rules: PackOption = None,
    policy: PolicyOption = None,
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="text (the written transcripts), audio (the recordings, transcribed as"
            " `callqa process` does), or both side by side; default: both when the set has"
            " recordings.",
        ),
    ] = "auto",
    config: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--config", "-c", help="TOML settings file for transcription."),
    ] = None,
    only: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--only", help="Score only the calls whose id matches, e.g. 'ub*'."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Per-rule accuracy, precision and recall of failed outcomes, the share sent to
    review (and redaction, sentiment) on a labelled set, from the text and the audio."""
    from callqa.evaluation import evaluate_folder, recordings_of
    from core.config import load_settings

    err = Console(stderr=True)
    if source == "auto":
        source = "both" if recordings_of(folder) else "text"
    if source not in ("text", "audio", "both"):
        err.print(f"[red]error:[/red] --from must be text, audio or both (got {source!r})")
        raise typer.Exit(2)
    sources = ["text", "audio"] if source == "both" else [source]
    reports = {}
    try:
        settings = load_settings(config) if "audio" in sources else None
        for side in sources:
            with err.status(f"judging {folder} from the {side}...") as status:

                def transcribing(call_id: str, status: Status = status) -> None:
                    status.update(f"transcribing {call_id}...")

                reports[side] = evaluate_folder(
                    folder,
                    rules,
                    policy,
                    source=side,
                    settings=settings,
                    on_call=transcribing,
                    only=only,
                )
    except CallqaError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(
            json.dumps(reports if len(reports) > 1 else reports[sources[0]], ensure_ascii=False)
            + "\n"
        )
        return
    _print_eval(Console(), folder, reports)


def _fmt(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "–"


def _print_eval(console: Console, folder: Path, reports: dict[str, dict[str, Any]]) -> None:
    sides = list(reports)
    first = reports[sides[0]]
    columns = ["rule", "n"]
    for side in sides:
        columns += [f"{side} acc", f"{side} failed P", f"{side} failed R", f"{side} review"]
    table = Table(*columns, title=f"{first['calls']} labelled calls in {folder}")
    for rule_id in [*first["rules"], "overall"]:
        row = [rule_id, str((first["rules"].get(rule_id) or first["overall"])["n"])]
        for side in sides:
            r = reports[side]["rules"].get(rule_id) or reports[side]["overall"]
            row += [
                _fmt(r["accuracy"]),
                _fmt(r["failed_precision"]),
                _fmt(r["failed_recall"]),
                f"{r['review'] / r['n']:.0%}",
            ]
        table.add_row(*row)
    console.print(table)
    console.print(
        "[dim]acc counts needs_review as wrong; failed R counts it as caught; failed P is"
        " over the confident outcomes[/dim]"
    )
    for side in sides:
        report = reports[side]
        overall = report["overall"]
        console.print(
            f"[bold]{side}[/bold]: {overall['review']} of {overall['n']} outcomes to review"
            f" ({overall['review'] / overall['n']:.1%}); confident outcomes right in"
            f" {_fmt(overall['confident_accuracy'])}"
        )
        red = report["redaction"]
        if red["must_redact"] or red["must_keep"]:
            console.print(
                f"  redaction: {red['removed']}/{red['must_redact']} secrets removed (recall"
                f" {red['recall']:.3f}); {red['kept']}/{red['must_keep']} ordinary numbers kept"
            )
        sent = report["sentiment"]
        console.print(
            f"  sentiment (customer at the end of the call): {sent['agree']}/{sent['n']} agree"
            f" with the labels; predicted {sent['predicted']}"
        )
        if report["mistakes"]:
            console.print(f"  [bold]disagreements ({side})[/bold]")
            for m in report["mistakes"]:
                console.print(f"    {m}", highlight=False, soft_wrap=True)
