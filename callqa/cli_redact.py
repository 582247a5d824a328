"""``callqa redact-audio``: a copy of a recording with card numbers, IDs, phone numbers and
codes silenced or bleeped (policy §6.2). Registered on the main app by ``register``.

This module must not import ``callqa.cli`` (that module imports this one)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from core.errors import CallqaError

if TYPE_CHECKING:
    from core.analysis import Redaction


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def redact_audio_command(
    recording: Annotated[Path, typer.Argument(help="The recording: WAV, FLAC, MP3, OGG, M4A.")],
    out: Annotated[Path, typer.Argument(help="Where the redacted copy goes (format by suffix).")],
    transcript: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
        typer.Option(
            "--transcript", "-t", help="The call's transcript JSON; without it, transcribe first."
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="beep: a tone over each secret; silence: zeros.")
    ] = "beep",
    pad: Annotated[float, typer.Option(help="Seconds added before and after each span.")] = 0.15,
    all_channels: Annotated[
        bool,
        typer.Option("--all-channels", help="Stereo: cover both channels, not just the speaker's."),
    ] = False,
    transcript_out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Also write the redacted transcript JSON here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the redactions as JSON.")] = False,
    config: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--config", "-c", help="TOML settings file (for transcribing)."),
    ] = None,
) -> None:
    """Write a copy of a recording with customer secrets (card numbers, IDs, phone numbers,
    security codes, one-time codes) bleeped or silenced."""
    from core.transcript import Transcript
    from pipeline.audio import decode
    from pipeline.redact import Cover, audio_spans, redact_transcript, write_redacted_audio

    err = Console(stderr=True)
    _check_options(err, mode, out, pad)
    try:
        if transcript is not None:
            call = Transcript.read(transcript)
        else:
            from core.config import load_settings
            from pipeline.one_call import CallProcessor

            call = CallProcessor(load_settings(config)).transcribe_file(recording)
        audio = decode(recording)
    except (CallqaError, OSError) as exc:
        raise _fail(err, str(exc)) from exc

    redacted, redactions = redact_transcript(call)
    spans = audio_spans(call, redactions)
    if all_channels:
        spans = [(start, end, None) for start, end, _channel in spans]
    cover = Cover(mode="beep" if mode == "beep" else "silence", pad_s=pad)
    write_redacted_audio(out, audio, spans, cover)
    if transcript_out is not None:
        redacted.write(transcript_out)
    _report(redactions, out, transcript_out, as_json)


def _check_options(err: Console, mode: str, out: Path, pad: float) -> None:
    from pipeline.audio_writing import WRITABLE_SUFFIXES

    if mode not in ("beep", "silence"):
        raise _fail(err, f"--mode {mode!r}: expected 'beep' or 'silence'")
    if out.suffix.lower() not in WRITABLE_SUFFIXES:
        raise _fail(
            err, f"{out}: cannot write {out.suffix!r}; use one of {sorted(WRITABLE_SUFFIXES)}"
        )
    if pad < 0:
        raise _fail(err, f"--pad {pad}: expected 0 or more seconds")


def _report(
    redactions: Sequence[Redaction], out: Path, transcript_out: Path | None, as_json: bool
) -> None:
    """What was redacted: JSON (``--json``) or one line for people."""
    if as_json:
        report = {
            "output": str(out),
            "transcript": str(transcript_out) if transcript_out else None,
            "redactions": [r.model_dump() for r in redactions],
        }
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        kinds = Counter(r.kind for r in redactions)
        summary = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())) or "nothing found"
        Console().print(f"{len(redactions)} redacted ({summary}); wrote {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``redact-audio`` to the ``callqa`` command."""
    app.command("redact-audio")(redact_audio_command)


__all__ = ["redact_audio_command", "register"]
