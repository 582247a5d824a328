"""What happens to one recording: fetch → transcribe → analyse → store, exactly once.

Plain Python, no Prefect: ``flows.process`` wraps these steps in tasks (retries, logging,
concurrency). ``CallWorker`` holds what a worker process loads once: the models, the rule
pack, the policy and the connections.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from callqa.config import Settings
from callqa.errors import AudioError, CallqaError
from flows import ledger
from flows.ledger import Action, Provenance
from pipeline.progress import ProgressHook, no_progress
from storage.database import Store
from storage.objects import ObjectStore, StoredObject

if TYPE_CHECKING:
    from pipeline.analysis import CallAnalysis
    from pipeline.analyze import Analyser
    from pipeline.transcript import Transcript
    from storage.call_metadata import CallMetadata

Status = Literal["processed", "reanalysed", "skipped", "quarantined", "busy", "failed"]


@dataclass(frozen=True)
class CallReport:
    """What became of one recording in a run: the line the batch summary is made of."""

    key: str
    status: Status
    call_id: str | None = None
    score: float | None = None
    flags: tuple[str, ...] = ()
    problem: str | None = None
    seconds: float = 0.0
    audio_s: float = 0.0
    worker: str = ""


class RecordingProblem(CallqaError):
    """The recording (or its metadata) is bad: quarantine it, go on with the batch."""


@dataclass
class CallWorker:
    """Everything processing needs, loaded once per worker process."""

    settings: Settings
    source: ObjectStore
    prefix: str
    results: ObjectStore
    results_prefix: str
    store: Store
    source_location: str = ""
    me: str = field(default_factory=ledger.worker_identity)
    lease: timedelta = ledger.DEFAULT_LEASE
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _transcriber: Any = None
    _analyser: Analyser | None = None
    _provenance: Provenance | None = None

    # --- loading, lazily: a rerun with nothing to do loads no model ------------------
    @property
    def analyser(self) -> Analyser:
        with self._lock:
            if self._analyser is None:
                from pipeline.analyze import load_analyser

                self._analyser = load_analyser(self.settings.rule_pack, self.settings.policy_file)
            return self._analyser

    @property
    def transcriber(self) -> Any:
        with self._lock:
            if self._transcriber is None:
                from callqa.runner import Transcriber

                self._transcriber = Transcriber(self.settings)
            return self._transcriber

    def provenance(self) -> Provenance:
        """What results made now would record: read from the rule pack and policy files
        once, without the sentiment model (the ledger needs it for every recording)."""
        with self._lock:
            if self._provenance is None:
                from pipeline.analyze import load_rules

                pack, policy = load_rules(self.settings.rule_pack, self.settings.policy_file)
                self._provenance = Provenance(
                    models=self.settings.whisper_config().label,
                    rule_pack=pack.label,
                    policy=policy.label,
                )
            return self._provenance

    def outcome_since(self, key: str, since: datetime) -> CallReport:
        """What the ledger says became of ``key`` (its current version) since ``since``."""
        from storage.schema import ProcessedRecording

        obj = self.source.stat(key)
        with self.store.session() as session:
            row = session.get(ProcessedRecording, (self.source.describe(key), obj.version))
            if row is None or row.status == "claimed":
                problem = row.problem if row is not None else None
                return CallReport(key, "failed", problem=problem or "not processed")
            if row.status == "quarantined":
                return CallReport(key, "quarantined", problem=row.problem)
            fresh = row.finished_at is not None and row.finished_at >= since
            return CallReport(key, "processed" if fresh else "skipped", call_id=row.call_id)

    # --- the steps --------------------------------------------------------------------
    def recordings(self) -> list[StoredObject]:
        from storage.locations import list_recordings

        return list(list_recordings(self.source, self.prefix, self.settings))

    def handle(self, obj: StoredObject, progress: ProgressHook = no_progress) -> CallReport:
        """Processes one recording as the ledger says; never raises for a bad recording."""
        import time

        started = time.perf_counter()
        source_id = self.source.describe(obj.key)
        provenance = self.provenance()
        with self.store.session() as session:
            action, before = ledger.claim(
                session, source_id, obj.version, provenance, self.me, self.lease
            )
        if action is Action.SKIP:
            return CallReport(obj.key, "skipped", call_id=before.call_id if before else None)
        if action is Action.BUSY:
            return CallReport(obj.key, "busy", problem="another worker is processing it")
        if action is Action.QUARANTINED:
            return CallReport(obj.key, "quarantined", problem=before.problem if before else None)
        try:
            if action is Action.REANALYSE and before is not None and before.transcript_key:
                report = self._reanalyse(obj, source_id, before.transcript_key, provenance)
            else:
                report = self._process(obj, source_id, provenance, progress)
        except (AudioError, RecordingProblem) as exc:
            report = self._quarantine(obj, source_id, exc, provenance)
        except CallqaError as exc:  # storage or database trouble: the next run retries it
            self._release(source_id, obj.version, str(exc))
            raise
        except Exception as exc:
            self._release(source_id, obj.version, f"{type(exc).__name__}: {exc}")
            raise
        return CallReport(
            **{**report.__dict__, "seconds": time.perf_counter() - started, "worker": self.me}
        )

    def _process(
        self, obj: StoredObject, source_id: str, provenance: Provenance, progress: ProgressHook
    ) -> CallReport:
        from pipeline.audio import decode
        from pipeline.call import transcribe_call

        meta = self._metadata(obj)
        progress("fetch", 0.0, None)
        data = self.source.get(obj.key)
        audio = decode(data, name=source_id, max_duration=self.settings.max_duration_s)
        options = self.settings.call_options(agent_channel=meta.agent_channel)
        transcript = transcribe_call(
            audio,
            self.transcriber.models,
            options,
            call_id=meta.call_id,
            progress=progress,
        )
        redacted, analysis = self.analyser.analyse(transcript, _analysis_metadata(meta))
        redacted_audio = _redacted_audio(audio, transcript, analysis)
        keys = self._write_results(obj, redacted, analysis, redacted_audio)
        self._store(obj, source_id, meta, redacted, analysis, keys, provenance)
        return CallReport(
            obj.key,
            "processed",
            call_id=meta.call_id,
            score=analysis.score,
            flags=analysis.flags,
            audio_s=audio.duration,
        )

    def _reanalyse(
        self, obj: StoredObject, source_id: str, transcript_key: str, provenance: Provenance
    ) -> CallReport:
        """A new rule pack or policy: the stored (redacted) transcript is analysed again."""
        from pipeline.transcript import Transcript

        meta = self._metadata(obj)
        stored = Transcript.from_json(
            self.results.get(transcript_key), source=self.results.describe(transcript_key)
        )
        redacted, analysis = self.analyser.analyse(stored, _analysis_metadata(meta))
        keys = self._write_results(obj, redacted, analysis, None)
        keys["transcript"] = transcript_key
        self._store(obj, source_id, meta, redacted, analysis, keys, provenance)
        return CallReport(
            obj.key,
            "reanalysed",
            call_id=meta.call_id,
            score=analysis.score,
            flags=analysis.flags,
        )

    def _metadata(self, obj: StoredObject) -> CallMetadata:
        from storage.call_metadata import read_call_metadata

        return read_call_metadata(self.source, obj, self.settings.filename_pattern)

    def _results_base(self, obj: StoredObject) -> str:
        relative = obj.key[len(self.prefix) :] if obj.key.startswith(self.prefix) else obj.key
        return self.results_prefix + str(PurePosixPath(relative).with_suffix(""))

    def _write_results(
        self,
        obj: StoredObject,
        redacted: Transcript,
        analysis: CallAnalysis,
        redacted_audio: bytes | None,
    ) -> dict[str, str | None]:
        base = self._results_base(obj)
        keys: dict[str, str | None] = {
            "transcript": f"{base}/transcript.json",
            "analysis": f"{base}/analysis.json",
            "audio": f"{base}/redacted.ogg",
        }
        meta = {"source": obj.key, "source-version": obj.version}
        self.results.put(
            str(keys["transcript"]),
            redacted.to_json().encode("utf-8"),
            content_type="application/json",
            metadata=meta,
        )
        self.results.put(
            str(keys["analysis"]),
            analysis.model_dump_json(indent=2).encode("utf-8"),
            content_type="application/json",
            metadata=meta,
        )
        if redacted_audio is not None:
            self.results.put(
                str(keys["audio"]), redacted_audio, content_type="audio/ogg", metadata=meta
            )
        elif not self.results.exists(str(keys["audio"])):
            keys["audio"] = None
        return keys

    def _store(
        self,
        obj: StoredObject,
        source_id: str,
        meta: CallMetadata,
        redacted: Transcript,
        analysis: CallAnalysis,
        keys: dict[str, str | None],
        provenance: Provenance,
    ) -> None:
        from storage.results import CallRecord, save_call

        record = CallRecord(
            call_id=meta.call_id,
            source=source_id,
            source_version=obj.version,
            models=provenance.models,
            agent_id=meta.agent_id,
            agent_name=meta.agent_name,
            team_id=meta.team_id,
            started_at=meta.started_at,
            customer_ref=meta.customer_ref,
            channel_layout=meta.channel_layout,
            ring_time_s=meta.ring_time_s,
            # full locations: the console and auditors find them without knowing the run
            transcript_key=self._location(keys["transcript"]),
            analysis_key=self._location(keys["analysis"]),
            redacted_audio_key=self._location(keys["audio"]),
        )
        with self.store.session() as session:
            save_call(session, record, redacted, analysis)
            if not ledger.finish(
                session,
                source_id,
                obj.version,
                self.me,
                status="done",
                call_id=meta.call_id,
                provenance=provenance,
                transcript_key=keys["transcript"],
            ):
                raise LostClaim(f"{source_id}: another worker took this recording over")

    def _location(self, key: str | None) -> str | None:
        return self.results.describe(key) if key else None

    def _quarantine(
        self, obj: StoredObject, source_id: str, exc: CallqaError, provenance: Provenance
    ) -> CallReport:
        from storage.quarantine import quarantine

        problem = str(exc)
        quarantine(
            self.source, obj, exc, prefix=self._quarantine_prefix(), source_prefix=self.prefix
        )
        with self.store.session() as session:
            ledger.finish(
                session,
                source_id,
                obj.version,
                self.me,
                status="quarantined",
                call_id=None,
                provenance=provenance,
                problem=problem,
            )
        return CallReport(obj.key, "quarantined", problem=problem)

    def _quarantine_prefix(self) -> str:
        from storage.locations import quarantine_prefix

        return quarantine_prefix(self.prefix, self.settings)

    def _release(self, source_id: str, version: str, problem: str) -> None:
        try:
            with self.store.session() as session:
                ledger.release(session, source_id, version, self.me, problem)
        except CallqaError:
            pass  # the store is down: the claim's lease runs out instead


class LostClaim(CallqaError):
    """Our claim was taken over (we were presumed dead): our results are not stored."""


def _analysis_metadata(meta: CallMetadata) -> dict[str, object]:
    return {k: v for k, v in meta.model_dump().items() if v is not None}


def _redacted_audio(audio: Any, transcript: Transcript, analysis: CallAnalysis) -> bytes:
    """The recording with every redacted span beeped out, as Ogg/Opus: what the console
    plays. The original is never served."""
    from pipeline.audio import write_audio
    from pipeline.redact import audio_spans, redact_audio

    spans = audio_spans(transcript, analysis.redactions)
    cleaned = redact_audio(audio, spans) if spans else audio
    with tempfile.TemporaryDirectory(prefix="callqa-redacted-") as folder:
        path = write_audio(Path(folder) / "redacted.ogg", cleaned.samples, cleaned.sample_rate)
        return path.read_bytes()


def open_worker(source: str, settings: Settings, **kwargs: Any) -> CallWorker:
    """A worker for the recordings at ``source`` (``s3://bucket/prefix`` or a folder)."""
    from storage.locations import open_location, results_store

    store, prefix = open_location(source, settings)
    results, results_prefix = results_store(store, prefix, settings)
    return CallWorker(
        settings=settings,
        source=store,
        prefix=prefix,
        results=results,
        results_prefix=results_prefix,
        store=Store(settings.resolved_store_url()),
        source_location=source,
        **kwargs,
    )


EventHook = Callable[[CallReport], None]
