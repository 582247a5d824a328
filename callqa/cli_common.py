"""What the ``callqa`` subcommands share: the --config and --store options, one way to end
with an error, to open the scorecard store, and to name who made a change in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from core.errors import CallqaError

if TYPE_CHECKING:
    from core.config import Settings
    from storage.database import Store

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
    typer.Option("--config", "-c", help="TOML settings file (default: ./callqa.toml if present)"),
]
StoreOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--store", help="Scorecard store URL (default: the configured one)."),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Prints ``message`` as an error on standard error; raise what it returns."""
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def configured_settings(config: Path | None) -> Settings:
    from core.config import load_settings

    try:
        return load_settings(config)
    except CallqaError as exc:
        raise fail(str(exc)) from exc


def store_url(store: str | None, config: Path | None) -> str:
    return store or configured_settings(config).resolved_store_url()


def open_store(store: str | None, config: Path | None) -> Store:
    """The store at ``--store`` (or the configured one); an error, its password masked,
    when it cannot be opened."""
    from core.urls import without_password
    from storage.database import Store

    try:
        return Store(store_url(store, config))
    except CallqaError as exc:
        raise fail(without_password(str(exc), store)) from exc
    except Exception as exc:  # a driver's own error may quote the URL it was given
        raise fail(without_password(f"cannot open the store: {exc}", store)) from exc


def actor() -> str:
    """Who made a change, for the audit log: the operating-system user running callqa."""
    import getpass
    import os

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no name for this uid (a bare container)
        return f"cli:uid-{os.getuid()}"
