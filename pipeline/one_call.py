"""The one path of a call: a recording (bytes or a path) and its ``CallMetadata`` to the
redacted transcript and its analysis, the same for ``callqa transcribe``, ``analyze``,
``redact``, ``eval``, the demo and every worker of ``callqa process``.

A ``CallProcessor`` reads the rule pack and the policy once, and that one reading gives the
analyser, the provenance labels a worker records and the pack's hotwords (when
``pack_hotwords`` is on): what is recorded is what was used, even if a file changes during
a run. Models load on first use, so a rerun with nothing to do loads none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.analysis import CallAnalysis
from core.call_metadata import CallMetadata
from core.config import Settings
from core.progress import ProgressHook, no_progress
from core.transcript import Transcript

if TYPE_CHECKING:
    from pipeline.analyze import Analyser
    from pipeline.audio import Audio
    from pipeline.call import CallModels, CallOptions
    from rules.pack import RulePack
    from rules.policy import Policy


@dataclass(frozen=True)
class Labels:
    """What results made now record: the recognition model, the rule pack, the policy."""

    models: str
    rule_pack: str
    policy: str


@dataclass(frozen=True)
class CallResult:
    """One recording, analysed. ``transcript`` (unredacted) stays in memory: only
    ``redacted`` may be stored or shown; ``audio`` is what redacted audio is cut from."""

    redacted: Transcript
    analysis: CallAnalysis
    audio: Audio
    transcript: Transcript


class CallProcessor:
    """What processing calls needs, loaded once and shared by the threads of a worker."""

    def __init__(
        self, settings: Settings, *, drivers: bool = True, models: CallModels | None = None
    ) -> None:
        """``drivers``: classify why the customer called; ``models``: recognition models
        already loaded (a bench trying another diarizer), else loaded on first use."""
        self.settings = settings
        self._drivers = drivers
        self._lock = threading.RLock()
        self._rules: tuple[RulePack, Policy] | None = None
        self._hotwords: tuple[str, ...] | None = None
        self._models = models
        self._analyser: Analyser | None = None

    # --- read once, on first use ------------------------------------------------------
    @property
    def rules(self) -> tuple[RulePack, Policy]:
        """The rule pack (the policy's answer limit applied) and the policy, read once."""
        with self._lock:
            if self._rules is None:
                from pipeline.analyze import load_rules

                self._rules = load_rules(self.settings.rule_pack, self.settings.policy_file)
            return self._rules

    @property
    def labels(self) -> Labels:
        """The provenance of results made now, from the same reading of the rules the
        analyser uses; needs no model."""
        from pipeline.configured import whisper_config

        pack, policy = self.rules
        return Labels(whisper_config(self.settings).label, pack.label, policy.label)

    @property
    def hotwords(self) -> tuple[str, ...]:
        """The one hotword decision: the configured words, plus the pack's phrases when
        ``pack_hotwords`` is on (the pack read once, as for the analysis)."""
        with self._lock:
            if self._hotwords is None:
                from pipeline.configured import recognition_hotwords

                pack = self.rules[0] if self.settings.pack_hotwords else None
                self._hotwords = recognition_hotwords(self.settings, pack)
            return self._hotwords

    @property
    def models(self) -> CallModels:
        """Whisper (and the diarizer, on the first call that needs it)."""
        with self._lock:
            if self._models is None:
                from models.diarization import load_diarization
                from models.whisper import load_whisper
                from pipeline.call import CallModels
                from pipeline.configured import diarization_config, whisper_config

                whisper = whisper_config(self.settings)
                diarization = diarization_config(self.settings)
                self._models = CallModels(
                    whisper=load_whisper(whisper),
                    whisper_label=whisper.label,
                    diarizer=lambda: load_diarization(diarization),
                )
            return self._models

    @property
    def models_loaded(self) -> bool:
        """Whether a recording was transcribed (a re-analysis loads no recognition model)."""
        return self._models is not None

    @property
    def analyser(self) -> Analyser:
        with self._lock:
            if self._analyser is None:
                from pipeline.analyze import analyser_for

                self._analyser = analyser_for(*self.rules, drivers=self._drivers)
            return self._analyser

    def options(self, agent_channel: str | None = None) -> CallOptions:
        """The call options every path transcribes with; the metadata's agent channel
        over the configured one."""
        from pipeline.configured import call_options

        return call_options(self.settings, agent_channel=agent_channel, hotwords=self.hotwords)

    # --- the path -------------------------------------------------------------------------
    def transcribe(
        self,
        recording: bytes | Path,
        metadata: CallMetadata,
        *,
        name: str | None = None,
        progress: ProgressHook = no_progress,
    ) -> tuple[Audio, Transcript]:
        """The decoded recording and its (unredacted) transcript, under the metadata's call
        id; ``name`` labels bytes in errors."""
        from pipeline.audio import decode
        from pipeline.call import transcribe_call

        progress("decode", 0.0, None)
        audio = decode(recording, name=name, max_duration=self.settings.max_duration_s)
        options = self.options(metadata.agent_channel)
        transcript = transcribe_call(
            audio, self.models, options, call_id=metadata.call_id, progress=progress
        )
        return audio, transcript

    def transcribe_file(self, path: Path, progress: ProgressHook = no_progress) -> Transcript:
        """A local recording's transcript, its ``<stem>.meta.json`` read as every path
        reads one (``core.call_metadata.metadata_beside``)."""
        from core.call_metadata import metadata_beside

        return self.transcribe(path, metadata_beside(path), progress=progress)[1]

    def analyse(
        self, transcript: Transcript, metadata: CallMetadata | None = None
    ) -> tuple[Transcript, CallAnalysis]:
        """The redacted transcript (what may be stored) and its analysis."""
        return self.analyser.analyse(transcript, metadata)

    def process(
        self,
        recording: bytes | Path,
        metadata: CallMetadata,
        *,
        name: str | None = None,
        progress: ProgressHook = no_progress,
    ) -> CallResult:
        """A recording to its redacted transcript and analysis."""
        audio, transcript = self.transcribe(recording, metadata, name=name, progress=progress)
        redacted, analysis = self.analyse(transcript, metadata)
        return CallResult(redacted, analysis, audio, transcript)


__all__ = ["CallProcessor", "CallResult", "Labels"]
