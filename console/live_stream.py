"""What the Live page and its event stream show (issue 12), with who may see it: the reads
are ``storage.reads.live``'s; here are the viewer's scope, the page and the stream's place.

Live listening (policy §5.2) is the work of those who can step into a call while it is on:
QA leads (every team) and supervisors (their own team, found through the agent's team in
``agents``). Compliance reviews the record after the fact, which the batch path gives it in
full once the call has ended, so it is not given live transcripts (least privilege, as the
admin is given no call content); agents and admins neither.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from console.permissions import BadRequest, Forbidden, NotFound, Principal, scope_of
from console.present import clock
from storage.database import Session
from storage.reads import live
from storage.reads.live import LiveAlertRow, LiveCallRow, LiveLine

Row = TypeVar("Row", LiveLine, LiveAlertRow)
LIVE_ROLES = frozenset({"qa_lead", "supervisor"})
# How long a stream waits for an id below one it has already sent before it stops waiting
# (seconds): on PostgreSQL two writers' ids can commit out of order, and a rolled-back
# duplicate alert leaves a hole that never fills.
GAP_GRACE = 3.0


def can_listen(who: Principal | None) -> bool:
    return who is not None and who.role in LIVE_ROLES


def require_live(who: Principal) -> None:
    if not can_listen(who):
        raise Forbidden(f"the {who.role} role has no access to live calls")


@dataclass(frozen=True)
class LiveScope:
    """The live calls a viewer may see: every team, or one team's agents."""

    everything: bool
    team_id: str | None

    @classmethod
    def of(cls, who: Principal) -> LiveScope:
        require_live(who)
        scope = scope_of(who)
        return cls(everything=scope.everything, team_id=scope.team_id)

    def calls(
        self, session: Session, call_id: str | None = None, limit: int = 50
    ) -> list[LiveCallRow]:
        rows = live.live_calls(
            session, team_id=self.team_id, everything=self.everything, call_id=call_id, limit=limit
        )
        if call_id is not None and not rows:
            # out of scope, unknown or long closed: answered alike (existence not confirmed)
            raise NotFound(f"no live call {call_id!r} you may see")
        return rows


@dataclass(frozen=True)
class LiveCallView:
    call: LiveCallRow
    segments: list[LiveLine]
    alerts: list[LiveAlertRow]


@dataclass(frozen=True)
class LivePage:
    calls: list[LiveCallView]
    after: str  # where the page's event stream picks up


def live_page(session: Session, scope: LiveScope, call_id: str | None, per_call: int) -> LivePage:
    # The mark is read first: whatever is written while the page is read comes again on
    # the stream (the page drops what it already shows) rather than not at all. A margin
    # below it covers ids that commit out of order on PostgreSQL.
    segment_mark, alert_mark = live.last_ids(session)
    rows = scope.calls(session, call_id)
    ids = [row.id for row in rows]
    segments: dict[str, list[LiveLine]] = {i: [] for i in ids}
    for segment in live.latest_lines(session, ids, per_call):
        segments[segment.call_id].append(segment)
    alerts: dict[str, list[LiveAlertRow]] = {i: [] for i in ids}
    for alert in live.alerts_of(session, ids):
        alerts[alert.call_id].append(alert)
    views = [LiveCallView(row, segments[row.id], alerts[row.id]) for row in rows]
    after = EventMark(max(0, segment_mark - 20), max(0, alert_mark - 20))
    return LivePage(views, after.encode())


# --- the event stream ---------------------------------------------------------------------


