"""The scorecard pages' data: a period's scorecards with the team ranking, who is below
standard and the coaching list, and one agent's months and quarters. A scorecard is seen by
the team the agent worked in during its period (``storage.reads.scorecards``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from console.permissions import NotFound, Scope, can, require, scope_of
from console.services import Ctx
from storage.reads import scorecards as card_reads
from storage.reads.scorecards import AgentRow, PeriodCard


@dataclass(frozen=True)
class ScorecardsView:
    period: str | None
    periods: list[str]
    quarters: list[str]
    cards: list[tuple[PeriodCard, AgentRow]]
    ranking: list[card_reads.TeamRank]
    below_standard: list[tuple[PeriodCard, AgentRow]]
    streaks: list[Any]
    coaching: list[Any]
    coaching_rules: dict[str, list[tuple[str, int]]]


def scorecards(ctx: Ctx, period: str | None) -> ScorecardsView:
    """A period's scorecards for the viewer's agents, team ranking, who is below standard
    (and for how many consecutive months), and the coaching list."""
    from appraisal import coaching_list

    require(ctx.who, "scorecards")
    scope = scope_of(ctx.who)
    periods = card_reads.scorecard_periods(ctx.session, scope, "month")
    quarters = card_reads.scorecard_periods(ctx.session, scope, "quarter")
    period = period or (periods[0] if periods else None)
    if period is None:
        return ScorecardsView(None, periods, quarters, [], [], [], [], [], {})
    if period not in periods and period not in quarters:
        raise NotFound(f"no scorecards for {period}")
    cards = card_reads.period_scorecards(ctx.session, scope, period)
    agents = {agent.id: agent for _, agent in cards}
    ranking = (
        card_reads.team_ranking(ctx.session, scope, period) if can(ctx.who, "team_ranking") else []
    )
    below = [(c, a) for c, a in cards if not c.meets_standard]
    streaks: list[Any] = []
    coaching: list[Any] = []
    coaching_rules: dict[str, list[tuple[str, int]]] = {}
    if "Q" not in period:
        streaks = _visible_streaks(ctx, scope, period, set(agents))
        coaching = [
            c for c in coaching_list(ctx.session, period, ctx.policy) if c.agent_id in agents
        ]
        coaching_rules = card_reads.failed_rules_of(
            ctx.session, scope, [c.agent_id for c in coaching], period
        )
    return ScorecardsView(
        period, periods, quarters, cards, ranking, below, streaks, coaching, coaching_rules
    )


@dataclass(frozen=True)
class ScorecardsPage:
    """The scorecards page: one page of the period's agents (optionally one team's), the
    team ranking, and the first streaks and coaching entries with how many there are."""

    period: str | None
    periods: list[str]
    quarters: list[str]
    team: str | None
    cards: card_reads.CardsPage
    ranking: list[card_reads.TeamRank]
    streaks: list[Any]
    streaks_total: int
    coaching: list[Any]
    coaching_total: int
    coaching_rules: dict[str, list[tuple[str, int]]]


def scorecards_page(ctx: Ctx, period: str | None, team: str | None, page: int) -> ScorecardsPage:
    """What ``scorecards`` returns, sized for a page at bank scale: 50 agents a page in the
    same order, the coaching list and streaks cut to their first 50 (the team filter shows
    one team's whole list), and no card's ``details`` read."""
    from appraisal.monthly import GROUPS
    from appraisal.standing import CoachingEntry, GroupShortfall

    require(ctx.who, "scorecards")
    scope = scope_of(ctx.who)
    periods = card_reads.scorecard_periods(ctx.session, scope, "month")
    quarters = card_reads.scorecard_periods(ctx.session, scope, "quarter")
    period = period or (periods[0] if periods else None)
    empty = card_reads.CardsPage([], 0, 1, 1)
    if period is None:
        return ScorecardsPage(None, periods, quarters, team, empty, [], [], 0, [], 0, {})
    if period not in periods and period not in quarters:
        raise NotFound(f"no scorecards for {period}")
    cards = card_reads.period_scorecards_page(ctx.session, scope, period, team, page)
    ranking = (
        card_reads.team_ranking(ctx.session, scope, period) if can(ctx.who, "team_ranking") else []
    )
    streaks: list[Any] = []
    coaching: list[Any] = []
    streaks_total = coaching_total = 0
    coaching_rules: dict[str, list[tuple[str, int]]] = {}
    if "Q" not in period:
        agents = card_reads.period_agent_ids(ctx.session, scope, period, team)
        all_streaks = _visible_streaks(ctx, scope, period, agents)
        streaks, streaks_total = all_streaks[: card_reads.SHORTLIST], len(all_streaks)
        threshold = ctx.policy.appraisal.coaching_threshold
        rows, coaching_total = card_reads.coaching_rows(ctx.session, scope, period, threshold, team)
        for row in rows:
            below = tuple(
                GroupShortfall(group, score, threshold)
                for group in GROUPS
                if (score := row.scores.get(group)) is not None and score < threshold
            )
            coaching.append(CoachingEntry(row.agent_id, row.period, row.total, below))
        coaching_rules = card_reads.failed_rules_of(
            ctx.session, scope, [c.agent_id for c in coaching], period
        )
    return ScorecardsPage(
        period,
        periods,
        quarters,
        team,
        cards,
        ranking,
        streaks,
        streaks_total,
        coaching,
        coaching_total,
        coaching_rules,
    )


def _visible_streaks(ctx: Ctx, scope: Scope, month: str, agents: set[str]) -> list[Any]:
    """Below-standard streaks ending at ``month``, cut to the months the viewer may see: a
    supervisor does not learn an agent's totals from before the agent joined the team."""
    from appraisal import below_standard_streaks

    streaks = [
        s
        for s in below_standard_streaks(ctx.session, month, ctx.policy, cycles=2)
        if s.agent_id in agents
    ]
    if scope.everything or not streaks:
        return streaks
    visible = card_reads.visible_periods(
        ctx.session, scope, {s.agent_id for s in streaks}, {m for s in streaks for m in s.months}
    )
    out = []
    for streak in streaks:
        keep = 0  # the streak's last months, back to the first the viewer may not see
        for month_of_streak in reversed(streak.months):
            if (streak.agent_id, month_of_streak) not in visible:
                break
            keep += 1
        if keep >= 2:
            out.append(replace(streak, months=streak.months[-keep:], totals=streak.totals[-keep:]))
    return out


@dataclass(frozen=True)
class AgentView:
    agent: AgentRow
    months: list[PeriodCard]
    quarters: list[PeriodCard]


def agent_scorecards(ctx: Ctx, agent_id: str) -> AgentView:
    """One agent's months and quarters: those the viewer may see (a supervisor, the ones the
    agent spent in the supervisor's team)."""
    require(ctx.who, "scorecards")
    scope = scope_of(ctx.who)
    agent = card_reads.agent_in_scope(ctx.session, scope, agent_id)
    if agent is None:
        raise NotFound("no such agent")
    rows = card_reads.agent_periods(ctx.session, scope, agent.id)
    return AgentView(
        agent, [r for r in rows if r.kind == "month"], [r for r in rows if r.kind == "quarter"]
    )


def scorecard_json(card: PeriodCard, ctx: Ctx) -> dict[str, Any]:
    """A scorecard as the API shows it to the viewer. A quarter lists its months; a month the
    agent spent in a team the viewer may not see is left out of that list (the quarter's
    totals stay: the quarter belongs to the team of most of its calls)."""
    details = card.details
    months = details.get("months") if isinstance(details, dict) else None
    if details is not None and isinstance(months, dict):
        scope = scope_of(ctx.who)
        shown = {
            period: month
            for period, month in months.items()
            if "team_id" not in month
            or scope.agent_id is not None  # the agent's own quarter, every month of it
            or scope.allows_team(month["team_id"] or card.team_id)
        }
        details = {**details, "months": shown}
    return {
        "agent_id": card.agent_id,
        "team_id": card.team_id,
        "period": card.period,
        "kind": card.kind,
        "calls": card.calls,
        "business": card.business,
        "service": card.service,
        "compliance": card.compliance,
        "total": card.total,
        "meets_standard": card.meets_standard,
        "rank": card.rank,
        "details": details,
    }
