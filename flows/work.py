"""What happens to one recording: fetch → transcribe → analyse → store, exactly once.

Plain Python, no Prefect: ``flows.process`` wraps these steps in tasks (retries, logging,
concurrency). ``CallWorker`` holds what a worker process loads once: the models, the rule
pack, the policy and the connections.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from core.config import Settings
from core.errors import AudioError, CallqaError
from core.progress import ProgressHook, no_progress
from flows import ledger
from flows.ledger import Action, Provenance
from flows.storing import Analysed, LostClaim, analysis_metadata, redacted_audio, store_analysed
from storage.call_identity import CallIdTaken
from storage.call_metadata import CallMetadataError
from storage.database import Store
from storage.objects import ObjectRefused, ObjectStore, StoredObject

if TYPE_CHECKING:
    from pipeline.analyze import Analyser
    from pipeline.transcriber import Transcriber
    from rules.pack import RulePack
    from rules.policy import Policy
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


# What is wrong with the recording itself (retrying cannot help): quarantined with the
# reason, and the batch goes on. Each carries a stable ``reason`` code for the record.
BAD_RECORDING: tuple[type[CallqaError], ...] = (
    AudioError,  # empty, not audio, corrupt, too long, no speech...
    RecordingProblem,
    CallMetadataError,  # bad_metadata: a malformed or mistyped .meta.json
    ObjectRefused,  # symlink, special_file: never read, never copied
    CallIdTaken,  # duplicate_call_id: the metadata names another recording's call id
)


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
    _transcriber: Transcriber | None = None
    _analyser: Analyser | None = None
    _provenance: Provenance | None = None
    _rules: tuple[RulePack, Policy] | None = None
    _pseudonym_key: bytes | None = None

    # --- loading, lazily: a rerun with nothing to do loads no model ------------------
    def _loaded_rules(self) -> tuple[RulePack, Policy]:
        """The rule pack and policy, read once per worker (the caller holds the lock): what
        the ledger records as provenance is what the analyser checks calls against, even if
        a file changes during the run."""
        if self._rules is None:
            from pipeline.analyze import load_rules

            self._rules = load_rules(self.settings.rule_pack, self.settings.policy_file)
        return self._rules

    @property
    def analyser(self) -> Analyser:
        with self._lock:
            if self._analyser is None:
                from pipeline.analyze import analyser_for

                self._analyser = analyser_for(*self._loaded_rules())
            return self._analyser

    @property
    def transcriber(self) -> Transcriber:
        with self._lock:
            if self._transcriber is None:
                from pipeline.transcriber import Transcriber

                self._transcriber = Transcriber(self.settings)
            return self._transcriber

    def provenance(self) -> Provenance:
        """What results made now would record: read from the rule pack and policy files
        once, without the sentiment model (the ledger needs it for every recording)."""
        with self._lock:
            if self._provenance is None:
                from pipeline.configured import whisper_config

                pack, policy = self._loaded_rules()
                self._provenance = Provenance(
                    models=whisper_config(self.settings).label,
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
        except BAD_RECORDING as exc:
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

        meta, explicit = self._metadata(obj)
        call_id = self._call_id(obj, source_id, meta, explicit)  # a taken stated id: no work
        progress("fetch", 0.0, None)
        data = self.source.get(obj.key)
        audio = decode(data, name=source_id, max_duration=self.settings.max_duration_s)
        transcript = self.transcriber.transcribe_audio(
            audio, call_id=call_id, agent_channel=meta.agent_channel, progress=progress
        )
        redacted, analysis = self.analyser.analyse(transcript, analysis_metadata(meta))
        stored = Analysed(obj, source_id, meta, explicit, redacted, analysis)
        stored.redacted_audio = redacted_audio(audio, transcript, analysis)
        call_id = store_analysed(self, stored, provenance)
        return CallReport(
            obj.key,
            "processed",
            call_id=call_id,
            score=analysis.score,
            flags=analysis.flags,
            audio_s=audio.duration,
        )

    def _reanalyse(
        self, obj: StoredObject, source_id: str, transcript_key: str, provenance: Provenance
    ) -> CallReport:
        """A new rule pack or policy: the stored (redacted) transcript is analysed again."""
        from core.transcript import Transcript

        meta, explicit = self._metadata(obj)
        stored = Transcript.from_json(
            self.results.get(transcript_key), source=self.results.describe(transcript_key)
        )
        redacted, analysis = self.analyser.analyse(stored, analysis_metadata(meta))
        analysed = Analysed(obj, source_id, meta, explicit, redacted, analysis, transcript_key)
        call_id = store_analysed(self, analysed, provenance)
        return CallReport(
            obj.key,
            "reanalysed",
            call_id=call_id,
            score=analysis.score,
            flags=analysis.flags,
        )

    def _metadata(self, obj: StoredObject) -> tuple[CallMetadata, bool]:
        """The recording's metadata, and whether its call id was stated (not a file name)."""
        from storage.call_metadata import read_call_metadata_with_origin

        meta, origin = read_call_metadata_with_origin(
            self.source, obj, self.settings.filename_pattern
        )
        return meta, origin.get("call_id") != "file name"

    def _call_id(
        self, obj: StoredObject, source_id: str, meta: CallMetadata, explicit: bool
    ) -> str:
        """The id the call will most likely be stored under (storing decides again, in its
        transaction); raises ``CallIdTaken`` before any work for a stated id that is taken."""
        from storage.call_identity import resolve_call_id

        with self.store.session() as session:
            return resolve_call_id(
                session,
                meta.call_id,
                explicit=explicit,
                source=source_id,
                version=obj.version,
                key=self.pseudonym_key(),
            )

    def pseudonym_key(self) -> bytes:
        with self._lock:
            if self._pseudonym_key is None:
                from storage.call_identity import pseudonym_key

                self._pseudonym_key = pseudonym_key(self.settings.data_dir)
            return self._pseudonym_key

    def results_base(self, obj: StoredObject) -> str:
        relative = obj.key[len(self.prefix) :] if obj.key.startswith(self.prefix) else obj.key
        return self.results_prefix + str(PurePosixPath(relative).with_suffix(""))

    def _quarantine(
        self, obj: StoredObject, source_id: str, exc: CallqaError, provenance: Provenance
    ) -> CallReport:
        from storage.quarantine import quarantine

        reason = str(getattr(exc, "reason", ""))
        problem = f"{reason}: {exc}" if reason in ledger.RECHECKED_REASONS else str(exc)
        quarantine(
            self.source,
            obj,
            exc,
            prefix=self._quarantine_prefix(),
            source_prefix=self.prefix,
            # a link or a pipe is never read: its reason is written, nothing is copied
            copy_original=not isinstance(exc, ObjectRefused),
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
_analysis_metadata = analysis_metadata  # the name bench/bench_flows.py imports
__all__ = ["BAD_RECORDING", "CallReport", "CallWorker", "LostClaim", "open_worker"]
