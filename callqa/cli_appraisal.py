"""``callqa scorecard``, ``callqa report``, ``callqa surveys import``: agent appraisal (§7)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from callqa.cli_common import ConfigOption, StoreOption, fail
from core.errors import CallqaError

if TYPE_CHECKING:
    from rules.policy import Policy
    from storage.database import Session
    from storage.schema import AgentScorecard

PolicyOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--policy", help="Policy file (default: the bundled rules/policy.yaml)."),
]
surveys_app = typer.Typer(help="Customer satisfaction surveys (§5.3).", no_args_is_help=True)


@contextmanager
def _session(store: str | None, config: Path | None) -> Iterator[Session]:
    from core.config import load_settings
    from storage.database import Store

    url = store or load_settings(config).resolved_store_url()
    opened = Store(url)
    try:
        with opened.session() as session:
            yield session
    finally:
        opened.close()


def _policy(path: Path | None) -> Policy:
    from rules.policy import load_policy

    return load_policy(path)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "share" and isinstance(value, int | float):
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def print_scorecard(console: Console, row: AgentScorecard) -> None:
    """Every item of a monthly scorecard: value, target, weight, score and why."""
    details = row.details
    verdict = "meets the standard" if row.meets_standard else "BELOW STANDARD"
    title = f"{row.agent_id} {row.period}: total {row.total:g} ({verdict} {details['standard']:g})"
    table = Table(title=title + (f", rank {row.rank}" if row.rank else ""))
    for column in ("group", "item", "value", "target", "weight", "score", "why"):
        table.add_column(column, overflow="fold")
    for group, part in details["groups"].items():
        table.add_row(
            f"[bold]{group}[/bold]",
            "",
            "",
            "",
            f"{part['weight']:g}",
            f"[bold]{_fmt(part['score'])}[/bold]",
            part.get("note", ""),
        )
        for name, item in part.get("items", {}).items():
            unit = item.get("unit", "")
            table.add_row(
                "",
                name,
                _fmt(item["value"], unit),
                _fmt(item["target"], unit),
                f"{item['weight']:g}",
                _fmt(item["score"]),
                item["why"],
            )
    console.print(table)
    console.print(
        f"{row.calls} calls; computed {row.computed_at:%Y-%m-%d %H:%M} with {details.get('policy')}"
    )


def scorecard(
    agent: Annotated[str, typer.Option("--agent", help="The agent's id.")],
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    recompute: Annotated[bool, typer.Option("--recompute", help="Compute it again first.")] = False,
    store: StoreOption = None,
    policy: PolicyOption = None,
    config: ConfigOption = None,
) -> None:
    """One agent's monthly scorecard: every KPI item's value, target, score and why."""
    from appraisal import agent_scorecard, compute_month, parse_month

    try:
        month = parse_month(month)
        with _session(store, config) as session:
            row = None if recompute else agent_scorecard(session, agent, month)
            if row is None:
                # Not appraised yet (or asked to): the whole month, so the rank means something.
                compute_month(session, month, _policy(policy))
                row = agent_scorecard(session, agent, month)
            if row is None:
                raise fail(f"agent {agent!r} has no calls in {month} in the store", 1)
            print_scorecard(Console(), row)
    except CallqaError as exc:
        raise fail(str(exc)) from exc


CSV_COLUMNS = (
    "period",
    "kind",
    "rank",
    "agent_id",
    "team_id",
    "calls",
    "business",
    "service",
    "compliance",
    "total",
    "meets_standard",
)


def _ranking_table(title: str, rows: list[AgentScorecard]) -> Table:
    table = Table(title=title)
    for column in (
        "rank",
        "agent",
        "calls",
        "business",
        "service",
        "compliance",
        "total",
        "standard",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r.rank), r.agent_id, str(r.calls), f"{r.business:g}", f"{r.service:g}",
            f"{r.compliance:g}", f"{r.total:g}",
            "meets" if r.meets_standard else "[red]below[/red]",
        )  # fmt: skip
    return table


def print_quarter(
    console: Console, session: Session, quarter: str, policy: Policy
) -> list[AgentScorecard]:
    """Computes the quarter (and its months) and prints the ranking, the coaching list and
    the agents below standard for the policy's number of consecutive months."""
    from appraisal import below_standard_streaks, coaching_list, compute_quarter, quarter_months

    rows = compute_quarter(session, quarter, policy)
    if not rows:
        return rows
    console.print(_ranking_table(f"{quarter} ranking (months weighted by calls)", rows))
    coaching = coaching_list(session, quarter, policy)
    threshold = policy.appraisal.coaching_threshold
    console.print(f"[bold]Coaching ({quarter}, a group below {threshold:g}):[/bold]")
    for entry in coaching:
        below = ", ".join(f"{s.group} {s.score:g}" for s in entry.below)
        console.print(f"  {entry.agent_id}: total {entry.total:g}; {below}", highlight=False)
    if not coaching:
        console.print("  nobody")
    last = quarter_months(quarter)[-1]
    cycles = policy.failing_cycles_before_action
    streaks = below_standard_streaks(session, last, policy)
    console.print(
        f"[bold]Below standard {cycles}+ consecutive months to {last} (formal action, §7.3):[/bold]"
    )
    for streak in streaks:
        totals = ", ".join(f"{m} {t:g}" for m, t in zip(streak.months, streak.totals, strict=True))
        console.print(f"  {streak.agent_id}: {totals}", highlight=False)
    if not streaks:
        console.print("  nobody")
    return rows