@dataclass
class IdWatermark:
    """The ids of one table a stream has sent: all up to ``low``, and ``above`` it some.
    ``low`` only passes a missing id once it has been missing for ``GAP_GRACE`` seconds."""

    low: int = 0
    above: set[int] = field(default_factory=set)
    gap_since: float | None = None

    def is_new(self, row_id: int) -> bool:
        return row_id > self.low and row_id not in self.above

    def sent(self, row_id: int) -> None:
        self.above.add(row_id)

    def settle(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        while self.above:
            if self.low + 1 in self.above:
                self.above.discard(self.low + 1)
                self.low += 1
                self.gap_since = None
                continue
            if self.gap_since is None:
                self.gap_since = now
            if now - self.gap_since < GAP_GRACE:
                return
            self.low = min(self.above) - 1  # the hole is given up: move to the next id sent
            self.gap_since = None


@dataclass
class EventMark:
    """A stream's position, sent as each event's id and given back as ``Last-Event-ID``:
    ``s<segment>-a<alert>``, the highest ids below which everything was sent."""

    segments: int = 0
    alerts: int = 0

    def encode(self) -> str:
        return f"s{self.segments}-a{self.alerts}"

    @classmethod
    def decode(cls, text: str | None) -> EventMark:
        if not text:
            return cls()
        try:
            segment, alert = text.strip().split("-")
            if segment[0] != "s" or alert[0] != "a":
                raise ValueError(text)
            mark = cls(int(segment[1:]), int(alert[1:]))
        except (ValueError, IndexError) as exc:
            raise BadRequest(f"{text[:40]!r} is not a live stream position (s<n>-a<n>)") from exc
        if mark.segments < 0 or mark.alerts < 0:
            raise BadRequest(f"{text[:40]!r} is not a live stream position (s<n>-a<n>)")
        return mark


def event(kind: str, mark: str, data: dict[str, Any]) -> str:
    """One Server-Sent Event. The JSON is one line, so no field can break out of ``data``."""
    return f"id: {mark}\nevent: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def call_data(row: LiveCallRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "agent": row.agent_name or row.agent_id,
        "team": row.team_id,
        "started_at": row.started_at.strftime("%Y-%m-%d %H:%M:%S"),
        "in_progress": row.in_progress,
        "close_reason": row.close_reason,
        "reconnects": row.reconnects,
        "kept_for_batch": row.kept_for_batch,
    }


def segment_data(segment: LiveLine) -> dict[str, Any]:
    return {
        "id": segment.id,
        "call_id": segment.call_id,
        "start": segment.start,
        "end": segment.end,
        "clock": clock(segment.start),
        "speaker": segment.speaker,
        "text": segment.text,
    }


def alert_data(alert: LiveAlertRow, titles: dict[str, str]) -> dict[str, Any]:
    return {
        "id": alert.id,
        "call_id": alert.call_id,
        "t": alert.t,
        "clock": clock(alert.t),
        "rule": alert.rule_id,
        "title": titles.get(alert.rule_id, alert.rule_id),
        "severity": alert.severity,
        "evidence": alert.evidence,
    }


@dataclass
class StreamState:
    """What one open stream has sent: its position in each table, the calls as last sent,
    and the calls whose transcript it has been audited for."""

    segments: IdWatermark
    alerts: IdWatermark
    calls: dict[str, tuple[object, ...]] = field(default_factory=dict)
    audited: set[str] = field(default_factory=set)

    @classmethod
    def starting_at(cls, mark: EventMark) -> StreamState:
        return cls(IdWatermark(mark.segments), IdWatermark(mark.alerts))

    def mark(self) -> str:
        return EventMark(self.segments.low, self.alerts.low).encode()


def poll(
    session: Session,
    scope: LiveScope,
    state: StreamState,
    call_id: str | None,
    titles: dict[str, str],
) -> tuple[list[str], list[str]]:
    """The events since the last poll, and the calls newly shown (whose transcripts are now
    read: the caller audits them). Calls first (a new call's card exists before its lines),
    then segments, then alerts, each in id order."""
    rows = scope.calls(session, call_id)
    ids = [row.id for row in rows]
    newly_shown = [i for i in ids if i not in state.audited]
    state.audited.update(newly_shown)
    out: list[str] = []
    for row in rows:
        if state.calls.get(row.id) != row.state():
            state.calls[row.id] = row.state()
            out.append(event("call", state.mark(), call_data(row)))
    for gone in set(state.calls) - set(ids):
        del state.calls[gone]
        out.append(event("gone", state.mark(), {"id": gone}))
    for segment in _unsent(*live.lines_since(session, state.segments.low, ids), state.segments):
        out.append(event("segment", state.mark(), segment_data(segment)))
    for alert in _unsent(*live.alerts_since(session, state.alerts.low, ids), state.alerts):
        out.append(event("alert", state.mark(), alert_data(alert, titles)))
    return out, newly_shown


def _unsent(present: Sequence[int], found: Sequence[Row], mark: IdWatermark) -> Iterator[Row]:
    """Of ``found`` (the rows of the calls in view among the ids ``present``, every call's,
    in id order), those not sent yet, each taken into ``mark`` as it is yielded (so an
    event's id covers it); ids of calls out of view are passed over."""
    rows = {row.id: row for row in found}
    for row_id in present:
        if not mark.is_new(row_id):
            continue
        mark.sent(row_id)
        mark.settle()
        if row_id in rows:
            yield rows[row_id]
    mark.settle()
