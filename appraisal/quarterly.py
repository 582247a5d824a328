"""The quarterly comprehensive evaluation (§7.2): the quarter's monthly scorecards rolled up,
each month weighted by the calls the agent took in it; the quarter belongs to the team the
agent took most of those calls in."""

from __future__ import annotations

from typing import Any

from appraisal.monthly import compute_month, replace_period
from appraisal.periods import parse_quarter, quarter_months
from appraisal.scoring import GROUPS
from rules.policy import Policy
from storage.database import Session
from storage.reads.appraisal import monthly_scorecards
from storage.schema import AgentScorecard


def roll_up(months: list[AgentScorecard], policy: Policy) -> dict[str, Any]:
    """One agent's quarter from their monthly rows: call-weighted group scores and total."""
    calls = sum(m.calls for m in months)

    def mean(column: str) -> float:
        return round(sum(getattr(m, column) * m.calls for m in months) / calls, 1)

    total = mean("total")
    standard = policy.appraisal.standard
    return {
        "groups": {
            g: {"score": mean(g), "weight": getattr(policy.appraisal.weights, g)} for g in GROUPS
        },
        "total": total,
        "standard": standard,
        "meets_standard": total >= standard,
        "coaching_threshold": policy.appraisal.coaching_threshold,
        "weighting": "each month's scores weighted by the calls taken in that month",
        "months": {
            m.period: {
                "team_id": m.team_id,
                "calls": m.calls,
                "business": m.business,
                "service": m.service,
                "compliance": m.compliance,
                "total": m.total,
                "meets_standard": m.meets_standard,
            }
            for m in months
        },
        "policy": policy.label,
    }


def quarter_team(months: list[AgentScorecard]) -> str | None:
    """The team an agent worked in during a quarter: the one their months' calls were most
    in (on a tie, the later month's). Months without a recorded team do not count."""
    calls: dict[str, tuple[int, str]] = {}
    for month in months:
        if month.team_id is not None:
            count, latest = calls.get(month.team_id, (0, ""))
            calls[month.team_id] = (count + month.calls, max(latest, month.period))
    return max(calls, key=lambda team: calls[team]) if calls else None


def compute_quarter(
    session: Session, quarter: str, policy: Policy, *, recompute_months: bool = True
) -> list[AgentScorecard]:
    """Stores (upsert) and ranks every agent's quarterly scorecard, best first.

    With ``recompute_months`` (the default) the three monthly scorecards are computed
    first, so the quarter never rolls up stale months.
    """
    quarter = parse_quarter(quarter)
    months = quarter_months(quarter)
    if recompute_months:
        for month in months:
            compute_month(session, month, policy)
    by_agent: dict[str, list[AgentScorecard]] = {}
    for row in monthly_scorecards(session, months):
        by_agent.setdefault(row.agent_id, []).append(row)
    scorecards = {}
    teams: dict[str, str] = {}
    for agent_id, agent_months in by_agent.items():
        team = quarter_team(agent_months)
        if team is not None:
            teams[agent_id] = team
        details = {"period": quarter, "kind": "quarter", **roll_up(agent_months, policy)}
        details["missing_months"] = [m for m in months if m not in details["months"]]
        scorecards[agent_id] = (sum(m.calls for m in agent_months), details)
    return replace_period(session, quarter, "quarter", scorecards, teams)
