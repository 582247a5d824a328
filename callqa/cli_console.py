"""``callqa serve`` (the web console) and ``callqa users`` (its local accounts)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from callqa.errors import CallqaError

if TYPE_CHECKING:
    from callqa.config import Settings
    from console.audio import AudioSource
    from storage.database import Store

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
    typer.Option("--config", "-c", help="TOML settings file (default: ./callqa.toml if present)"),
]
StoreOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--store", help="Scorecard store URL (default: the configured one)."),
]
ROLE_HELP = "admin, qa_lead, compliance, supervisor (needs --team) or agent (needs --agent)"

users_app = typer.Typer(help="Console accounts: add and list them.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _settings(config: Path | None) -> Settings:
    from callqa.config import load_settings

    try:
        return load_settings(config)
    except CallqaError as exc:
        raise _fail(str(exc)) from exc


def _secret(settings: Settings) -> bytes:
    """The cookie-signing secret: $CALLQA_CONSOLE_SECRET, else a random one kept in
    ``data_dir/console-secret`` (mode 600) so sessions survive a restart."""
    import os

    given = os.environ.get("CALLQA_CONSOLE_SECRET")
    if given:
        return given.encode()
    path = settings.data_dir / "console-secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="ascii")
    return path.read_text(encoding="ascii").strip().encode()


def _audio_source(results: str | None, settings: Settings) -> AudioSource:
    from console.audio import FolderAudio, LocationAudio, ObjectStoreAudio

    location = results or settings.results_location
    if location is None:  # the flows store each call's redacted audio by full location
        return LocationAudio(settings)
    if "://" in location:
        from storage.locations import open_location

        store, _prefix = open_location(location, settings)
        return ObjectStoreAudio(store)
    folder = Path(location).expanduser()
    if not folder.is_dir():
        raise _fail(f"{folder}: results folder not found; give --results FOLDER or s3://bucket")
    return FolderAudio(folder)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    store: StoreOption = None,
    results: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--results",
            help="Where the redacted recordings are, for stores whose audio keys are "
            "relative: a folder or s3://bucket (default: results_location, else each "
            "call's stored location).",
        ),
    ] = None,
    policy: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Policy file (default: the bundled one)."),
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="Send the session cookie over HTTPS only (behind TLS).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Run the web console: review queue, call pages, compliance and scorecards."""
    import uvicorn

    from console import create_app

    settings = _settings(config)
    try:
        app = create_app(
            store or settings.resolved_store_url(),
            _audio_source(results, settings),
            policy,
            secret=_secret(settings),
            secure_cookies=secure_cookies,
        )
    except CallqaError as exc:
        raise _fail(str(exc)) from exc
    if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookies:
        Console(stderr=True).print(
            "[yellow]warning:[/yellow] listening beyond this machine without --secure-cookies: "
            "put the console behind TLS (policy §6.2: encrypted in transit)",
            highlight=False,
        )
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


def _open_store(store: str | None, config: Path | None) -> Store:
    from storage.database import Store

    try:
        return Store(store or _settings(config).resolved_store_url())
    except CallqaError as exc:
        raise _fail(str(exc)) from exc


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    team: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--team", help="The supervisor's team."),
    ] = None,
    agent: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--agent", help="The agent id whose calls this account sees."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Add a console account (or reset its password and role)."""
    from console.auth import AccountError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    opened = _open_store(store, config)
    try:
        with opened.session() as session:
            create_user(session, username, password, role, team_id=team, agent_id=agent)
    except AccountError as exc:
        raise _fail(str(exc)) from exc
    finally:
        opened.close()
    Console().print(f"{username}: {role} account saved", highlight=False)


@users_app.command("list")
def list_users(store: StoreOption = None, config: ConfigOption = None) -> None:
    """List console accounts (never their passwords)."""
    from sqlalchemy import select

    from storage.schema import User

    opened = _open_store(store, config)
    table = Table()
    for column in ("user", "role", "team", "agent", "active", "created"):
        table.add_column(column)
    with opened.session() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            table.add_row(
                user.username,
                user.role,
                user.team_id or "",
                user.agent_id or "",
                "yes" if user.active else "no",
                f"{user.created_at:%Y-%m-%d}",
            )
    opened.close()
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``callqa serve`` and ``callqa users ...`` to the main command."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
