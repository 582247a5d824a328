"""Transcribing a batch of recordings: models loaded once, one bad file never stops the rest."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import Settings
from core.errors import AudioError, CallqaError
from core.progress import ProgressHook, no_progress
from core.transcript import Transcript

if TYPE_CHECKING:
    from pipeline.audio import Audio

METADATA_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class Outcome:
    source: Path
    transcript: Transcript | None = None
    error: CallqaError | None = None
    output: Path | None = None


def read_metadata(recording: Path) -> dict[str, object]:
    """Call metadata from a sidecar ``<stem>.meta.json`` beside the recording, if present."""
    sidecar = recording.with_name(recording.stem + METADATA_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CallqaError(f"{sidecar}: call metadata is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise CallqaError(f"{sidecar}: call metadata must be a JSON object")
    return data


class Transcriber:
    """Holds the loaded models for a run; ``transcribe(path)`` does one recording."""

    def __init__(self, settings: Settings) -> None:
        from models.diarization import load_diarization
        from models.whisper import load_whisper
        from pipeline.call import CallModels
        from pipeline.configured import diarization_config as diarization_of
        from pipeline.configured import whisper_config as whisper_of

        whisper_config = whisper_of(settings)
        diarization_config = diarization_of(settings)
        self.settings = settings
        self.models = CallModels(
            whisper=load_whisper(whisper_config),
            whisper_label=whisper_config.label,
            diarizer=lambda: load_diarization(diarization_config),
        )

    def transcribe(self, path: Path, progress: ProgressHook = no_progress) -> Transcript:
        from pipeline.audio import decode

        metadata = read_metadata(path)
        agent_channel = metadata.get("agent_channel")
        progress("decode", 0.0, None)
        audio = decode(path, max_duration=self.settings.max_duration_s)
        return self.transcribe_audio(
            audio,
            call_id=str(metadata.get("call_id") or path.stem),
            agent_channel=str(agent_channel) if agent_channel in ("left", "right") else None,
            progress=progress,
        )

    def transcribe_audio(
        self,
        audio: Audio,
        *,
        call_id: str,
        agent_channel: str | None = None,
        progress: ProgressHook = no_progress,
    ) -> Transcript:
        """The one way a decoded recording becomes a transcript, for every command and the
        batch flow alike: the settings' options (hotwords included), the call metadata's
        agent channel over the configured one."""
        from pipeline.call import transcribe_call
        from pipeline.configured import call_options

        options = call_options(self.settings, agent_channel=agent_channel)
        return transcribe_call(audio, self.models, options, call_id=call_id, progress=progress)


def transcribe_files(
    paths: Iterable[Path],
    transcriber: Transcriber,
    *,
    out_dir: Path | None = None,
    progress_for: Callable[[Path], ProgressHook] = lambda _p: no_progress,
    on_done: Callable[[Outcome], None] = lambda _o: None,
) -> list[Outcome]:
    outcomes = []
    for path in paths:
        try:
            transcript = transcriber.transcribe(path, progress_for(path))
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
        "reason": exc.reason if isinstance(exc, AudioError) else type(exc).__name__,
        "problem": exc.problem if isinstance(exc, AudioError) else str(exc),
    }
    target = out_dir / f"{path.stem}.error.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    return target
