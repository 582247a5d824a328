"""Monthly agent scorecards (§7.1, §7.2), computed from the store with SQL aggregates.

Three aggregate queries per month (calls, QA-reviewed calls, surveys), each one GROUP BY
agent over an index on the month; no call is loaded into Python. Each KPI item is scored
0-100 against its target, items are weighted inside their group, groups into the total.
An item with no data (no reviewed calls, no surveys) is left out of its group's weighting
and says so in ``details``: it is never a silent 100. Each row also records the team the
agent worked in that month (most of their calls), which the console scopes it by.
docs/appraisal.md is the supervisor's description of every item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from appraisal.periods import parse_month
from appraisal.scoring import GROUPS as GROUPS  # where quarterly and standing find it
from appraisal.scoring import MonthInputs, score_month
from rules.policy import Policy
from storage.results import utcnow
from storage.schema import AgentScorecard, Call, RuleOutcome, Survey

# --- the SQL ------------------------------------------------------------------------


def _ones(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _calls_query(month: str, policy: Policy) -> Select[Any]:
    negative = Call.agent_negative_share >= policy.sentiment.agent_negative_share_flag
    forbidden = Call.forbidden_language.is_(True)
    return (
        select(
            Call.agent_id,
            func.count(),
            func.count(Call.enquiry_answered),
            _ones(Call.enquiry_answered.is_(True)),
            func.count(Call.answer_time_s),
            _ones(Call.answer_time_s <= policy.answer_limit_s),
            _ones(forbidden),
            _ones(negative),
            _ones(or_(forbidden, negative)),
            func.coalesce(func.sum(Call.rules_applicable), 0),
            func.coalesce(func.sum(Call.rules_passed), 0),
            func.coalesce(func.sum(Call.severity), 0),
        )
        .where(Call.month == month, Call.agent_id.is_not(None))
        .group_by(Call.agent_id)
    )


def _reviews_query(month: str) -> Select[Any]:
    # A reviewed call is accurate when no rule outcome a reviewer settled on is a failure.
    confirmed_failure = exists().where(
        RuleOutcome.call_id == Call.id, RuleOutcome.reviewed_outcome == "failed"
    )
    return (
        select(Call.agent_id, func.count(), _ones(~confirmed_failure))
        .where(Call.month == month, Call.reviewed.is_(True), Call.agent_id.is_not(None))
        .group_by(Call.agent_id)
    )


def _surveys_query(month: str) -> Select[Any]:
    return (
        select(Survey.agent_id, func.count(), _ones(Survey.satisfied.is_(True)))
        .where(Survey.month == month, Survey.agent_id.is_not(None))
        .group_by(Survey.agent_id)
    )


def month_teams(session: Session, month: str, agent_id: str | None = None) -> dict[str, str]:
    """The team each agent worked in during ``month``: the team of most of their calls that
    month (on a tie, the team of the latest call). The console shows a scorecard to that
    team's supervisor, so an agent's months stay with the team they were spent in."""
    query = (
        select(Call.agent_id, Call.team_id, func.count(), func.max(Call.started_at))
        .where(
            Call.month == parse_month(month),
            Call.agent_id.is_not(None),
            Call.team_id.is_not(None),
        )
        .group_by(Call.agent_id, Call.team_id)
    )
    if agent_id is not None:
        query = query.where(Call.agent_id == agent_id)
    best: dict[str, tuple[int, datetime, str]] = {}
    for agent, team, calls, latest in session.execute(query):
        key = (int(calls), latest or datetime.min, str(team))
        if agent is not None and (agent not in best or key > best[agent]):
            best[agent] = key
    return {agent: key[2] for agent, key in best.items()}


def month_inputs(
    session: Session, month: str, policy: Policy, agent_id: str | None = None
) -> dict[str, MonthInputs]:
    """Every agent's raw counts for ``month`` (or one agent's), keyed by agent id."""
    month = parse_month(month)
    queries = [_calls_query(month, policy), _reviews_query(month), _surveys_query(month)]
    if agent_id is not None:
        queries = [q.where(q.selected_columns[0] == agent_id) for q in queries]
    calls, reviews, surveys = (session.execute(q).all() for q in queries)
    out: dict[str, MonthInputs] = {}
    for row in calls:
        out[row[0]] = MonthInputs(*(int(v) for v in row[1:]))
    for agent, reviewed, accurate in reviews:
        if agent in out:
            out[agent] = _with(
                out[agent], reviewed_calls=int(reviewed), accurate_calls=int(accurate)
            )
    for agent, answered, satisfied in surveys:
        if agent in out:  # an agent with surveys but no calls this month is not appraised
            out[agent] = _with(out[agent], surveys=int(answered), satisfied=int(satisfied))
    return out


def _with(inputs: MonthInputs, **changes: int) -> MonthInputs:
    return replace(inputs, **changes)


# --- writing the rows ---------------------------------------------------------------


def store_scorecard(
    session: Session,
    agent_id: str,
    period: str,
    kind: str,
    calls: int,
    details: dict[str, Any],
    team_id: str | None = None,
) -> AgentScorecard:
    row = session.get(AgentScorecard, (agent_id, period))
    if row is None:
        row = AgentScorecard(agent_id=agent_id, period=period)
        session.add(row)
    groups = details["groups"]
    row.kind = kind
    row.team_id = team_id
    row.calls = calls
    # A group with no scored item (only where a policy weighs every available item 0)
    # is out of the total; its column holds 0 and details say it was left out.
    row.business = groups["business"]["score"] or 0.0
    row.service = groups["service"]["score"] or 0.0
    row.compliance = groups["compliance"]["score"] or 0.0
    row.total = details["total"]
    row.meets_standard = details["meets_standard"]
    row.details = details
    row.computed_at = utcnow()
    return row


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
    # Loads the period's stored rows in one query: the upserts below then find them in
    # the session's identity map instead of asking the database once per agent.
    list(session.scalars(select(AgentScorecard).where(AgentScorecard.period == period)))
    session.execute(
        delete(AgentScorecard).where(
            AgentScorecard.period == period,
            AgentScorecard.agent_id.not_in(list(scorecards) or [""]),
        )
    )
    for agent_id, (calls, details) in scorecards.items():
        team = (teams or {}).get(agent_id)
        store_scorecard(session, agent_id, period, kind, calls, details, team)
    session.flush()
    return rank_period(session, period)


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
            agent_id: (
                agent_inputs.calls,
                {"period": month, "kind": "month", **score_month(agent_inputs, policy)},
            )
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
        session.execute(
            delete(AgentScorecard).where(
                AgentScorecard.agent_id == agent_id, AgentScorecard.period == month
            )
        )
        session.flush()
        rank_period(session, month)
        return None
    details = {"period": month, "kind": "month", **score_month(inputs, policy)}
    team = month_teams(session, month, agent_id).get(agent_id)
    row = store_scorecard(session, agent_id, month, "month", inputs.calls, details, team)
    session.flush()
    rank_period(session, month)
    return row


def month_scorecards(session: Session, month: str) -> list[AgentScorecard]:
    """The stored scorecards of ``month``, best first."""
    month = parse_month(month)
    return list(
        session.scalars(
            select(AgentScorecard)
            .where(AgentScorecard.period == month)
            .order_by(AgentScorecard.rank, AgentScorecard.agent_id)
        )
    )


def agent_scorecard(session: Session, agent_id: str, period: str) -> AgentScorecard | None:
    """One agent's stored scorecard for a month or a quarter: a primary-key read."""
    return session.get(AgentScorecard, (agent_id, period))
