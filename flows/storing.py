"""Storing one analysed recording: its results beside it, its rows in the scorecard store
and its ledger row done, in one transaction, under a call id that is its own.

The id is decided again inside the storing transaction (``storage.call_identity``), after
the ledger row that says the claim is still ours has been touched: on SQLite that write
takes the store's write lock, so no other worker can take the same id before we commit; on
PostgreSQL two workers that pick one id at once collide on the calls' primary key, and the
loser decides again (it then sees the winner's call and takes a distinct id).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import CallqaError
from flows import ledger
from flows.ledger import Provenance
from flows.naming import CallNaming
from flows.places import Places
from storage.database import WRITE_CONFLICTS, Store
from storage.objects import StoredObject

if TYPE_CHECKING:
    from core.analysis import CallAnalysis
    from core.call_metadata import CallMetadata
    from core.transcript import Transcript
    from storage.results import CallRecord


class LostClaim(CallqaError):
    """Our claim was taken over (we were presumed dead): our results are not stored."""


@dataclass
class Analysed:
    """One recording, analysed, waiting to be stored."""

    obj: StoredObject
    source_id: str
    meta: CallMetadata
    explicit_id: bool  # the recorder stated the call id (not taken from the file name)
    redacted: Transcript
    analysis: CallAnalysis
    transcript_key: str | None = None  # a re-analysis keeps the stored transcript
    redacted_audio: bytes | None = None


@dataclass(frozen=True)
class Storing:
    """Where and as whom a worker stores its calls."""

    places: Places
    store: Store
    naming: CallNaming
    worker: str  # the ledger identity whose claim must still hold

    def store_analysed(self, item: Analysed, provenance: Provenance) -> str:
        """Writes the results and stores the call; returns the id it was stored under."""
        written = _write_results(self.places, item)
        for attempt in (1, 2):
            try:
                with self.store.session() as session:
                    return _store(self, session, item, provenance, written)
            except WRITE_CONFLICTS:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _store(
    storing: Storing,
    session: Any,
    item: Analysed,
    provenance: Provenance,
    written: dict[str, str | None],
) -> str:
    from storage.results import save_call

    obj, source_id, me = item.obj, item.source_id, storing.worker
    if not ledger.hold(session, source_id, obj.version, me):
        raise LostClaim(f"{source_id}: another worker took this recording over")
    call_id = storing.naming.call_id(session, obj, source_id, item.meta, item.explicit_id)
    keys = written
    if call_id != item.redacted.call_id:  # another worker took the id meanwhile
        item.redacted = item.redacted.model_copy(update={"call_id": call_id})
        item.analysis = item.analysis.model_copy(update={"call_id": call_id})
        keys = _write_results(storing.places, item)
    record = call_record(storing, item, call_id, provenance, keys)
    save_call(session, record, item.redacted, item.analysis)
    if not ledger.finish(
        session,
        source_id,
        obj.version,
        me,
        status="done",
        call_id=call_id,
        provenance=provenance,
        transcript_key=keys["transcript"],
    ):
        raise LostClaim(f"{source_id}: another worker took this recording over")
    return call_id


def call_record(
    storing: Storing,
    item: Analysed,
    call_id: str,
    provenance: Provenance,
    keys: dict[str, str | None],
) -> CallRecord:
    """The call's row: its metadata (the customer reference pseudonymised), provenance
    and the full locations of its results."""
    from storage.call_identity import pseudonymise
    from storage.results import CallRecord

    meta, places = item.meta, storing.places
    return CallRecord(
        call_id=call_id,
        source=item.source_id,
        source_version=item.obj.version,
        models=provenance.models,
        agent_id=meta.agent_id,
        agent_name=meta.agent_name,
        team_id=meta.team_id,
        started_at=meta.started_at,
        customer_ref=pseudonymise(meta.customer_ref, storing.naming.pseudonym_key()),
        channel_layout=meta.channel_layout,
        ring_time_s=meta.ring_time_s,
        transcript_key=places.result_location(keys["transcript"]),
        analysis_key=places.result_location(keys["analysis"]),
        redacted_audio_key=places.result_location(keys["audio"]),
    )


def _write_results(places: Places, item: Analysed) -> dict[str, str | None]:
    base = places.results_base(item.obj)
    keys: dict[str, str | None] = {
        "transcript": f"{base}/transcript.json",
        "analysis": f"{base}/analysis.json",
        "audio": f"{base}/redacted.ogg",
    }
    results = places.results
    meta = {"source": item.obj.key, "source-version": item.obj.version}
    results.put(
        str(keys["transcript"]),
        item.redacted.to_json().encode("utf-8"),
        content_type="application/json",
        metadata=meta,
    )
    results.put(
        str(keys["analysis"]),
        item.analysis.model_dump_json(indent=2).encode("utf-8"),
        content_type="application/json",
        metadata=meta,
    )
    if item.redacted_audio is not None:
        results.put(
            str(keys["audio"]), item.redacted_audio, content_type="audio/ogg", metadata=meta
        )
    elif not results.exists(str(keys["audio"])):
        keys["audio"] = None
    if item.transcript_key:
        keys["transcript"] = item.transcript_key
    return keys


def redacted_audio(audio: Any, transcript: Transcript, analysis: CallAnalysis) -> bytes:
    """The recording with every redacted span beeped out, as Ogg/Opus: what the console
    plays. The original is never served. Written block by block, so a 4-hour call adds a
    few MB of float32 to its decoded int16, not a float32 copy of the whole call."""
    from pipeline.redact import audio_spans, write_redacted_audio

    spans = audio_spans(transcript, analysis.redactions)
    with tempfile.TemporaryDirectory(prefix="callqa-redacted-") as folder:
        path = write_redacted_audio(Path(folder) / "redacted.ogg", audio, spans)
        return path.read_bytes()


__all__ = ["Analysed", "LostClaim", "Storing", "call_record", "redacted_audio"]
