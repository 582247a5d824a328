"""A bad recording set aside: copied to quarantine with its reason (the original stays
where it is), and its ledger row closed as ``quarantined`` so that a rerun skips it."""

from __future__ import annotations

from core.errors import CallqaError
from flows import ledger
from flows.ledger import Provenance
from flows.places import Places
from storage.database import Store
from storage.objects import ObjectRefused, StoredObject


def quarantine_recording(
    places: Places,
    store: Store,
    worker: str,
    obj: StoredObject,
    exc: CallqaError,
    provenance: Provenance,
) -> str:
    """Quarantines ``obj`` for ``exc`` as ``worker``; returns the problem as recorded."""
    from storage.quarantine import quarantine

    source_id = places.source.describe(obj.key)
    reason = str(getattr(exc, "reason", ""))
    problem = f"{reason}: {exc}" if reason in ledger.RECHECKED_REASONS else str(exc)
    quarantine(
        places.source,
        obj,
        exc,
        prefix=places.quarantine_prefix,
        source_prefix=places.prefix,
        # a link or a pipe is never read: its reason is written, nothing is copied
        copy_original=not isinstance(exc, ObjectRefused),
    )
    with store.session() as session:
        ledger.finish(
            session,
            source_id,
            obj.version,
            worker,
            status="quarantined",
            call_id=None,
            provenance=provenance,
            problem=problem,
        )
    return problem


__all__ = ["quarantine_recording"]
