"""``callqa rules``: validate and list rule packs (the bank's script rules as data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from core.errors import RulePackError

if TYPE_CHECKING:
    from rules.pack import RulePack

rules_app = typer.Typer(
    help="Rule packs: the bank's script rules as data. Validate and list them.",
    no_args_is_help=True,
)


def _load(file: Path | None) -> RulePack:
    # imported here, not at the top: the CLI starts without pydantic work
    from rules.pack_loading import default_pack_path, load_pack

    try:
        return load_pack(file or default_pack_path())
    except RulePackError as exc:
        for line in str(exc).splitlines():
            Console(stderr=True).print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc


@rules_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The rule pack (YAML) to validate.")],
) -> None:
    """Validate a rule pack: print its rules, or what is wrong (file, rule id, problem)."""
    pack = _load(file)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"{file}: OK, {pack.label}: {len(pack.rules)} rules, {len(pack.events)} events")
    console.print("rules: " + ", ".join(rule.id for rule in pack.rules))
    console.print("events: " + ", ".join(pack.events))


@rules_app.command("list")
def list_rules(
    file: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
        typer.Argument(help="A rule pack (YAML); default: the bundled bank pack."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rules as JSON.")] = False,
) -> None:
    """List a pack's rules: id, policy clause, severity, when it applies, title."""
    pack = _load(file)
    if as_json:
        rows = [
            {
                "id": rule.id,
                "policy_clause": rule.policy_clause,
                "severity": rule.severity,
                "applies": rule.applies_label or ("always" if rule.applies_when is None else ""),
                "title": rule.title,
            }
            for rule in pack.rules
        ]
        typer.echo(json.dumps({"pack": pack.label, "rules": rows}, ensure_ascii=False, indent=2))
        return
    table = Table(title=pack.label)
    for column in ("id", "§", "severity", "applies to", "title"):
        table.add_column(column)
    for rule in pack.rules:
        applies = rule.applies_label or ("every call" if rule.applies_when is None else "…")
        table.add_row(rule.id, rule.policy_clause, rule.severity, applies, rule.title)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``callqa rules ...`` to the main command."""
    app.add_typer(rules_app, name="rules")
