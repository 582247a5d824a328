"""Writing agent scorecards (policy §7): a period's rows replaced as a whole, one agent's row
upserted or removed, and the period ranked. What goes into a row is the appraisal's
(appraisal/); keeping a period's rows and ranks consistent is done here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.results import utcnow
from storage.schema import AgentScorecard


@dataclass(frozen=True)
class ScorecardValues:
    """One agent's scorecard for a month or a quarter, as the appraisal computed it."""

    agent_id: str
    period: str
    kind: str  # month | quarter
    team_id: str | None
    calls: int
    business: float
    service: float
    compliance: float
    total: float
    meets_standard: bool
    details: dict[str, Any]


def _upsert(session: Session, values: ScorecardValues) -> AgentScorecard:
    row = session.get(AgentScorecard, (values.agent_id, values.period))
    if row is None:
        row = AgentScorecard(agent_id=values.agent_id, period=values.period)
        session.add(row)
    row.kind = values.kind
    row.team_id = values.team_id
    row.calls = values.calls
    row.business = values.business
    row.service = values.service
    row.compliance = values.compliance
    row.total = values.total
    row.meets_standard = values.meets_standard
    row.details = values.details
    row.computed_at = utcnow()
    return row


def replace_period(
    session: Session, period: str, scorecards: Sequence[ScorecardValues]
) -> list[AgentScorecard]:
    """Makes ``scorecards`` the period's rows and ranks them, best first. Rows of agents no
    longer in the period (their calls have since moved or gone) are removed."""
    # Loads the period's stored rows in one query: the upserts below then find them in
    # the session's identity map instead of asking the database once per agent.
    list(session.scalars(select(AgentScorecard).where(AgentScorecard.period == period)))
    session.execute(
        delete(AgentScorecard).where(
            AgentScorecard.period == period,
            AgentScorecard.agent_id.not_in([s.agent_id for s in scorecards] or [""]),
        )
    )
    for values in scorecards:
        _upsert(session, values)
    session.flush()
    return rank_period(session, period)


def store_agent_period(session: Session, values: ScorecardValues) -> AgentScorecard:
    """Stores (upsert) one agent's row of a period and ranks the period again."""
    row = _upsert(session, values)
    session.flush()
    rank_period(session, values.period)
    return row


def remove_agent_period(session: Session, agent_id: str, period: str) -> None:
    """Removes one agent's row of a period (if any) and ranks the period again."""
    session.execute(
        delete(AgentScorecard).where(
            AgentScorecard.agent_id == agent_id, AgentScorecard.period == period
        )
    )
    session.flush()
    rank_period(session, period)


def rank_period(session: Session, period: str) -> list[AgentScorecard]:
    """Ranks every scorecard of ``period`` by total (1 = best; equal totals share a rank)."""
    rows = list(
        session.scalars(
            select(AgentScorecard)
            .where(AgentScorecard.period == period)
            .order_by(AgentScorecard.total.desc(), AgentScorecard.agent_id)
        )
    )
    previous: float | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        if row.total != previous:
            rank, previous = position, row.total
        row.rank = rank
    session.flush()
    return rows
