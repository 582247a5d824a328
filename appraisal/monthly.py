"""Monthly agent scorecards (§7.1, §7.2), computed from the store with SQL aggregates.

Three aggregate queries per month (calls, QA-reviewed calls, surveys), each one GROUP BY
agent over an index on the month; no call is loaded into Python. Each KPI item is scored
0-100 against its target, items are weighted inside their group, groups into the total.
An item with no data (no reviewed calls, no surveys) is left out of its group's weighting
and says so in ``details``: it is never a silent 100. docs/appraisal.md is the
supervisor's description of every item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, case, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from appraisal.periods import parse_month
from rules.policy import Policy
from storage.results import utcnow
from storage.schema import AgentScorecard, Call, RuleOutcome, Survey

GROUPS = ("business", "service", "compliance")


@dataclass(frozen=True)
class MonthInputs:
    """One agent's raw counts for one month, as the aggregate queries return them."""

    calls: int = 0
    enquiries: int = 0  # calls where the enquiry-answer rules applied
    enquiries_answered: int = 0
    timed_calls: int = 0  # calls whose time to the agent's first word is known
    answered_in_time: int = 0
    forbidden_language_calls: int = 0
    negative_tone_calls: int = 0
    cold_calls: int = 0  # forbidden language or a negative tone (a call counts once)
    rules_applicable: int = 0
    rules_passed: int = 0
    critical_failures: int = 0
    reviewed_calls: int = 0
    accurate_calls: int = 0
    surveys: int = 0
    satisfied: int = 0


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


# --- scoring ------------------------------------------------------------------------


def rate_score(value: float, target: float) -> float:
    """0-100: meeting the target earns 100, below it the score falls in proportion."""
    return round(100.0 * min(1.0, value / target), 1)


