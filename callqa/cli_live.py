"""``callqa live``: calls still in progress, alerts while they are on (issue 12).

Sources: ``ws://HOST:PORT`` listens for WebSocket streams (one call per connection; runs
until interrupted); a file path is a recording being written, tailed until its end marker
or until it stops growing; ``--replay FILE`` streams a finished recording at ``--speed``
times real time. Alerts print as they come (``--json``: one JSON object a line); with
``--store`` the calls, their redacted transcript and alerts go to the console's store.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional
from urllib.parse import urlparse

import typer
from rich.console import Console
from rich.markup import escape

from callqa.cli_common import ConfigOption, fail
from core.errors import CallqaError

if TYPE_CHECKING:
    from pipeline.live.engine import LiveEngine
    from pipeline.live.events import LiveEvent, LiveHook


def live(
    sources: Annotated[
        Optional[list[str]],  # noqa: UP045 - typer needs Optional on 3.11
        typer.Argument(help="ws://HOST:PORT to listen on, or growing WAV/raw PCM files."),
    ] = None,
    replay_files: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--replay", help="Stream a finished recording as if live (repeatable)."),
    ] = None,
    speed: Annotated[
        float, typer.Option(min=0, help="--replay at this many times real time (0: flat out).")
    ] = 1.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print alerts as JSON lines (nothing else on stdout).")
    ] = False,
    store: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--store", help="Write calls, transcript and alerts to this store URL."),
    ] = None,
    keep: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--keep", help="Where received audio is kept (default: data_dir/live)."),
    ] = None,
    idle_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds without audio that close a stream.")
    ] = 10.0,
    beam: Annotated[int, typer.Option(min=1, help="Recognition beam size (1: greedy).")] = 1,
    sentiment: Annotated[bool, typer.Option(help="Run the customer-sentiment live checks.")] = True,
    config: ConfigOption = None,
) -> None:
    """Listen to calls in progress and alert on the pack's live rules as they fail."""
    from core.config import load_settings
    from pipeline.live.configured import live_engine
    from pipeline.live.events import fan_out

    sources = sources or []
    replays = replay_files or []
    if not sources and not replays:
        raise fail("give a source (ws://HOST:PORT or a growing file) or --replay FILE")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    err = Console(stderr=True)
    hooks: list[LiveHook] = [_printer(as_json, err)]
    try:
        settings = load_settings(config)
        if store is not None:
            hooks.append(_store_hook(store))
        engine = live_engine(
            settings, hook=fan_out(*hooks), keep=keep, beam_size=beam, sentiment=sentiment
        ).start()
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    servers = [s for s in sources if s.startswith(("ws://", "wss://"))]
    files = [Path(s) for s in sources if s not in servers]
    threads = [_thread(engine, "replay", p, speed=speed) for p in replays]
    threads += [_thread(engine, "tail", p, idle_timeout=idle_timeout) for p in files]
    try:
        if servers:
            asyncio.run(_serve(engine, servers, idle_timeout, err))
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        err.print("interrupted: open calls are closed, their audio kept")
    engine.stop()
    problems = [c for c in engine.closed.values() if not c.clean]
    raise typer.Exit(1 if problems or _FAILED_SOURCES else 0)


_FAILED_SOURCES: list[str] = []


def _thread(engine: LiveEngine, kind: str, path: Path, **options: float) -> threading.Thread:
    from pipeline.live.sources import replay, tail

    def run() -> None:
        try:
            if kind == "replay":
                replay(engine, path, speed=options["speed"])
            else:
                tail(engine, path, idle_timeout_s=options["idle_timeout"])
        except (CallqaError, OSError) as exc:
            _FAILED_SOURCES.append(str(path))
            Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)

    thread = threading.Thread(target=run, name=f"live-{kind}-{path.name}", daemon=True)
    thread.start()
    return thread


async def _serve(engine: LiveEngine, urls: list[str], idle_timeout: float, err: Console) -> None:
    from pipeline.live.websocket import LiveServer

    async with asyncio.TaskGroup() as group:
        for url in urls:
            parsed = urlparse(url)
            server = LiveServer(
                engine,
                parsed.hostname or "127.0.0.1",
                parsed.port or 8765,
                idle_timeout_s=idle_timeout,
            )
            await server.__aenter__()
            err.print(f"listening for calls on ws://{server.host}:{server.port}")
            group.create_task(server.serve_forever())


def _printer(as_json: bool, err: Console) -> LiveHook:
    from pipeline.live.events import Alert, CallClosed, CallOpened, SegmentFinal

    out = Console(highlight=False, soft_wrap=True)

    def hook(event: LiveEvent) -> None:
        if as_json:
            if isinstance(event, Alert):
                sys.stdout.write(event.json_line() + "\n")
                sys.stdout.flush()
            elif isinstance(event, CallClosed) and not event.clean:
                err.print(f"call {event.call_id} closed: {escape(event.reason)}", soft_wrap=True)
            return
        if isinstance(event, CallOpened):
            out.print(f"[bold]{event.call_id}[/bold] opened ({escape(event.source)})")
        elif isinstance(event, SegmentFinal):
            out.print(f"{event.call_id} {event.start:7.1f}s {event.speaker}: {escape(event.text)}")
        elif isinstance(event, Alert):
            out.print(
                f"[red]ALERT[/red] {event.call_id} {event.t:.1f}s {event.rule}"
                f" ({event.severity}): {escape(event.evidence)}"
            )
        elif isinstance(event, CallClosed):
            kept = f"; audio kept: {event.recording_path}" if event.recording_path else ""
            out.print(f"[bold]{event.call_id}[/bold] closed: {escape(event.reason)}{kept}")

    return hook


def _store_hook(url: str) -> LiveHook:
    """Events into the console's live tables (storage.live, shared with the /live page)."""
    from pipeline.live.events import Alert, CallClosed, CallOpened, SegmentFinal
    from storage.database import Store
    from storage.live import LiveStore

    live = LiveStore(Store(url))

    def hook(event: LiveEvent) -> None:
        if isinstance(event, CallOpened):
            live.open_call(event.call_id, event.agent_id, event.started_at, event.source)
        elif isinstance(event, SegmentFinal):
            live.add_segment(event.call_id, event.start, event.end, event.speaker, event.text)
        elif isinstance(event, Alert):
            live.add_alert(event.call_id, event.t, event.rule, event.severity, event.evidence)
        elif isinstance(event, CallClosed):
            live.close_call(event.call_id, event.reason, event.recording_path)

    return hook


def live_prune(
    older_than: Annotated[
        float,
        typer.Option("--older-than", min=0, help="Days since the live call ended (e.g. 30)."),
    ],
    store: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--store", help="The store URL (default: the configured store)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Delete ended live calls, with their live transcript and alerts, older than
    --older-than days (the record of a call is the batch path's; calls still on stay)."""
    from callqa.cli_common import open_store
    from storage.live import prune_older_than

    opened = open_store(store, config)
    try:
        with opened.session() as session:
            gone = prune_older_than(session, older_than)
    except CallqaError as exc:
        raise fail(str(exc)) from exc
    finally:
        opened.close()
    typer.echo(f"removed {gone} ended live call(s) older than {older_than:g} days")


def register(app: typer.Typer) -> None:
    app.command("live")(live)
    app.command("live-prune")(live_prune)
