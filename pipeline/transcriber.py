"""Transcribing a batch of local recordings (``callqa transcribe``) through the one call
path (``pipeline.one_call``): models loaded once, one bad file never stops the rest; a
recording's ``<stem>.meta.json`` is read as every path reads it (``core.call_metadata``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import AudioError, CallqaError
from core.progress import ProgressHook, no_progress
from core.transcript import Transcript

if TYPE_CHECKING:
    from pipeline.one_call import CallProcessor


@dataclass(frozen=True)
class Outcome:
    source: Path
    transcript: Transcript | None = None
    error: CallqaError | None = None
    output: Path | None = None


def transcribe_files(
    paths: Iterable[Path],
    processor: CallProcessor,
    *,
    out_dir: Path | None = None,
    progress_for: Callable[[Path], ProgressHook] = lambda _p: no_progress,
    on_done: Callable[[Outcome], None] = lambda _o: None,
) -> list[Outcome]:
    outcomes = []
    for path in paths:
        try:
            transcript = processor.transcribe_file(path, progress_for(path))
        except CallqaError as exc:
            outcome = Outcome(path, error=exc, output=_write_error(out_dir, path, exc))
        else:
            output = transcript.write(out_dir / f"{path.stem}.json") if out_dir else None
            outcome = Outcome(path, transcript=transcript, output=output)
        outcomes.append(outcome)
        on_done(outcome)
    return outcomes


def _write_error(out_dir: Path | None, path: Path, exc: CallqaError) -> Path | None:
    """Beside the transcripts, a record of why this recording has none (nothing is lost)."""
    if out_dir is None:
        return None
    record = {
        "source": str(path),
        "reason": exc.reason,  # every CallqaError's stable code, as quarantine records say
        "problem": exc.problem if isinstance(exc, AudioError) else str(exc),
    }
    target = out_dir / f"{path.stem}.error.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    return target
