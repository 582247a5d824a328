"""The console's SQL for agent scorecards: a period's cards, the team ranking, one agent's
months and quarters.

A scorecard belongs to the team the agent worked in during its period
(``agent_scorecards.team_id``, filled by the appraisal from the period's calls), not to the
agent's current team: after a transfer, the new team's supervisor does not see the months
spent in the old team, and the old team's supervisor still does. Rows computed before that
column existed (NULL) fall back to the agent's current team.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, select, true
from sqlalchemy.orm import Session

from console.permissions import Scope
from console.queries import effective_outcome
from storage.schema import Agent, AgentScorecard, Call, RuleOutcome, Team


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


def _cards() -> Any:
    return select(AgentScorecard).join(Agent, Agent.id == AgentScorecard.agent_id)


def agent_periods(session: Session, scope: Scope, agent_id: str) -> list[AgentScorecard]:
    """The months and quarters of one agent's appraisal the viewer may see, oldest first."""
    return list(
        session.scalars(
            _cards()
            .where(AgentScorecard.agent_id == agent_id, card_scope(scope))
            .order_by(AgentScorecard.period)
        )
    )


def period_scorecards(
    session: Session, scope: Scope, period: str
) -> list[tuple[AgentScorecard, Agent]]:
    """One period's scorecards for the agents in scope that period, best total first."""
    query = (
        select(AgentScorecard, Agent)
        .join(Agent, Agent.id == AgentScorecard.agent_id)
        .where(AgentScorecard.period == period, card_scope(scope))
        .order_by(AgentScorecard.total.desc(), Agent.id)
    )
    return [(card, agent) for card, agent in session.execute(query)]


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
    what coaching should cover."""
    if not agent_ids:
        return {}
    rows = session.execute(
        select(Call.agent_id, RuleOutcome.rule_id, func.count())
        .join(RuleOutcome, RuleOutcome.call_id == Call.id)
        .where(
            scope.calls(),
            Call.agent_id.in_(agent_ids),
            Call.month == month,
            effective_outcome() == "failed",
        )
        .group_by(Call.agent_id, RuleOutcome.rule_id)
        .order_by(Call.agent_id, func.count().desc())
    )
    out: dict[str, list[tuple[str, int]]] = {}
    for agent_id, rule_id, n in rows:
        out.setdefault(str(agent_id), []).append((rule_id, int(n)))
    return out


def scorecard_periods(session: Session, scope: Scope, kind: str = "month") -> list[str]:
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


def agent_in_scope(session: Session, scope: Scope, agent_id: str) -> Agent | None:
    """The agent, if the viewer may see them now (their team) or any of their periods (an
    agent who has left the supervisor's team keeps their months there)."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        return None
    if scope.allows_agent(agent.id, agent.team_id):
        return agent
    if scope.agent_id is None and scope.team_id is not None:
        worked_here = session.scalar(
            select(func.count())
            .select_from(AgentScorecard)
            .join(Agent, Agent.id == AgentScorecard.agent_id)
            .where(and_(AgentScorecard.agent_id == agent.id, card_scope(scope)))
        )
        if worked_here:
            return agent
    return None
