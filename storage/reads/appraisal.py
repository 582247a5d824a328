"""What the agent appraisal (§7) reads from the store: each agent's month as raw counts
(three aggregate queries, each one GROUP BY agent over an index on the month; no call is
loaded into Python), the team each agent worked in, and the stored agent scorecards.

The appraisal (appraisal/) scores these counts; the SQL lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.orm import Session

from storage.schema import AgentScorecard, Call, RuleOutcome, Survey


@dataclass(frozen=True)
class MonthInputs:
    """One agent's raw counts for one month, as the aggregate queries return them."""

    calls: int = 0
    enquiries: int = 0  # calls where the enquiry-answer rules applied
    enquiries_answered: int = 0
    timed_calls: int = 0  # calls whose time to the agent's first word is known
    answered_in_time: int = 0
    language_breach_calls: int = 0  # a rule tagged language_breach failed (improper words)
    negative_tone_calls: int = 0
    cold_calls: int = 0  # a language breach or a negative tone (a call counts once)
    rules_applicable: int = 0
    rules_passed: int = 0
    critical_failures: int = 0
    reviewed_calls: int = 0
    accurate_calls: int = 0
    surveys: int = 0
    satisfied: int = 0


def _ones(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _calls_query(month: str, answer_limit_s: float, negative_share_flag: float) -> Select[Any]:
    negative = Call.agent_negative_share >= negative_share_flag
    breach = Call.language_breach.is_(True)
    # the columns in MonthInputs' order, from calls to critical_failures
    return (
        select(
            Call.agent_id,
            func.count(),
            func.count(Call.enquiry_answered),
            _ones(Call.enquiry_answered.is_(True)),
            func.count(Call.answer_time_s),
            _ones(Call.answer_time_s <= answer_limit_s),
            _ones(breach),
            _ones(negative),
            _ones(or_(breach, negative)),
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


def month_inputs(
    session: Session,
    month: str,
    *,
    answer_limit_s: float,
    negative_share_flag: float,
    agent_id: str | None = None,
) -> dict[str, MonthInputs]:
    """Every agent's raw counts for ``month`` (or one agent's), keyed by agent id: a call
    answered within ``answer_limit_s`` counts as in time, one with the agent's turns
    negative in at least ``negative_share_flag`` of them as a negative tone."""
    queries = [
        _calls_query(month, answer_limit_s, negative_share_flag),
        _reviews_query(month),
        _surveys_query(month),
    ]
    if agent_id is not None:
        queries = [q.where(q.selected_columns[0] == agent_id) for q in queries]
    calls, reviews, surveys = (session.execute(q).all() for q in queries)
    out: dict[str, MonthInputs] = {}
    for row in calls:
        out[row[0]] = MonthInputs(*(int(v) for v in row[1:]))
    for agent, reviewed, accurate in reviews:
        if agent in out:
            out[agent] = replace(
                out[agent], reviewed_calls=int(reviewed), accurate_calls=int(accurate)
            )
    for agent, answered, satisfied in surveys:
        if agent in out:  # an agent with surveys but no calls this month is not appraised
            out[agent] = replace(out[agent], surveys=int(answered), satisfied=int(satisfied))
    return out


def month_teams(session: Session, month: str, agent_id: str | None = None) -> dict[str, str]:
    """The team each agent worked in during ``month``: the team of most of their calls that
    month (on a tie, the team of the latest call)."""
    query = (
        select(Call.agent_id, Call.team_id, func.count(), func.max(Call.started_at))
        .where(Call.month == month, Call.agent_id.is_not(None), Call.team_id.is_not(None))
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


def period_scorecards(session: Session, period: str) -> list[AgentScorecard]:
    """The stored scorecards of a month or a quarter, best first."""
    return list(
        session.scalars(
            select(AgentScorecard)
            .where(AgentScorecard.period == period)
            .order_by(AgentScorecard.rank, AgentScorecard.agent_id)
        )
    )


def agent_scorecard(session: Session, agent_id: str, period: str) -> AgentScorecard | None:
    """One agent's stored scorecard for a month or a quarter: a primary-key read."""
    return session.get(AgentScorecard, (agent_id, period))


def period_appraised(session: Session, period: str) -> bool:
    """Whether any scorecard of ``period`` is stored (the period has been appraised)."""
    found = session.scalars(
        select(AgentScorecard.agent_id).where(AgentScorecard.period == period).limit(1)
    ).first()
    return found is not None


def monthly_scorecards(session: Session, months: Sequence[str]) -> list[AgentScorecard]:
    """The monthly scorecards of ``months``, by agent, each agent's months in order."""
    return list(
        session.scalars(
            select(AgentScorecard)
            .where(AgentScorecard.period.in_(list(months)), AgentScorecard.kind == "month")
            .order_by(AgentScorecard.agent_id, AgentScorecard.period)
        )
    )


def below_standard_months(session: Session, months: Sequence[str]) -> list[tuple[str, str, float]]:
    """(agent, month, total) of every monthly scorecard in ``months`` below the standard,
    by agent."""
    rows = session.execute(
        select(AgentScorecard.agent_id, AgentScorecard.period, AgentScorecard.total)
        .where(
            AgentScorecard.period.in_(list(months)),
            AgentScorecard.kind == "month",
            AgentScorecard.meets_standard.is_(False),
        )
        .order_by(AgentScorecard.agent_id)
    )
    return [(str(agent), str(period), float(total)) for agent, period, total in rows]


def find_call(session: Session, call_id: str) -> Call | None:
    """The stored call ``call_id``, or None."""
    return session.get(Call, call_id)


def latest_call_between(
    session: Session, agent_id: str, earliest: datetime, latest: datetime
) -> Call | None:
    """The agent's call that started last within [earliest, latest], or None."""
    return session.scalars(
        select(Call)
        .where(
            Call.agent_id == agent_id,
            Call.started_at <= latest,
            Call.started_at >= earliest,
        )
        .order_by(Call.started_at.desc())
        .limit(1)
    ).first()
