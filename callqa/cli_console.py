"""``callqa serve`` (the web console) and ``callqa users`` (its local accounts)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from callqa.cli_common import (
    ConfigOption,
    StoreOption,
    actor,
    configured_settings,
    fail,
    open_store,
)
from core.errors import CallqaError
from core.urls import without_password

if TYPE_CHECKING:
    from console.audio import AudioSource
    from core.config import Settings
    from storage.database import Session

ROLE_HELP = "admin, qa_lead, compliance, supervisor (needs --team) or agent (needs --agent)"

users_app = typer.Typer(
    help="Console accounts: add, change the password of, disable, enable, remove and list "
    "them. Every change is written to the audit log.",
    no_args_is_help=True,
)
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]
NameArgument = Annotated[str, typer.Argument(help="The account's sign-in name.")]


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
        raise fail(f"{folder}: results folder not found; give --results FOLDER or s3://bucket")
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
        bool,
        typer.Option(
            help="Send the session cookie over HTTPS only and expect https:// origins (behind TLS)."
        ),
    ] = False,
    allowed_host: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--allowed-host",
            help="Another name the console answers to, such as a reverse proxy's "
            "(repeatable). Requests naming any other Host get 400.",
        ),
    ] = None,
    trusted_proxy: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--trusted-proxy",
            help="Address of a reverse proxy whose X-Forwarded-For names the client "
            "(repeatable): sign-in failures are then counted per real client address, "
            "not all against the proxy's.",
        ),
    ] = None,
    idle_minutes: Annotated[
        int, typer.Option(min=1, help="Sign a session out after this long without a request.")
    ] = 30,
    config: ConfigOption = None,
) -> None:
    """Run the web console: review queue, call pages, compliance and scorecards."""
    import uvicorn

    from console import create_app
    from console.sessions import SessionRules
    from console.signin import SignInRules

    settings = configured_settings(config)
    hosts = [host, "localhost", "127.0.0.1", "::1", *(allowed_host or [])]
    try:
        app = create_app(
            store or settings.resolved_store_url(),
            _audio_source(results, settings),
            policy,
            secure_cookies=secure_cookies,
            allowed_hosts=hosts,
            sign_in=SignInRules(sessions=SessionRules(idle_seconds=idle_minutes * 60)),
        )
    except CallqaError as exc:
        raise fail(without_password(str(exc), store)) from exc
    _warn_if_exposed(host, hosts, bool(allowed_host), secure_cookies)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=bool(trusted_proxy),
        forwarded_allow_ips=",".join(trusted_proxy) if trusted_proxy else None,
    )


def _warn_if_exposed(host: str, hosts: list[str], named: bool, secure_cookies: bool) -> None:
    """Warn when the console listens beyond this machine without the protections it needs."""
    if host in ("0.0.0.0", "::", "") and not named:
        Console(stderr=True).print(
            f"[yellow]warning:[/yellow] listening on every address, but answering only to "
            f"{', '.join(hosts[1:])}: give --allowed-host NAME for the name browsers use",
            highlight=False,
        )
    if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookies:
        Console(stderr=True).print(
            "[yellow]warning:[/yellow] listening beyond this machine without --secure-cookies: "
            "put the console behind TLS (policy §6.2: encrypted in transit)",
            highlight=False,
        )


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _change(
    store: str | None, config: Path | None, change: Callable[[Session], str | None]
) -> None:
    """Runs one account change in one transaction and prints what it did."""
    from console.auth import AccountError

    opened = open_store(store, config)
    try:
        with opened.session() as session:
            done = change(session)
    except AccountError as exc:
        raise fail(str(exc)) from exc
    finally:
        opened.close()
    if done:
        Console().print(done, highlight=False)


@users_app.command("add")
def add_user(
    username: NameArgument,
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    team: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--team", help="The supervisor's team."),
    ] = None,
    agent: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--agent", help="The agent id whose calls this account sees."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an existing account's role (and password): its sessions end."
        ),
    ] = False,
    password_stdin: StdinOption = False,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Add a console account. An existing name is refused: use `passwd`, or --force to
    replace its role."""
    from console import accounts

    if not force:  # refused before the password is asked for, not after

        def refuse(session: Session) -> None:
            accounts.refuse_existing(session, username)

        _change(store, config, refuse)
    password = _password(password_stdin)
    _change(
        store,
        config,
        lambda session: accounts.add(
            session,
            actor(),
            username,
            password,
            role,
            team_id=team,
            agent_id=agent,
            replace_role=force,
        ),
    )


@users_app.command("passwd")
def change_password(
    username: NameArgument,
    password_stdin: StdinOption = False,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Set a new password; the account's sessions end."""
    from console import accounts

    password = _password(password_stdin)
    _change(
        store, config, lambda session: accounts.set_password(session, actor(), username, password)
    )


@users_app.command("disable")
def disable_user(
    username: NameArgument, store: StoreOption = None, config: ConfigOption = None
) -> None:
    """Stop an account signing in; its sessions end (enabling it does not revive them)."""
    from console import accounts

    _change(store, config, lambda session: accounts.disable(session, actor(), username))


@users_app.command("enable")
def enable_user(
    username: NameArgument, store: StoreOption = None, config: ConfigOption = None
) -> None:
    """Let a disabled account sign in again."""
    from console import accounts

    _change(store, config, lambda session: accounts.enable(session, actor(), username))


@users_app.command("remove")
def remove_user(
    username: NameArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Remove an account and end its sessions (the audit log keeps what it did)."""
    from console import accounts

    if not yes and not typer.confirm(f"Remove the account {username!r}?"):
        raise typer.Exit(1)
    _change(store, config, lambda session: accounts.remove(session, actor(), username))


@users_app.command("list")
def list_users(store: StoreOption = None, config: ConfigOption = None) -> None:
    """List console accounts (never their passwords)."""
    from console import accounts

    opened = open_store(store, config)
    table = Table()
    for column in ("user", "role", "team", "agent", "active", "created"):
        table.add_column(column)
    try:
        with opened.session() as session:
            for account in accounts.listing(session):
                table.add_row(
                    account.username,
                    account.role,
                    account.team_id or "",
                    account.agent_id or "",
                    "yes" if account.active else "no",
                    f"{account.created_at:%Y-%m-%d}",
                )
    except Exception as exc:  # the driver's message may quote the URL
        raise fail(without_password(f"cannot read the accounts: {exc}", store)) from exc
    finally:
        opened.close()
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``callqa serve`` and ``callqa users ...`` to the main command."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
