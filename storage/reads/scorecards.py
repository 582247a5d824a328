"""Agent scorecards as the console reads them: a period's cards (whole or a page at a time),
the team ranking, the coaching shortlist, one agent's months and quarters, and the rules an
agent failed most (from the adherence counts). Every read takes the viewer's ``Scope`` and
returns frozen rows, never an ORM object.

A scorecard belongs to the team the agent worked in during its period
(``agent_scorecards.team_id``, filled by the appraisal from the period's calls), not to the
agent's current team: after a transfer, the new team's supervisor does not see the months
spent in the old team, and the old team's supervisor still does. Rows computed before that
column existed (NULL) fall back to the agent's current team.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from storage.reads.compliance import ComplianceFilters, counts_where
from storage.reads.scope import Scope
from storage.scale_schema import AdherenceCount
from storage.schema import Agent, AgentScorecard, Team

# The scorecards page shows a period's agents a page at a time: a bank centre has thousands.
PAGE_SIZE = 50
# The coaching list and the streaks show their first this many (lowest total first); the
# team filter narrows them to one team.
SHORTLIST = 50
GROUP_COLUMNS = {
    "business": AgentScorecard.business,
    "service": AgentScorecard.service,
    "compliance": AgentScorecard.compliance,
}


@dataclass(frozen=True)
class PeriodCard:
    """One agent's scorecard for one period (a month YYYY-MM or a quarter YYYYQN).
    ``details`` (every input and target) is None where the read left it out."""

    agent_id: str
    period: str
    kind: str
    team_id: str | None
    calls: int
    business: float
    service: float
    compliance: float
    total: float
    meets_standard: bool
    rank: int | None
    details: dict[str, Any] | None
    computed_at: datetime


@dataclass(frozen=True)
class AgentRow:
    id: str
    name: str
    team_id: str | None  # the agent's team now (a card carries its period's team)


# A card's and an agent's columns in the table's order (what ``select(AgentScorecard,
# Agent)`` reads), selected as plain columns: the rows become frozen values without an ORM
# object built, tracked and read attribute by attribute for each of a period's thousands.
_CARD = (
    AgentScorecard.agent_id,
    AgentScorecard.period,
    AgentScorecard.kind,
    AgentScorecard.team_id,
    AgentScorecard.calls,
    AgentScorecard.business,
    AgentScorecard.service,
    AgentScorecard.compliance,
    AgentScorecard.total,
    AgentScorecard.meets_standard,
    AgentScorecard.rank,
    AgentScorecard.details,
    AgentScorecard.computed_at,
)
# the same without ``details``, for the reads that do not show it (its JSON never travels)
_CARD_BRIEF = tuple(column for column in _CARD if column.key != "details")
_AGENT = (Agent.id, Agent.name, Agent.team_id)


def _card(columns: Sequence[Any], values: Sequence[Any]) -> PeriodCard:
    fields = {column.key: value for column, value in zip(columns, values, strict=True)}
    fields.setdefault("details", None)
    return PeriodCard(**fields)


def _card_and_agent(columns: Sequence[Any], row: Sequence[Any]) -> tuple[PeriodCard, AgentRow]:
    split = len(columns)
    return _card(columns, row[:split]), AgentRow(*row[split:])


def period_team() -> Any:
    """The team a scorecard row counts for: its period's team, else the agent's current one
    (for rows computed before the period's team was recorded). Needs ``agents`` joined."""
    return func.coalesce(AgentScorecard.team_id, Agent.team_id)


def card_scope(scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on ``agent_scorecards`` joined with ``agents`` for this scope."""
    if scope.everything:
        return true()
    if scope.agent_id is not None:
        return AgentScorecard.agent_id == scope.agent_id
    if scope.team_id is not None:
        return period_team() == scope.team_id
    return false()


def agent_periods(session: Session, scope: Scope, agent_id: str) -> list[PeriodCard]:
    """The months and quarters of one agent's appraisal the viewer may see, oldest first."""
    rows = session.execute(
        select(*_CARD)
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(AgentScorecard.agent_id == agent_id, card_scope(scope))
        .order_by(AgentScorecard.period)
    )
    return [_card(_CARD, row) for row in rows]


def period_scorecards(
    session: Session, scope: Scope, period: str
) -> list[tuple[PeriodCard, AgentRow]]:
    """One period's scorecards for the agents in scope that period, best total first."""
    query = (
        select(*_CARD, *_AGENT)
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(AgentScorecard.period == period, card_scope(scope))
        .order_by(AgentScorecard.total.desc(), Agent.id)
    )
    return [_card_and_agent(_CARD, row) for row in session.execute(query)]


def _period_where(scope: Scope, period: str, team: str | None) -> list[ColumnElement[bool]]:
    where = [AgentScorecard.period == period, card_scope(scope)]
    if team is not None:
        where.append(period_team() == team)
    return where


@dataclass(frozen=True)
class CardsPage:
    """One page of a period's cards (without ``details``), how many cards in all, this
    page's number and how many pages."""

    rows: list[tuple[PeriodCard, AgentRow]]
    total: int
    page: int
    pages: int


def period_scorecards_page(
    session: Session,
    scope: Scope,
    period: str,
    team: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> CardsPage:
    """One page of ``period_scorecards`` (optionally one team's), in the same order, without
    the cards' ``details`` (the table does not show them). A page past the last is the last."""
    where = _period_where(scope, period, team)
    total = session.scalar(
        select(func.count())
        .select_from(AgentScorecard)
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(*where)
    )
    pages = max(1, -(-int(total or 0) // page_size))
    page = min(max(1, page), pages)
    query = (
        select(*_CARD_BRIEF, *_AGENT)
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(*where)
        .order_by(AgentScorecard.total.desc(), Agent.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [_card_and_agent(_CARD_BRIEF, row) for row in session.execute(query)]
    return CardsPage(rows, int(total or 0), page, pages)


def period_agent_ids(session: Session, scope: Scope, period: str, team: str | None) -> set[str]:
    """The agents whose cards of ``period`` the viewer sees (ids only)."""
    return set(
        session.scalars(
            select(AgentScorecard.agent_id)
            .join(Agent, Agent.id == AgentScorecard.agent_id)
            .where(*_period_where(scope, period, team))
        )
    )


@dataclass(frozen=True)
class CoachingRow:
    """A card below the coaching threshold: its total and each group's score (None where the
    group was left out, i.e. had nothing to score)."""

    agent_id: str
    period: str
    total: float
    scores: dict[str, float | None]


def coaching_rows(
    session: Session,
    scope: Scope,
    period: str,
    threshold: float,
    team: str | None = None,
    limit: int = SHORTLIST,
) -> tuple[list[CoachingRow], int]:
    """The first ``limit`` cards of ``period`` with a group scored below ``threshold``,
    lowest total first (``appraisal.coaching_list``'s order), and how many there are. The
    test runs in the database, as ``coaching_list`` does it: a group below the threshold
    that was not left out (its score in ``details`` is not null); no card's JSON travels."""
    # The appraisal stores a left-out group as 0.0 (its score in ``details`` is null): only
    # a zero column needs the JSON read, so the cards' documents are parsed rarely.
    scored = {
        group: case(
            (column > 0, true()),
            else_=AgentScorecard.details[("groups", group, "score")].as_float().is_not(None),
        )
        for group, column in GROUP_COLUMNS.items()
    }
    needs = or_(*(and_(column < threshold, scored[g]) for g, column in GROUP_COLUMNS.items()))
    where = [*_period_where(scope, period, team), needs]
    total = session.scalar(
        select(func.count())
        .select_from(AgentScorecard)
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(*where)
    )
    query = (
        select(
            AgentScorecard.agent_id,
            AgentScorecard.period,
            AgentScorecard.total,
            *GROUP_COLUMNS.values(),
            *scored.values(),
        )
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(*where)
        .order_by(AgentScorecard.total, AgentScorecard.agent_id)
        .limit(limit)
    )
    rows = []
    n = len(GROUP_COLUMNS)
    for agent_id, card_period, card_total, *values in session.execute(query):
        scores = {
            group: float(values[i]) if values[n + i] else None
            for i, group in enumerate(GROUP_COLUMNS)
        }
        rows.append(CoachingRow(agent_id, card_period, float(card_total), scores))
    return rows, int(total or 0)


@dataclass(frozen=True)
class TeamRank:
    team_id: str | None
    team_name: str | None
    agents: int
    calls: int
    total: float
    below_standard: int


def team_ranking(session: Session, scope: Scope, period: str) -> list[TeamRank]:
    """Teams by their agents' call-weighted total; an agent counts for the team they worked
    in that period."""
    team = period_team()
    query = (
        select(
            team,
            Team.name,
            func.count(AgentScorecard.agent_id),
            func.sum(AgentScorecard.calls),
            func.sum(AgentScorecard.total * AgentScorecard.calls)
            / func.nullif(func.sum(AgentScorecard.calls), 0),
            func.sum(case((AgentScorecard.meets_standard.is_(False), 1), else_=0)),
        )
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .outerjoin(Team, Team.id == team)
        .where(AgentScorecard.period == period, card_scope(scope))
        .group_by(team, Team.name)
    )
    ranks = [
        TeamRank(team_id, name, int(n), int(calls or 0), float(total or 0.0), int(below or 0))
        for team_id, name, n, calls, total, below in session.execute(query)
    ]
    return sorted(ranks, key=lambda r: -r.total)


def failed_rules_of(
    session: Session, scope: Scope, agent_ids: Sequence[str], month: str
) -> dict[str, list[tuple[str, int]]]:
    """Per agent, the rules they failed most in ``month`` on the calls the viewer may see:
    what coaching should cover. Read from the adherence counts (an outcome carries its
    call's month, team and agent), not from every outcome of the month: the coaching list
    can name every agent."""
    if not agent_ids:
        return {}
    failed = func.sum(AdherenceCount.n)
    rows = session.execute(
        select(AdherenceCount.agent_id, AdherenceCount.rule_id, failed)
        .where(
            *counts_where(scope, ComplianceFilters()),
            AdherenceCount.agent_id.in_(agent_ids),
            AdherenceCount.month == month,
            AdherenceCount.outcome == "failed",
        )
        .group_by(AdherenceCount.agent_id, AdherenceCount.rule_id)
        .having(failed > 0)
        .order_by(AdherenceCount.agent_id, failed.desc())
    )
    out: dict[str, list[tuple[str, int]]] = {}
    for agent_id, rule_id, n in rows:
        out.setdefault(str(agent_id), []).append((rule_id, int(n)))
    return out


def scorecard_periods(session: Session, scope: Scope, kind: str = "month") -> list[str]:
    """The periods of ``kind`` (month or quarter) with cards the viewer sees, newest first."""
    query = (
        select(AgentScorecard.period)
        .distinct()
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(AgentScorecard.kind == kind, card_scope(scope))
    )
    return sorted(session.scalars(query), reverse=True)


def visible_periods(
    session: Session, scope: Scope, agent_ids: Iterable[str], periods: Iterable[str]
) -> set[tuple[str, str]]:
    """Which (agent, period) scorecards of these the viewer may see."""
    agents, wanted = list(agent_ids), list(periods)
    if not agents or not wanted:
        return set()
    rows = session.execute(
        select(AgentScorecard.agent_id, AgentScorecard.period)
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(
            AgentScorecard.agent_id.in_(agents),
            AgentScorecard.period.in_(wanted),
            card_scope(scope),
        )
    )
    return {(agent, period) for agent, period in rows}


def agent_in_scope(session: Session, scope: Scope, agent_id: str) -> AgentRow | None:
    """The agent, if the viewer may see them now (their team) or any of their periods (an
    agent who has left the supervisor's team keeps their months there)."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        return None
    found = AgentRow(agent.id, agent.name, agent.team_id)
    if scope.allows_agent(agent.id, agent.team_id):
        return found
    if scope.agent_id is None and scope.team_id is not None:
        worked_here = session.scalar(
            select(func.count())
            .select_from(AgentScorecard)
            .join(Agent, Agent.id == AgentScorecard.agent_id)
            .where(and_(AgentScorecard.agent_id == agent.id, card_scope(scope)))
        )
        if worked_here:
            return found
    return None
