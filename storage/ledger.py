"""The idempotency ledger's rows (``processed_recordings``): read, claimed, held, finished
and released. What a row means for a recording (skip it, redo it, wait for its holder) is
the batch's decision (``flows.ledger``); every write here is a compare-and-set on the row,
so that of two workers racing for one recording exactly one wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.schema import ProcessedRecording


@dataclass(frozen=True)
class DoneWith:
    """What a finished recording was done with: the models that transcribed it, the rule
    pack and policy that analysed it, and where its transcript is kept."""

    transcribed_with: str
    analysed_with: str
    transcript_key: str | None


def recording(session: Session, source: str, version: str) -> ProcessedRecording | None:
    """The ledger row of (source, version), or None for a recording never seen."""
    return session.get(ProcessedRecording, (source, version))


def insert_claim(session: Session, source: str, version: str, me: str, now: datetime) -> bool:
    """Claims a recording that has no row yet; False if another worker inserted it first."""
    try:
        with session.begin_nested():
            session.add(
                ProcessedRecording(
                    source=source,
                    version=version,
                    status="claimed",
                    claimed_by=me,
                    claimed_at=now,
                    attempts=1,
                )
            )
    except IntegrityError:
        return False
    return True


def take_over_claim(session: Session, seen: ProcessedRecording, me: str, now: datetime) -> bool:
    """Claims the recording of row ``seen`` for ``me``, if the row still has the status and
    holder it had when read (False: a rival changed it in between and wins). ``seen`` stays
    in the session as it was read: the row before this claim."""
    won = session.execute(  # type: ignore[attr-defined]
        update(ProcessedRecording)
        .where(
            ProcessedRecording.source == seen.source,
            ProcessedRecording.version == seen.version,
            ProcessedRecording.status == seen.status,
            _same(ProcessedRecording.claimed_by, seen.claimed_by),
        )
        .values(status="claimed", claimed_by=me, claimed_at=now, attempts=seen.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(won == 1)


def _claimed_by(source: str, version: str, me: str) -> tuple[ColumnElement[bool], ...]:
    """The ledger row of (source, version), while ``me`` holds its claim."""
    return (
        ProcessedRecording.source == source,
        ProcessedRecording.version == version,
        ProcessedRecording.status == "claimed",
        ProcessedRecording.claimed_by == me,
    )


def renew_claim(session: Session, source: str, version: str, me: str, now: datetime) -> bool:
    """Stamps ``me``'s claim with ``now``; False if the claim is no longer ``me``'s. Being a
    write, it takes SQLite's write lock for the rest of the transaction."""
    held = session.execute(  # type: ignore[attr-defined]
        update(ProcessedRecording)
        .where(*_claimed_by(source, version, me))
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(held == 1)


def finish_claim(
    session: Session,
    source: str,
    version: str,
    me: str,
    *,
    status: str,
    call_id: str | None,
    finished_at: datetime,
    problem: str | None,
    done_with: DoneWith | None,
) -> bool:
    """Gives ``me``'s claim its final ``status``; with ``done_with`` the row's provenance
    becomes it, without it the earlier provenance stays. ``claimed_by`` stays: it says which
    worker did the work. False if the claim is no longer ``me``'s."""
    values: dict[str, object] = {
        "status": status,
        "call_id": call_id,
        "finished_at": finished_at,
        "problem": problem,
    }
    if done_with is not None:
        values |= {
            "transcribed_with": done_with.transcribed_with,
            "analysed_with": done_with.analysed_with,
            "transcript_key": done_with.transcript_key,
        }
    done = session.execute(  # type: ignore[attr-defined]
        update(ProcessedRecording)
        .where(*_claimed_by(source, version, me))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(done == 1)


def release_claim(session: Session, source: str, version: str, me: str, problem: str) -> None:
    """Drops ``me``'s claim, noting ``problem``; status and provenance stay as they are."""
    session.execute(
        update(ProcessedRecording)
        .where(
            ProcessedRecording.source == source,
            ProcessedRecording.version == version,
            ProcessedRecording.claimed_by == me,
        )
        .values(claimed_by=None, claimed_at=None, problem=problem)
        .execution_options(synchronize_session=False)
    )


def _same(column: Any, value: str | None) -> Any:
    return column.is_(None) if value is None else column == value
