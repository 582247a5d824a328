"""Calls in progress in the store (issue 12): what ``callqa live`` writes while a call is on
and what the console's Live page reads.

The writer (``LiveStore``) commits every segment and alert on its own, so the console sees
them within its next poll. Reading is by id: segments and alerts carry increasing ids, and a
console stream asks for those after the last it sent. Who may see a live call is decided
by its agent's team in ``agents`` (the console passes the team; ``None`` reads all).

Text arrives redacted: nothing here sees a recording or an unredacted word.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import CallqaError
from storage.database import Store
from storage.live_schema import LiveAlert, LiveCall, LiveSegment
from storage.schema import Agent

# How long a closed call stays on the Live page: long enough for a supervisor to see why
# it ended, short enough that the page is about calls that are on.
RECENTLY_CLOSED = timedelta(minutes=30)


class LiveStoreError(CallqaError):
    """A live write the store cannot take (a segment or alert for a call never opened)."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(moment: datetime) -> datetime:
    """Times are stored naive UTC (as everywhere in the store); an aware time is converted."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


class LiveStore:
    """The live path's writes, each in its own short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def open_call(
        self, call_id: str, agent_id: str | None, started_at: datetime, source: str
    ) -> None:
        """Registers a call in progress. Opening it again (the stream reconnected) keeps the
        one row and what was received so far, counts the reconnect, and re-opens a call
        that had been closed by the drop."""
        with self.store.session() as session:
            if self._reopen(session, call_id, agent_id):
                return
            try:
                with session.begin_nested():
                    session.add(
                        LiveCall(
                            id=call_id,
                            agent_id=agent_id,
                            started_at=_naive_utc(started_at),
                            source=source,
                            opened_at=utcnow(),
                            reconnects=0,
                        )
                    )
            except IntegrityError:  # another connection of the same call opened it first
                self._reopen(session, call_id, agent_id)

    @staticmethod
    def _reopen(session: Session, call_id: str, agent_id: str | None) -> bool:
        """Counts a reconnect on a stored call in one UPDATE (two connections of one call
        reopening it at once both count); ``False`` when there is no such call."""
        reopened = session.execute(
            update(LiveCall)
            .where(LiveCall.id == call_id)
            .values(
                reconnects=LiveCall.reconnects + 1,
                agent_id=func.coalesce(LiveCall.agent_id, agent_id),
                closed_at=None,
                close_reason=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(reopened, "rowcount", 0))

    def add_segment(self, call_id: str, start: float, end: float, speaker: str, text: str) -> int:
        """Stores one final, redacted segment; returns its id."""
        with self.store.session() as session:
            self._require_call(session, call_id, "segment")
            segment = LiveSegment(
                call_id=call_id,
                start=float(start),
                end=float(end),
                speaker=speaker[:16],
                text=text,
                created_at=utcnow(),
            )
            session.add(segment)
            session.flush()
            return segment.id

    def add_alert(self, call_id: str, t: float, rule_id: str, severity: str, evidence: str) -> bool:
        """Stores an alert; ``False`` when the call already has one for this rule (an alert
        fires once per call, also across a reconnect)."""
        with self.store.session() as session:
            self._require_call(session, call_id, "alert")
            try:
                with session.begin_nested():
                    session.add(
                        LiveAlert(
                            call_id=call_id,
                            t=float(t),
                            rule_id=rule_id,
                            severity=severity[:16],
                            evidence=evidence,
                            created_at=utcnow(),
                        )
                    )
            except IntegrityError:
                return False
            return True

    def close_call(self, call_id: str, reason: str, recording_path: str | None) -> None:
        """Marks the call ended, with why. A call closed before it could be opened (its
        metadata never came) is recorded closed, so that the Live page still says why. A
        second close keeps the first reason (the first is what happened)."""
        now = utcnow()
        with self.store.session() as session:
            call = session.get(LiveCall, call_id)
            if call is None:
                call = LiveCall(
                    id=call_id,
                    agent_id=None,
                    started_at=now,
                    source="",
                    opened_at=now,
                    reconnects=0,
                )
                session.add(call)
            if call.closed_at is None:
                call.closed_at = now
                call.close_reason = reason
            call.recording_path = recording_path or call.recording_path

    @staticmethod
    def _require_call(session: Session, call_id: str, what: str) -> None:
        if session.get(LiveCall, call_id) is None:
            raise LiveStoreError(f"live call {call_id!r}: {what} for a call never opened")


# --- reading, for the console -------------------------------------------------------------


@dataclass(frozen=True)
class LiveCallRow:
    """A live call as the console lists it, with its agent's name and team."""

    id: str
    agent_id: str | None
    agent_name: str | None
    team_id: str | None
    started_at: datetime
    source: str
    reconnects: int
    closed_at: datetime | None
    close_reason: str | None
    kept_for_batch: bool  # the audio received was kept for the batch path

    @property
    def in_progress(self) -> bool:
        return self.closed_at is None

    def state(self) -> tuple[object, ...]:
        """What a stream compares to tell that the call changed (opened again, closed)."""
        return (self.closed_at, self.close_reason, self.reconnects, self.agent_name)


def _team_clause(team_id: str | None, everything: bool) -> ColumnElement[bool]:
    if everything:
        return true()
    return Agent.team_id == team_id if team_id is not None else false()


def live_calls(
    session: Session,
    *,
    team_id: str | None = None,
    everything: bool = False,
    call_id: str | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> list[LiveCallRow]:
    """Calls in progress and those closed within ``RECENTLY_CLOSED``, those in progress
    first, newest first. ``everything``: all teams (and calls whose agent is unknown);
    otherwise the calls of ``team_id``'s agents only."""
    since = (now or utcnow()) - RECENTLY_CLOSED
    query = (
        select(LiveCall, Agent.name, Agent.team_id)
        .outerjoin(Agent, Agent.id == LiveCall.agent_id)
        .where(_team_clause(team_id, everything))
        .where(or_(LiveCall.closed_at.is_(None), LiveCall.closed_at >= since))
        .order_by(LiveCall.closed_at.is_not(None), LiveCall.started_at.desc(), LiveCall.id)
        .limit(limit)
    )
    if call_id is not None:
        query = query.where(LiveCall.id == call_id)
    return [
        LiveCallRow(
            id=call.id,
            agent_id=call.agent_id,
            agent_name=name,
            team_id=team,
            started_at=call.started_at,
            source=call.source,
            reconnects=call.reconnects,
            closed_at=call.closed_at,
            close_reason=call.close_reason,
            kept_for_batch=call.recording_path is not None,
        )
        for call, name, team in session.execute(query)
    ]


def latest_segments(
    session: Session, call_ids: Collection[str], per_call: int = 100
) -> list[LiveSegment]:
    """The last ``per_call`` segments of each call, in id order (the rolling transcript)."""
    if not call_ids:
        return []
    ranked = (
        select(
            LiveSegment.id,
            func.row_number()
            .over(partition_by=LiveSegment.call_id, order_by=LiveSegment.id.desc())
            .label("back"),
        )
        .where(LiveSegment.call_id.in_(list(call_ids)))
        .subquery()
    )
    query = (
        select(LiveSegment)
        .join(ranked, ranked.c.id == LiveSegment.id)
        .where(ranked.c.back <= per_call)
        .order_by(LiveSegment.id)
    )
    return list(session.scalars(query))


def segments_after(
    session: Session,
    after_id: int,
    call_ids: Collection[str],
    limit: int = 500,
    upto: int | None = None,
) -> list[LiveSegment]:
    """Segments of ``call_ids`` with an id above ``after_id`` (and at most ``upto``), in id
    order."""
    if not call_ids:
        return []
    query = (
        select(LiveSegment)
        .where(LiveSegment.id > after_id, LiveSegment.call_id.in_(list(call_ids)))
        .order_by(LiveSegment.id)
        .limit(limit)
    )
    if upto is not None:
        query = query.where(LiveSegment.id <= upto)
    return list(session.scalars(query))


def alerts_after(
    session: Session,
    after_id: int,
    call_ids: Collection[str],
    limit: int = 500,
    upto: int | None = None,
) -> list[LiveAlert]:
    """Alerts of ``call_ids`` with an id above ``after_id`` (and at most ``upto``), in id
    order."""
    if not call_ids:
        return []
    query = (
        select(LiveAlert)
        .where(LiveAlert.id > after_id, LiveAlert.call_id.in_(list(call_ids)))
        .order_by(LiveAlert.id)
        .limit(limit)
    )
    if upto is not None:
        query = query.where(LiveAlert.id <= upto)
    return list(session.scalars(query))


def ids_after(
    session: Session, table: type[LiveSegment] | type[LiveAlert], after_id: int, limit: int = 1000
) -> list[int]:
    """Every committed id above ``after_id`` in ``table``, whichever call it is of: a
    stream counts the ids it may not see as passed, so that only an id not committed yet
    (or rolled back) holds its position back."""
    query = select(table.id).where(table.id > after_id).order_by(table.id).limit(limit)
    return [int(i) for i in session.scalars(query)]


def alerts_of(session: Session, call_ids: Collection[str]) -> list[LiveAlert]:
    """Every alert of ``call_ids``, in id order."""
    return alerts_after(session, 0, call_ids, limit=10_000)


def last_ids(session: Session) -> tuple[int, int]:
    """The highest segment and alert ids now: where a stream started by a page picks up."""
    segment = session.scalar(select(func.max(LiveSegment.id))) or 0
    alert = session.scalar(select(func.max(LiveAlert.id))) or 0
    return int(segment), int(alert)


def prune_closed(session: Session, before: datetime) -> int:
    """Removes live calls closed before ``before`` with their segments and alerts (the
    record is the batch path's); returns how many calls went. Calls still open stay,
    however old."""
    gone = session.execute(delete(LiveCall).where(LiveCall.closed_at < _naive_utc(before)))
    return int(getattr(gone, "rowcount", 0) or 0)


def prune_older_than(session: Session, days: float) -> int:
    """``prune_closed`` for the calls that ended more than ``days`` days ago."""
    if days < 0:
        raise LiveStoreError(f"live calls older than {days} days: days cannot be negative")
    return prune_closed(session, utcnow() - timedelta(days=days))