def _item(
    weight: float,
    value: float | None,
    target: float,
    score: float | None,
    inputs: Mapping[str, object],
    why: str,
    unit: str = "share",
) -> dict[str, Any]:
    return {
        "value": None if value is None else round(value, 4),
        "unit": unit,  # share (0-1), calls or failures: how to show value and target
        "target": target,
        "score": score,
        "weight": weight,
        "inputs": dict(inputs),
        "why": why,
        "left_out": score is None,
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rate_item(
    weight: float, part: int, whole: int, target: float, inputs: Mapping[str, object], what: str
) -> dict[str, Any]:
    value = _share(part, whole)
    if value is None:
        return _item(weight, None, target, None, inputs, f"no {what} this month: left out")
    score = rate_score(value, target)
    why = f"{part} of {whole} = {value:.1%} against a target of {target:.0%}: {score:g}"
    return _item(weight, value, target, score, inputs, why)


def score_items(inputs: MonthInputs, policy: Policy) -> dict[str, dict[str, dict[str, Any]]]:
    """Each group's items: value, target, score, weight, inputs and a sentence saying why."""
    ap = policy.appraisal
    t, w = ap.targets, ap.items
    volume = rate_score(inputs.calls, t.monthly_calls)
    over = max(0, inputs.critical_failures - t.max_critical_failures)
    critical = max(0.0, 100.0 - ap.critical_failure_penalty * over)
    return {
        "business": {
            "volume": _item(
                w.business.volume,
                inputs.calls,
                t.monthly_calls,
                volume,
                {"calls": inputs.calls},
                f"{inputs.calls} calls against a target of {t.monthly_calls}: {volume:g}",
                unit="calls",
            ),
            "accuracy": _rate_item(
                w.business.accuracy,
                inputs.accurate_calls,
                inputs.reviewed_calls,
                policy.accuracy_target,
                {"reviewed_calls": inputs.reviewed_calls, "accurate_calls": inputs.accurate_calls},
                "QA-reviewed calls",
            ),
            "enquiry_answer_rate": _rate_item(
                w.business.enquiry_answer_rate,
                inputs.enquiries_answered,
                inputs.enquiries,
                t.enquiry_answer_rate,
                {"enquiries": inputs.enquiries, "answered": inputs.enquiries_answered},
                "calls with an enquiry to answer",
            ),
        },
        "service": {
            "satisfaction": _rate_item(
                w.service.satisfaction,
                inputs.satisfied,
                inputs.surveys,
                policy.satisfaction_target,
                {"surveys": inputs.surveys, "satisfied": inputs.satisfied},
                "surveys",
            ),
            "response_time": _rate_item(
                w.service.response_time,
                inputs.answered_in_time,
                inputs.timed_calls,
                t.response_time,
                {
                    "timed_calls": inputs.timed_calls,
                    "answered_within_limit": inputs.answered_in_time,
                    "answer_limit_s": policy.answer_limit_s,
                },
                "calls with a measured answer time",
            ),
            "attitude": _rate_item(
                w.service.attitude,
                inputs.calls - inputs.cold_calls,
                inputs.calls,
                t.attitude,
                {
                    "calls": inputs.calls,
                    "forbidden_language_calls": inputs.forbidden_language_calls,
                    "negative_tone_calls": inputs.negative_tone_calls,
                    "negative_share_limit": policy.sentiment.agent_negative_share_flag,
                    "courteous_calls": inputs.calls - inputs.cold_calls,
                },
                "calls",
            ),
        },
        "compliance": {
            "adherence": _rate_item(
                w.compliance.adherence,
                inputs.rules_passed,
                inputs.rules_applicable,
                t.adherence,
                {
                    "rules_applicable": inputs.rules_applicable,
                    "rules_passed": inputs.rules_passed,
                },
                "applicable rule checks",
            ),
            "critical_failures": _item(
                w.compliance.critical_failures,
                inputs.critical_failures,
                t.max_critical_failures,
                critical,
                {"critical_failures": inputs.critical_failures},
                f"{inputs.critical_failures} failed critical rules, {t.max_critical_failures} "
                f"allowed, {ap.critical_failure_penalty:g} points off for each over: {critical:g}",
                unit="failures",
            ),
        },
    }


def weighted(parts: Mapping[str, tuple[float | None, float]]) -> float | None:
    """The weighted mean of the parts that have a score (None where none has weight)."""
    scored = [(s, w) for s, w in parts.values() if s is not None and w > 0]
    total_weight = sum(w for _, w in scored)
    if not total_weight:
        return None
    return round(sum(s * w for s, w in scored) / total_weight, 1)


def score_month(inputs: MonthInputs, policy: Policy) -> dict[str, Any]:
    """Group scores, total and the whole explanation, from one agent's counts."""
    ap = policy.appraisal
    items = score_items(inputs, policy)
    groups: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        group_items = items[group]
        score = weighted({k: (v["score"], v["weight"]) for k, v in group_items.items()})
        left_out = [k for k, v in group_items.items() if v["left_out"]]
        groups[group] = {
            "score": score,
            "weight": getattr(ap.weights, group),
            "items": group_items,
            "left_out": left_out,
            "note": (
                f"{', '.join(left_out)} had no data and did not count; the other items' "
                "weights were scaled up to fill the group"
                if left_out
                else "every item had data"
            ),
        }
    total = weighted({g: (v["score"], v["weight"]) for g, v in groups.items()})
    total = 0.0 if total is None else total
    return {
        "groups": groups,
        "total": total,
        "standard": ap.standard,
        "meets_standard": total >= ap.standard,
        "coaching_threshold": ap.coaching_threshold,
        "policy": policy.label,
    }


# --- writing the rows ---------------------------------------------------------------


def store_scorecard(
    session: Session, agent_id: str, period: str, kind: str, calls: int, details: dict[str, Any]
) -> AgentScorecard:
    row = session.get(AgentScorecard, (agent_id, period))
    if row is None:
        row = AgentScorecard(agent_id=agent_id, period=period)
        session.add(row)
    groups = details["groups"]
    row.kind = kind
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
    session: Session, period: str, kind: str, scorecards: dict[str, tuple[int, dict[str, Any]]]
) -> list[AgentScorecard]:
    """Makes ``scorecards`` (agent -> calls, details) the period's rows and ranks them.

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
        store_scorecard(session, agent_id, period, kind, calls, details)
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
    row = store_scorecard(session, agent_id, month, "month", inputs.calls, details)
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