def report(
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, YYYYQN.")],
    csv_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--csv",
            help="Also write every monthly and quarterly row (with the team the agent worked "
            "in that period) to this CSV; no cell is a spreadsheet formula.",
        ),
    ] = None,
    store: StoreOption = None,
    policy: PolicyOption = None,
    config: ConfigOption = None,
) -> None:
    """The quarter's appraisal: monthly and quarterly scorecards, ranking, coaching, action."""
    from appraisal import (
        month_scorecards,
        parse_quarter,
        quarter_months,
    )
    from console.spreadsheet import csv_text

    console = Console(soft_wrap=True)
    try:
        quarter = parse_quarter(quarter)
        chosen = _policy(policy)
        with _session(store, config) as session:
            rows = print_quarter(console, session, quarter, chosen)
            months = {m: month_scorecards(session, m) for m in quarter_months(quarter)}
            if not rows:
                raise fail(f"no calls with an agent in {quarter} in the store", 1)
            if csv_file is not None:
                every = [*(r for m in months.values() for r in m), *rows]
                # formula-safe: agent and team ids come from recording metadata
                text = csv_text(CSV_COLUMNS, ([getattr(r, c) for c in CSV_COLUMNS] for r in every))
                with csv_file.open("w", newline="", encoding="utf-8") as fh:
                    fh.write(text)
                console.print(f"wrote {csv_file}")
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"{csv_file}: cannot write the CSV ({exc.strerror})") from exc


@surveys_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV of survey answers (UTF-8, BOM or not).")],
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Import survey answers, each linked to its call; bad rows are listed by row number."""
    from appraisal.surveys import import_surveys

    console = Console(soft_wrap=True, highlight=False)
    try:
        with _session(store, config) as session:
            result = import_surveys(session, file)
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    console.print(result.summary())
    if result.ignored_columns:
        console.print(f"ignored columns: {', '.join(result.ignored_columns)}")
    for bad in result.bad:
        console.print(f"[red]row {bad.row}:[/red] {bad.problem}")
    if result.bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``callqa scorecard``, ``callqa report`` and ``callqa surveys ...``."""
    app.command("scorecard")(scorecard)
    app.command("report")(report)
    app.add_typer(surveys_app, name="surveys")
