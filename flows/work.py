"""What happens to one recording: fetch → transcribe → analyse → store, exactly once.

Plain Python, no Prefect: ``flows.process`` wraps these steps in tasks (retries, logging,
concurrency). ``CallWorker`` holds what a worker process opens once and composes the parts:
``flows.places`` (where), ``flows.naming`` (which call), ``pipeline.one_call`` (the models,
pack and policy), ``flows.storing`` (results and rows), ``flows.quarantining`` (bad input).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from core.call_metadata import CallMetadataError
from core.config import Settings
from core.errors import AudioError, CallqaError
from core.progress import ProgressHook, no_progress
from flows import ledger
from flows.ledger import Action, Provenance
from flows.naming import CallNaming
from flows.places import Places, open_places
from flows.quarantining import quarantine_recording
from flows.storing import Analysed, LostClaim, Storing, redacted_audio
from storage.call_identity import CallIdTaken
from storage.database import Store
from storage.objects import ObjectRefused, ObjectStore, StoredObject

if TYPE_CHECKING:
    from pipeline.one_call import CallProcessor

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
    """One worker process's loop step: claim a recording in the ledger, run it through the
    one call path, store it or quarantine it. Each part it holds has one job: ``places``
    (where), ``naming`` (which call), ``processor`` (the models and rules, loaded once),
    ``storing`` (results and rows), ``quarantine_recording`` (bad input)."""

    settings: Settings
    places: Places
    store: Store
    naming: CallNaming
    me: str = field(default_factory=ledger.worker_identity)
    lease: timedelta = ledger.DEFAULT_LEASE
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _processor: CallProcessor | None = None
    _provenance: Provenance | None = None

    @property
    def source(self) -> ObjectStore:
        return self.places.source

    @property
    def source_location(self) -> str:
        return self.places.location

    @property
    def storing(self) -> Storing:
        return Storing(self.places, self.store, self.naming, self.me)

    # --- loading, lazily: a rerun with nothing to do loads no model ------------------
    @property
    def processor(self) -> CallProcessor:
        """The one call path, its rule pack and policy read once per worker: what the
        ledger records as provenance is what calls are analysed with."""
        with self._lock:
            if self._processor is None:
                from pipeline.one_call import CallProcessor

                self._processor = CallProcessor(self.settings)
            return self._processor

    def provenance(self) -> Provenance:
        """What results made now would record (the ledger needs it for every recording):
        from the processor's one reading of the rules, without any model."""
        labels = self.processor.labels
        with self._lock:
            if self._provenance is None:
                self._provenance = Provenance(
                    models=labels.models, rule_pack=labels.rule_pack, policy=labels.policy
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

        return list(list_recordings(self.source, self.places.prefix, self.settings))

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
            problem = quarantine_recording(self.places, self.store, self.me, obj, exc, provenance)
            report = CallReport(obj.key, "quarantined", problem=problem)
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
        meta, explicit = self.naming.metadata(obj)
        with self.store.session() as session:  # a stated id that is taken: no work
            call_id = self.naming.call_id(session, obj, source_id, meta, explicit)
        progress("fetch", 0.0, None)
        data = self.source.get(obj.key)
        result = self.processor.process(
            data, meta.model_copy(update={"call_id": call_id}), name=source_id, progress=progress
        )
        stored = Analysed(obj, source_id, meta, explicit, result.redacted, result.analysis)
        stored.redacted_audio = redacted_audio(result.audio, result.transcript, result.analysis)
        call_id = self.storing.store_analysed(stored, provenance)
        return CallReport(
            obj.key,
            "processed",
            call_id=call_id,
            score=result.analysis.score,
            flags=result.analysis.flags,
            audio_s=result.audio.duration,
        )

    def _reanalyse(
        self, obj: StoredObject, source_id: str, transcript_key: str, provenance: Provenance
    ) -> CallReport:
        """A new rule pack or policy: the stored (redacted) transcript is analysed again."""
        from core.transcript import Transcript

        meta, explicit = self.naming.metadata(obj)
        results = self.places.results
        stored = Transcript.from_json(
            results.get(transcript_key), source=results.describe(transcript_key)
        )
        redacted, analysis = self.processor.analyse(stored, meta)
        analysed = Analysed(obj, source_id, meta, explicit, redacted, analysis, transcript_key)
        call_id = self.storing.store_analysed(analysed, provenance)
        return CallReport(
            obj.key,
            "reanalysed",
            call_id=call_id,
            score=analysis.score,
            flags=analysis.flags,
        )

    def _release(self, source_id: str, version: str, problem: str) -> None:
        try:
            with self.store.session() as session:
                ledger.release(session, source_id, version, self.me, problem)
        except CallqaError:
            pass  # the store is down: the claim's lease runs out instead


def open_worker(source: str, settings: Settings, **kwargs: Any) -> CallWorker:
    """A worker for the recordings at ``source`` (``s3://bucket/prefix`` or a folder)."""
    places = open_places(source, settings)
    return CallWorker(
        settings=settings,
        places=places,
        store=Store(settings.resolved_store_url()),
        naming=CallNaming(places.source, settings.filename_pattern, settings.data_dir),
        **kwargs,
    )


__all__ = ["BAD_RECORDING", "CallReport", "CallWorker", "LostClaim", "open_worker"]
