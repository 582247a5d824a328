"""The idempotency ledger: what has been done to which version of which recording.

A recording is identified by (source, version): its location and its object version (or
ETag, or content hash for a folder). What was done to it is judged against the current
provenance: ``transcribed_with`` (the models) and ``analysed_with`` (rule pack + policy).

Work on a recording is claimed before it starts. A claim names its holder (host, process,
run); it is taken over when the holder's process is gone (same host) or the claim is older
than the lease (another host). The store write that finishes a call also finishes the
claim, in one transaction, and only if the claim is still ours: whatever is killed when, a
call is stored exactly once.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from storage import ledger as rows
from storage.database import Session
from storage.results import utcnow
from storage.schema import ProcessedRecording

DEFAULT_LEASE = timedelta(minutes=30)


class Action(StrEnum):
    SKIP = "skip"  # done with these models, this rule pack and this policy
    REANALYSE = "reanalyse"  # transcript still good; the rule pack or policy changed
    PROCESS = "process"  # new, a new version, new models, or a dead worker's claim
    QUARANTINED = "quarantined"  # this version was bad last time too
    BUSY = "busy"  # another live worker holds it


@dataclass(frozen=True)
class Provenance:
    models: str
    rule_pack: str
    policy: str

    @property
    def analysed_with(self) -> str:
        return f"{self.rule_pack}|{self.policy}"


# Quarantined for what the recorder can correct beside the audio (its .meta.json): the
# recording's version (its audio) stays the same when the metadata is fixed, so these are
# checked again on every run. The check reads metadata only, before any decoding.
RECHECKED_REASONS = ("bad_metadata", "duplicate_call_id")


def rechecked(problem: str | None) -> bool:
    """A quarantine problem (``<reason>: ...``) that every run looks at again."""
    return bool(problem) and str(problem).partition(":")[0] in RECHECKED_REASONS


def worker_identity(run: str | None = None) -> str:
    """host:pid:run: enough to tell whether the holder of a claim is still alive."""
    return f"{socket.gethostname()}:{os.getpid()}:{run or uuid.uuid4().hex[:8]}"


def decide(
    row: ProcessedRecording | None, provenance: Provenance, lease: timedelta, me: str | None = None
) -> Action:
    if row is None:
        return Action.PROCESS
    # Our own claim is a retry's: the failed attempt could not release it (the store was
    # down), and its holder, this process, is alive; without this it would wait a lease.
    if row.status == "claimed" and row.claimed_by != me and not _abandoned(row, lease):
        return Action.BUSY
    if row.status == "quarantined":
        return Action.PROCESS if rechecked(row.problem) else Action.QUARANTINED
    if row.transcribed_with != provenance.models or not row.transcript_key:
        return Action.PROCESS
    if row.status == "done" and row.analysed_with == provenance.analysed_with:
        return Action.SKIP
    # transcribed with these models, analysed with another rule pack or policy (or a
    # worker died while re-analysing): the stored transcript is reused
    return Action.REANALYSE


def claim(
    session: Session,
    source: str,
    version: str,
    provenance: Provenance,
    me: str,
    lease: timedelta = DEFAULT_LEASE,
) -> tuple[Action, ProcessedRecording | None]:
    """Decides what to do and, unless skipping, claims the recording for ``me``.

    Returns the action and the ledger row as it was before the claim (None if new). Two
    workers racing for one recording: exactly one gets PROCESS/REANALYSE, the other BUSY.
    """
    row = rows.recording(session, source, version)
    action = decide(row, provenance, lease, me)
    if action in (Action.SKIP, Action.QUARANTINED, Action.BUSY):
        return action, row
    now = utcnow()
    if row is None:
        if not rows.insert_claim(session, source, version, me, now):
            return Action.BUSY, None  # another worker inserted it first
        return action, None
    # Compare-and-set on what we read: a rival that changed the row in between wins.
    if not rows.take_over_claim(session, row, me, now):
        return Action.BUSY, None
    return action, row  # as it was read: the row before our claim


def hold(session: Session, source: str, version: str, me: str) -> bool:
    """Confirms, at the start of the transaction that stores the call, that the claim is
    still ours (False: it was taken over). Being a write, it also takes SQLite's write
    lock first, so the call id chosen in the same transaction stays free until commit."""
    return rows.renew_claim(session, source, version, me, utcnow())


def finish(
    session: Session,
    source: str,
    version: str,
    me: str,
    *,
    status: str,
    call_id: str | None,
    provenance: Provenance,
    transcript_key: str | None = None,
    problem: str | None = None,
) -> bool:
    """Marks our claim done (or quarantined). False if the claim is no longer ours; the
    caller must then roll back whatever it wrote in the same transaction. ``claimed_by``
    stays: it says which worker did the work. A quarantined recording keeps the provenance
    of its earlier results."""
    done_with = (
        rows.DoneWith(provenance.models, provenance.analysed_with, transcript_key)
        if status == "done"
        else None
    )
    return rows.finish_claim(
        session,
        source,
        version,
        me,
        status=status,
        call_id=call_id,
        finished_at=utcnow(),
        problem=problem,
        done_with=done_with,
    )


def release(session: Session, source: str, version: str, me: str, problem: str) -> None:
    """Gives a claim up after a failure that is not the recording's fault (the next run
    retries it); keeps the earlier results' provenance intact."""
    rows.release_claim(session, source, version, me, problem)


def _abandoned(row: ProcessedRecording, lease: timedelta) -> bool:
    if row.claimed_by is None or row.claimed_at is None:
        return True  # released after a failure
    host, _, rest = row.claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
        return True
    return utcnow() - row.claimed_at > lease


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = [
    "RECHECKED_REASONS",
    "Action",
    "Provenance",
    "claim",
    "decide",
    "finish",
    "hold",
    "rechecked",
    "release",
    "worker_identity",
]
