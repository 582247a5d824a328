"""``callqa drivers``: the call-driver taxonomy checked, survey comments classified,
suggested new drivers from unmatched calls, and the management report (§6.3);
``callqa rules check-drivers`` validates a taxonomy file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from callqa.cli_common import ConfigOption, StoreOption, fail, open_store
from core.errors import CallqaError

drivers_app = typer.Typer(
    help="Call drivers: why customers call (rules/drivers.yaml), suggestions, reports.",
    no_args_is_help=True,
)
TaxonomyArg = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
    typer.Argument(help="A driver taxonomy (YAML); default: the bundled rules/drivers.yaml."),
]


def check_drivers(file: TaxonomyArg = None) -> None:
    """Validate a driver taxonomy: print its drivers, or what is wrong (file, id, problem)."""
    from rules.drivers import default_taxonomy_path, load_taxonomy

    try:
        taxonomy = load_taxonomy(file)
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    examples = sum(len(d.examples) for d in taxonomy.drivers)
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"{file or default_taxonomy_path()}: OK, {taxonomy.label}: {len(taxonomy.drivers)} "
        f"drivers in {len(taxonomy.groups)} groups, {examples} examples, "
        f"{len(taxonomy.complaints.categories)} complaint categories"
    )
    for driver in taxonomy.drivers:
        console.print(f"  {driver.id:22s} {driver.group:12s} {driver.zh} / {driver.en}")


@drivers_app.command("suggest")
def suggest(
    month: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--month", help="YYYY-MM: only that month's calls (default: all)."),
    ] = None,
    distance: Annotated[float, typer.Option(help="Cosine distance that merges groups.")] = 0.05,
    min_calls: Annotated[int, typer.Option(help="Smallest group shown.")] = 2,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Group the calls that fit no driver into suggested new drivers, with their most
    typical utterances, for the compliance team to name and add to the taxonomy."""
    from models.embeddings import load_encoder
    from pipeline.driver_clusters import suggest_drivers
    from storage.drivers import unmatched_calls

    opened = open_store(store, config)
    with opened.session() as session:
        calls = unmatched_calls(session, month)
    opened.close()
    groups = suggest_drivers(
        [(c.call_id, c.utterances) for c in calls],
        load_encoder(),
        distance=distance,
        min_calls=min_calls,
    )
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"{len(calls)} unmatched calls{f' in {month}' if month else ''}; "
        f"{len(groups)} suggested drivers"
    )
    for number, group in enumerate(groups, start=1):
        console.print(f"\n#{number}: {group.size} calls (cohesion {group.cohesion:.2f})")
        for utterance in group.typical:
            console.print(f"    「{utterance}」")
        console.print(f"    calls: {', '.join(group.call_ids[:8])}")


@drivers_app.command("classify-surveys")
def classify_surveys(store: StoreOption = None, config: ConfigOption = None) -> None:
    """Classify survey comments not classified yet by the same drivers (§5.3)."""
    from pipeline.drivers import load_classifier
    from storage.drivers import save_survey_drivers, unclassified_surveys

    classifier = load_classifier()
    opened = open_store(store, config)
    total = 0
    with opened.session() as session:
        while batch := unclassified_surveys(session, limit=500):
            results = classifier.classify_texts([s.comment or "" for s in batch])
            total += save_survey_drivers(session, zip((s.id for s in batch), results, strict=True))
            session.flush()
    opened.close()
    typer.echo(f"classified {total} survey comments")


@drivers_app.command("report")
def report(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM or YYYY-QN, e.g. 2026-Q4.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or pdf.")] = "csv",
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """The management report (§6.3): volume, satisfaction, problem types, rising risks."""
    from console.management_report import parse_period, render, report_rows
    from rules.drivers import load_taxonomy

    try:
        parsed = parse_period(period)
        taxonomy = load_taxonomy()
        opened = open_store(store, config)
        with opened.session() as session:
            rows = report_rows(session, taxonomy, parsed)
        opened.close()
        data = render(rows, fmt, f"来电原因与投诉管理报告 Management report {parsed.label}")
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    out.write_bytes(data)
    typer.echo(f"{out}: {fmt}, {len(rows)} rows, period {parsed.label}")


def register(app: typer.Typer) -> None:
    """Add ``callqa drivers ...`` and ``callqa rules check-drivers`` to the main command."""
    from callqa.cli_rules import rules_app

    rules_app.command("check-drivers")(check_drivers)
    drivers_app.command("check")(check_drivers)
    app.add_typer(drivers_app, name="drivers")
