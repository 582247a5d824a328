"""``callqa analyze`` and ``callqa eval``: judge calls the way the bank's policy asks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from callqa.errors import CallqaError

if TYPE_CHECKING:
    from pipeline.analysis import CallAnalysis
    from pipeline.analyze import Analyser
    from pipeline.transcript import Transcript

PackOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
    typer.Option("--rules", "-r", help="Rule pack YAML (default: the bank's pack)."),
]
PolicyOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--policy", "-p", help="Policy YAML (default: rules/policy.yaml)."),
]
OUTCOME_STYLE = {"passed": "green", "failed": "bold red", "not_applicable": "dim"}


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
    from callqa.runner import read_metadata
    from pipeline.analyze import load_analyser

    err = Console(stderr=True)
    try:
        analyser = load_analyser(rules, policy)
        call_metadata = (
            json.loads(metadata.read_text(encoding="utf-8")) if metadata else read_metadata(file)
        )
        transcript = _transcript_of(file, analyser, config, err)
        redacted, analysis = analyser.analyse(transcript, call_metadata)
    except CallqaError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except (OSError, json.JSONDecodeError) as exc:
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


def _transcript_of(file: Path, analyser: Analyser, config: Path | None, err: Console) -> Transcript:
    from pipeline.transcript import Transcript

    if file.suffix.lower() == ".json":
        return Transcript.read(file)
    from callqa.config import load_settings
    from callqa.console import BatchProgress
    from callqa.runner import Transcriber
    from rules.pack import hotwords

    settings = load_settings(config)
    pack_words = hotwords(analyser.pack)
    settings = settings.model_copy(update={"hotwords": [*settings.hotwords, *pack_words]})
    batch = BatchProgress(err, 1)
    with batch.shown():
        transcript = Transcriber(settings).transcribe(file, batch.hook_for(file))
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
    summary = {k: v for k, v in a.sentiment.items() if k != "turns"}
    console.print("[bold]sentiment[/bold] " + json.dumps(summary, ensure_ascii=False))
    console.print(
        "[bold]score[/bold] " + json.dumps(a.score_breakdown, ensure_ascii=False),
        soft_wrap=True,
    )


def evaluate_set(
    folder: Annotated[
        Path, typer.Argument(help="An evaluation set: calls/*.json and labels.yaml.")
    ] = Path("tests/data/eval"),
    rules: PackOption = None,
    policy: PolicyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Per-rule precision and recall (and redaction, sentiment) on a labelled set of calls."""
    from callqa.evaluation import evaluate_folder

    try:
        report = evaluate_folder(folder, rules, policy)
    except CallqaError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    console = Console()
    table = Table(
        "rule",
        "n",
        "accuracy",
        "failed P",
        "failed R",
        "passed P",
        "passed R",
        "n/a P",
        "n/a R",
        title=f"{report['calls']} labelled calls in {folder}",
    )
    for rule_id, row in report["rules"].items():
        cells = [
            f"{row[k]:.2f}" if row[k] is not None else "–"
            for k in (
                "accuracy",
                "failed_precision",
                "failed_recall",
                "passed_precision",
                "passed_recall",
                "not_applicable_precision",
                "not_applicable_recall",
            )
        ]
        table.add_row(rule_id, str(row["n"]), *cells)
    console.print(table)
    red = report["redaction"]
    console.print(
        f"redaction: {red['removed']}/{red['must_redact']} secrets removed (recall"
        f" {red['recall']:.3f}); {red['kept']}/{red['must_keep']} ordinary numbers kept"
    )
    sent = report["sentiment"]
    console.print(
        f"sentiment (customer at the end of the call): {sent['agree']}/{sent['n']} agree with"
        f" the labels; predicted {sent['predicted']}"
    )
    if report["mistakes"]:
        console.print("[bold]disagreements[/bold]")
        for m in report["mistakes"]:
            console.print(f"  {m}", highlight=False, soft_wrap=True)
