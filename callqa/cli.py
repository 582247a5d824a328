"""The ``callqa`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from core.errors import CallqaError

app = typer.Typer(
    help="Speech-analytics quality monitoring for a bank's remote-agent centre.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
    typer.Option("--config", "-c", help="TOML settings file (default: ./callqa.toml if present)"),
]


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


@app.command()
def transcribe(
    files: Annotated[list[Path], typer.Argument(help="Recordings: WAV, FLAC, MP3, OGG/Opus, M4A.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write <name>.json transcripts here.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print transcripts as JSON (one per line).")
    ] = False,
    language: Annotated[str | None, typer.Option(help="Whisper language code, or 'auto'.")] = None,
    model: Annotated[str | None, typer.Option(help="'base' or a CTranslate2 model folder.")] = None,
    agent_channel: Annotated[
        Optional[str], typer.Option(help="Stereo: which channel is the agent: auto, left, right.")  # noqa: UP045
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Turn call recordings into speaker-attributed transcripts (who said what, when)."""
    from callqa.console import BatchProgress, print_transcript
    from core.config import load_settings
    from pipeline.one_call import CallProcessor
    from pipeline.transcriber import Outcome, transcribe_files

    out_console = Console(stderr=as_json)
    err_console = Console(stderr=True)
    try:
        settings = load_settings(
            config, language=language, whisper_model=model, agent_channel=agent_channel
        )
        processor = CallProcessor(settings)
        _ = processor.models  # a model that cannot load stops the command, not each file
    except CallqaError as exc:
        raise _fail(err_console, str(exc)) from exc

    failed = 0
    batch = BatchProgress(err_console, len(files))

    def on_done(outcome: Outcome) -> None:
        nonlocal failed
        batch.file_done()
        if outcome.transcript is None:
            failed += 1
            batch.progress.console.print(  # one line per bad file, whatever the terminal width
                f"[red]error:[/red] {outcome.error}",
                highlight=False,
                soft_wrap=True,
            )
        elif as_json:
            sys.stdout.write(outcome.transcript.to_json(indent=None) + "\n")
            sys.stdout.flush()
        else:
            print_transcript(out_console, outcome.transcript)

    with batch.shown():
        transcribe_files(
            files, processor, out_dir=out, progress_for=batch.hook_for, on_done=on_done
        )
    done = len(files) - failed
    out_console.print(
        f"{done} transcribed, {failed} failed" + (f"; transcripts in {out}" if out else "")
    )
    if failed:
        raise typer.Exit(1)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where the sample calls, results and store go.")
    ] = Path("demo-out"),
    config: ConfigOption = None,
    synthesise: Annotated[
        bool,
        typer.Option(
            "--synthesise",
            help="Build the sample calls from their scripts (about 5 minutes on 2 cores) "
            "instead of using the shipped recordings.",
        ),
    ] = False,
) -> None:
    """The main job on embedded defaults: a quarter of sample calls processed into the store,
    the flagged calls and the agents' appraisal."""
    from callqa.demo import run_demo

    try:
        code = run_demo(out, config, synthesise=synthesise)
    except CallqaError as exc:
        raise _fail(Console(stderr=True), str(exc)) from exc
    raise typer.Exit(code)


from callqa.cli_redact import register as _register_redact  # noqa: E402

_register_redact(app)


from callqa.cli_rules import register as _register_rules  # noqa: E402

_register_rules(app)

from callqa.cli_analyze import register as _register_analyze  # noqa: E402

_register_analyze(app)

from callqa.cli_process import register as _register_process  # noqa: E402

_register_process(app)

from callqa.cli_appraisal import register as _register_appraisal  # noqa: E402

_register_appraisal(app)

from callqa.cli_console import register as _register_console  # noqa: E402

_register_console(app)

from callqa.cli_store import register as _register_store  # noqa: E402

_register_store(app)

from callqa.cli_live import register as _register_live  # noqa: E402

_register_live(app)

from callqa.cli_drivers import register as _register_drivers  # noqa: E402

_register_drivers(app)

if __name__ == "__main__":  # pragma: no cover
    app()
