"""Monthly agent scorecards (§7.1, §7.2), computed from the store's aggregates.

Each agent's month is read as raw counts (``storage.reads.appraisal``: three aggregate
queries, no call loaded into Python). Each KPI item is scored 0-100 against its target,
items are weighted inside their group, groups into the total. An item with no data (no
reviewed calls, no surveys) is left out of its group's weighting and says so in
``details``: it is never a silent 100. Each row also records the team the agent worked in
that month (most of their calls), which the console scopes it by.
docs/appraisal.md is the supervisor's description of every item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appraisal.periods import parse_month
from appraisal.scoring import GROUPS as GROUPS  # where quarterly and standing find it
from appraisal.scoring import MonthInputs, score_month
from rules.policy import Policy
from storage import agent_scorecards as cards
from storage.agent_scorecards import ScorecardValues
from storage.database import Session
from storage.reads import appraisal as reads
from storage.schema import AgentScorecard


def month_teams(session: Session, month: str, agent_id: str | None = None) -> dict[str, str]:
    """The team each agent worked in during ``month``: the team of most of their calls that
    month (on a tie, the team of the latest call). The console shows a scorecard to that
    team's supervisor, so an agent's months stay with the team they were spent in."""
    return reads.month_teams(session, parse_month(month), agent_id)


def month_inputs(
    session: Session, month: str, policy: Policy, agent_id: str | None = None
) -> dict[str, MonthInputs]:
    """Every agent's raw counts for ``month`` (or one agent's), keyed by agent id."""
    return reads.month_inputs(
        session,
        parse_month(month),
        answer_limit_s=policy.answer_limit_s,
        negative_share_flag=policy.sentiment.agent_negative_share_flag,
        agent_id=agent_id,
    )


def scorecard_values(
    agent_id: str,
    period: str,
    kind: str,
    calls: int,
    details: dict[str, Any],
    team_id: str | None = None,
) -> ScorecardValues:
    """The row to store for one agent's period, from its scored ``details``."""
    groups = details["groups"]
    return ScorecardValues(
        agent_id=agent_id,
        period=period,
        kind=kind,
        team_id=team_id,
        calls=calls,
        # A group with no scored item (only where a policy weighs every available item 0)
        # is out of the total; its column holds 0 and details say it was left out.
        business=groups["business"]["score"] or 0.0,
        service=groups["service"]["score"] or 0.0,
        compliance=groups["compliance"]["score"] or 0.0,
        total=details["total"],
        meets_standard=details["meets_standard"],
        details=details,
    )


def replace_period(
    session: Session,
    period: str,
    kind: str,
    scorecards: dict[str, tuple[int, dict[str, Any]]],
    teams: Mapping[str, str] | None = None,
) -> list[AgentScorecard]:
    """Makes ``scorecards`` (agent -> calls, details) the period's rows, each with the team
    the agent worked in that period (``teams``), and ranks them.

    Rows of agents no longer in the period (their calls have since moved or gone) are
    removed.
    """
    values = [
        scorecard_values(agent_id, period, kind, calls, details, (teams or {}).get(agent_id))
        for agent_id, (calls, details) in scorecards.items()
    ]
    return cards.replace_period(session, period, values)


def _month_details(month: str, inputs: MonthInputs, policy: Policy) -> dict[str, Any]:
    return {"period": month, "kind": "month", **score_month(inputs, policy)}


def compute_month(session: Session, month: str, policy: Policy) -> list[AgentScorecard]:
    """Computes, stores (upsert) and ranks every agent's scorecard for ``month``.

    Agents with no call in the month get no scorecard; a stored one left from an earlier
    run (their calls have since moved or gone) is removed.
    """
    month = parse_month(month)
    inputs = month_inputs(session, month, policy)
    teams = month_teams(session, month)
    return replace_period(
        session,
        month,
        "month",
        {
            agent_id: (agent_inputs.calls, _month_details(month, agent_inputs, policy))
            for agent_id, agent_inputs in inputs.items()
        },
        teams,
    )


def recompute_agent_month(
    session: Session, agent_id: str, month: str, policy: Policy
) -> AgentScorecard | None:
    """Recomputes one agent's month (after a review, say) and re-ranks the month.

    Returns None (and removes a stale row) when the agent has no call in that month.
    """
    month = parse_month(month)
    inputs = month_inputs(session, month, policy, agent_id=agent_id).get(agent_id)
    if inputs is None:
        cards.remove_agent_period(session, agent_id, month)
        return None
    team = month_teams(session, month, agent_id).get(agent_id)
    details = _month_details(month, inputs, policy)
    values = scorecard_values(agent_id, month, "month", inputs.calls, details, team)
    return cards.store_agent_period(session, values)


def month_scorecards(session: Session, month: str) -> list[AgentScorecard]:
    """The stored scorecards of ``month``, best first."""
    return reads.period_scorecards(session, parse_month(month))


def agent_scorecard(session: Session, agent_id: str, period: str) -> AgentScorecard | None:
    """One agent's stored scorecard for a month or a quarter: a primary-key read."""
    return reads.agent_scorecard(session, agent_id, period)


def month_appraised(session: Session, month: str) -> bool:
    """Whether ``month`` has been appraised (any agent's scorecard of it is stored)."""
    return reads.period_appraised(session, parse_month(month))
