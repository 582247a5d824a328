"""Retention (policy §6.2) and legal holds: what the store keeps, for how long.

Three kinds of record, each with its period in the policy file (``retention:``):

- ``results``: a call's row and everything stored with it (turns, rule outcomes with their
  evidence, scorecard, QA reviews). Past the period, by the call's start (its processing
  time when the start is unknown), the call is removed. Surveys linked to it stay (they are
  the customer's answer, counted in appraisal) but lose the link. The ledger row stays, so
  that the next ``callqa process`` does not analyse the recording again and bring it back.
  Monthly agent scorecards are aggregates without transcript text: they stay.
- ``transcripts``: the words said. Past this (shorter) period the call's turns are deleted,
  its search text and the evidence quoted in its rule outcomes are cleared, while its score,
  outcomes and metrics stay until the results period ends: appraisal keeps its inputs, the
  personal data in the words goes first.
- ``audit``: audit-log rows, by their time. Rows about a held call stay.

A call under a legal hold (table ``legal_holds``) is never removed or trimmed, nor are its
audit rows. Every run that changes something writes one audit entry per kind, in the same
transaction as the change. Objects in the results bucket (transcript/analysis JSON, the
redacted audio) are not deleted here: the object-store seam has no delete on purpose;
expire them with a bucket lifecycle rule of the same period (docs/operations.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, String, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from core.errors import CallqaError
from rules.policy import Retention
from storage.results import utcnow
from storage.schema import (
    AuditEntry,
    Call,
    CallScorecard,
    LegalHold,
    QAReview,
    RuleOutcome,
    Survey,
    Turn,
)

KINDS = ("results", "transcripts", "audit")
EXAMPLES = 5
CHUNK = 500  # ids per statement: SQLite allows at most 32766 bound parameters


class RetentionError(CallqaError):
    """A retention run or a legal hold cannot be carried out; the message says why."""


@dataclass
class KindPlan:
    """What one kind of record has past its period."""

    kind: str
    days: int
    cutoff: datetime
    count: int = 0
    held: int = 0  # past the period but kept: under legal hold
    examples: list[str] = field(default_factory=list)


@dataclass
class RetentionPlan:
    now: datetime
    kinds: dict[str, KindPlan]


def _call_age() -> Any:
    return func.coalesce(Call.started_at, Call.processed_at)


def _held_ids() -> Select[Any]:
    return select(LegalHold.call_id)


def _results_query(cutoff: datetime) -> Select[Any]:
    return select(Call.id).where(_call_age() < cutoff)


def _transcripts_query(cutoff: datetime, results_cutoff: datetime) -> Select[Any]:
    has_words = or_(Call.search_text != "", Call.id.in_(select(Turn.call_id).distinct()))
    return select(Call.id).where(_call_age() < cutoff, _call_age() >= results_cutoff, has_words)


def _audit_query(cutoff: datetime) -> Select[Any]:
    held_targets = select(literal("call:", String) + LegalHold.call_id)
    return select(AuditEntry.id).where(
        AuditEntry.at < cutoff, AuditEntry.target.not_in(held_targets)
    )


def plan(session: Session, periods: Retention, now: datetime | None = None) -> RetentionPlan:
    """Counts (and a few examples of) what is past its period and not held."""
    now = now or utcnow()
    cutoffs = {
        "results": now - timedelta(days=periods.results_days),
        "transcripts": now - timedelta(days=periods.transcripts_days),
        "audit": now - timedelta(days=periods.audit_days),
    }
    days = {
        "results": periods.results_days,
        "transcripts": periods.transcripts_days,
        "audit": periods.audit_days,
    }
    kinds = {k: KindPlan(k, days[k], cutoffs[k]) for k in KINDS}
    held = _held_ids()
    for kind, query in (
        ("results", _results_query(cutoffs["results"])),
        ("transcripts", _transcripts_query(cutoffs["transcripts"], cutoffs["results"])),
    ):
        due = query.where(Call.id.not_in(held))
        kinds[kind].count = _count(session, due)
        kinds[kind].held = _count(session, query.where(Call.id.in_(held)))
        kinds[kind].examples = list(session.scalars(due.order_by(Call.id).limit(EXAMPLES)))
    audit = _audit_query(cutoffs["audit"])
    kinds["audit"].count = _count(session, audit)
    kinds["audit"].examples = [
        f"#{e.id} {e.at:%Y-%m-%d} {e.action} {e.target}"
        for e in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.id.in_(audit))
            .order_by(AuditEntry.id)
            .limit(EXAMPLES)
        )
    ]
    return RetentionPlan(now, kinds)


def apply(
    session: Session,
    periods: Retention,
    *,
    by: str,
    now: datetime | None = None,
    archive: Path | None = None,
) -> RetentionPlan:
    """Removes what ``plan`` finds (archiving it first as JSON Lines into the folder
    ``archive`` if given) and writes one audit entry per kind that had something."""
    done = plan(session, periods, now)
    results, transcripts, audit = (done.kinds[k] for k in KINDS)
    held = _held_ids()
    stamp = done.now.strftime("%Y%m%dT%H%M%SZ")
    sink = _Archive(archive, stamp)
    # The audit log first: the entries this run writes are never among what it removes,
    # whatever --now says.
    if audit.count:
        ids_a = list(session.scalars(_audit_query(audit.cutoff)))
        for chunk_a in _chunks(ids_a):
            rows = session.scalars(select(AuditEntry).where(AuditEntry.id.in_(chunk_a)))
            sink.write("audit", (_row(r) for r in rows))
            session.execute(delete(AuditEntry).where(AuditEntry.id.in_(chunk_a)))
        _audit(session, by, audit, sink.path("audit"), "audit rows")
    if results.count:
        ids = list(session.scalars(_results_query(results.cutoff).where(Call.id.not_in(held))))
        for chunk in _chunks(ids):
            sink.write("results", (_call_record(session, i) for i in chunk))
            _remove_calls(session, chunk)
        _audit(session, by, results, sink.path("results"), "calls")
    if transcripts.count:
        query = _transcripts_query(transcripts.cutoff, results.cutoff).where(Call.id.not_in(held))
        ids = list(session.scalars(query))
        for chunk in _chunks(ids):
            sink.write("transcripts", (_transcript_record(session, i) for i in chunk))
            _trim_transcripts(session, chunk)
        _audit(session, by, transcripts, sink.path("transcripts"), "transcripts")
    return done


def _remove_calls(session: Session, ids: Sequence[str]) -> None:
    session.execute(update(Survey).where(Survey.call_id.in_(ids)).values(call_id=None))
    # Children first: the same on SQLite and PostgreSQL whatever the cascade settings.
    for child in (Turn, RuleOutcome, CallScorecard, QAReview):
        session.execute(delete(child).where(child.call_id.in_(ids)))
    session.execute(delete(Call).where(Call.id.in_(ids)))


def _trim_transcripts(session: Session, ids: Sequence[str]) -> None:
    session.execute(delete(Turn).where(Turn.call_id.in_(ids)))
    session.execute(update(Call).where(Call.id.in_(ids)).values(search_text=""))
    session.execute(update(RuleOutcome).where(RuleOutcome.call_id.in_(ids)).values(evidence=[]))
    from storage.drivers import forget_words  # what customers said, kept as driver evidence

    forget_words(session, ids)


def _audit(session: Session, by: str, kind: KindPlan, archived: Path | None, what: str) -> None:
    where = f"; archived to {archived}" if archived else ""
    session.add(
        AuditEntry(
            at=utcnow(),
            username=by[:64],
            action="retention_archive" if archived else "retention_delete",
            target=f"retention:{kind.kind}",
            detail=f"{kind.count} {what} before {kind.cutoff:%Y-%m-%d} "
            f"({kind.kind}_days={kind.days}); {kind.held} kept under legal hold{where}",
        )
    )


# --- archive ------------------------------------------------------------------------------
class _Archive:
    """One JSON Lines file per kind, owner-readable only (it holds what was removed)."""

    def __init__(self, folder: Path | None, stamp: str) -> None:
        self.folder, self.stamp = folder, stamp
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def path(self, kind: str) -> Path | None:
        return None if self.folder is None else self.folder / f"retention-{self.stamp}-{kind}.jsonl"

    def write(self, kind: str, records: Iterator[dict[str, Any]]) -> None:
        path = self.path(kind)
        if path is None:
            return
        try:
            new = not path.exists()
            with path.open("a", encoding="utf-8") as fh:
                if new:
                    path.chmod(0o600)
                for record in records:
                    fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        except OSError as exc:
            raise RetentionError(f"{path}: cannot write the archive ({exc.strerror})") from exc


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def _call_record(session: Session, call_id: str) -> dict[str, Any]:
    call = session.get(Call, call_id)
    record: dict[str, Any] = {"call": _row(call)}
    for name, kind in (
        ("turns", Turn),
        ("rule_results", RuleOutcome),
        ("scorecard", CallScorecard),
        ("reviews", QAReview),
    ):
        record[name] = [
            _row(r) for r in session.scalars(select(kind).where(kind.call_id == call_id))
        ]
    return record


def _transcript_record(session: Session, call_id: str) -> dict[str, Any]:
    call = session.get(Call, call_id)
    turns = session.scalars(select(Turn).where(Turn.call_id == call_id).order_by(Turn.index))
    outcomes = session.scalars(select(RuleOutcome).where(RuleOutcome.call_id == call_id))
    return {
        "call_id": call_id,
        "search_text": call.search_text if call else "",
        "turns": [_row(t) for t in turns],
        "evidence": {o.rule_id: o.evidence for o in outcomes if o.evidence},
    }


# --- legal holds --------------------------------------------------------------------------
def add_hold(session: Session, call_id: str, reason: str, by: str) -> LegalHold:
    if not reason.strip():
        raise RetentionError(f"call {call_id!r}: a legal hold needs a reason (--reason)")
    if session.get(Call, call_id) is None:
        raise RetentionError(f"call {call_id!r} is not in the scorecard store: nothing to hold")
    existing = session.get(LegalHold, call_id)
    if existing is not None:
        raise RetentionError(
            f"call {call_id!r} is already held since {existing.placed_at:%Y-%m-%d %H:%M} by "
            f"{existing.placed_by} ({existing.reason}); remove that hold first to change it"
        )
    hold = LegalHold(call_id=call_id, reason=reason.strip(), placed_by=by[:128], placed_at=utcnow())
    session.add(hold)
    _audit_hold(session, by, "legal_hold_add", call_id, hold.reason)
    return hold


def remove_hold(session: Session, call_id: str, by: str) -> LegalHold:
    hold = session.get(LegalHold, call_id)
    if hold is None:
        raise RetentionError(f"call {call_id!r} has no legal hold to remove")
    session.delete(hold)
    _audit_hold(session, by, "legal_hold_remove", call_id, hold.reason)
    return hold


def holds(session: Session) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).order_by(LegalHold.placed_at, LegalHold.call_id)))


def _audit_hold(session: Session, by: str, action: str, call_id: str, reason: str) -> None:
    session.add(
        AuditEntry(
            at=utcnow(), username=by[:64], action=action, target=f"call:{call_id}", detail=reason
        )
    )


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


__all__ = [
    "KINDS",
    "KindPlan",
    "RetentionError",
    "RetentionPlan",
    "add_hold",
    "apply",
    "holds",
    "plan",
    "remove_hold",
]
