"""What the console's Live page and its event stream read of calls in progress, as frozen
rows: the SQL is ``storage.live``'s (shared with the writer), this module only hands its
rows out without their ORM objects. Who may see which calls is decided by the console
(``console.live_stream.LiveScope``) and passed in as a team or ``everything``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage import live
from storage.live import LiveCallRow
from storage.live_schema import LiveAlert, LiveSegment

__all__ = [
    "LiveAlertRow",
    "LiveCallRow",
    "LiveLine",
    "alerts_of",
    "alerts_since",
    "last_ids",
    "latest_lines",
    "lines_since",
    "live_calls",
]


@dataclass(frozen=True)
class LiveLine:
    """One final stretch of redacted speech of a live call."""

    id: int
    call_id: str
    start: float
    end: float
    speaker: str
    text: str

    @classmethod
    def of(cls, segment: LiveSegment) -> LiveLine:
        return cls(
            segment.id, segment.call_id, segment.start, segment.end, segment.speaker, segment.text
        )


@dataclass(frozen=True)
class LiveAlertRow:
    """A live rule fired on a call, at ``t`` seconds of call time, with its evidence."""

    id: int
    call_id: str
    t: float
    rule_id: str
    severity: str
    evidence: str

    @classmethod
    def of(cls, alert: LiveAlert) -> LiveAlertRow:
        return cls(alert.id, alert.call_id, alert.t, alert.rule_id, alert.severity, alert.evidence)


def live_calls(
    session: Session,
    *,
    team_id: str | None,
    everything: bool,
    call_id: str | None = None,
    limit: int = 50,
) -> list[LiveCallRow]:
    """Calls in progress and those closed lately, of ``team_id``'s agents (or of every team
    and unknown agents with ``everything``); see ``storage.live.live_calls``."""
    return live.live_calls(
        session, team_id=team_id, everything=everything, call_id=call_id, limit=limit
    )


def last_ids(session: Session) -> tuple[int, int]:
    """The highest segment and alert ids now: where a stream started by a page picks up."""
    return live.last_ids(session)


def latest_lines(session: Session, call_ids: Collection[str], per_call: int) -> list[LiveLine]:
    """The last ``per_call`` lines of each call, in id order (the rolling transcript)."""
    return [LiveLine.of(s) for s in live.latest_segments(session, call_ids, per_call)]


def alerts_of(session: Session, call_ids: Collection[str]) -> list[LiveAlertRow]:
    """Every alert of ``call_ids``, in id order."""
    return [LiveAlertRow.of(a) for a in live.alerts_of(session, call_ids)]


def lines_since(
    session: Session, after_id: int, call_ids: Collection[str]
) -> tuple[list[int], list[LiveLine]]:
    """Every committed segment id above ``after_id``, whichever call it is of (a stream
    passes over those it may not see), and the lines of ``call_ids`` among them."""
    present = live.ids_after(session, LiveSegment, after_id)
    if not present:
        return [], []
    found = live.segments_after(session, after_id, call_ids, len(present), present[-1])
    return present, [LiveLine.of(s) for s in found]


def alerts_since(
    session: Session, after_id: int, call_ids: Collection[str]
) -> tuple[list[int], list[LiveAlertRow]]:
    """Every committed alert id above ``after_id``, whichever call it is of, and the alerts
    of ``call_ids`` among them."""
    present = live.ids_after(session, LiveAlert, after_id)
    if not present:
        return [], []
    found = live.alerts_after(session, after_id, call_ids, len(present), present[-1])
    return present, [LiveAlertRow.of(a) for a in found]
