"""Where agents stand (§7.3): the ranking, who needs coaching and in what, and who has been
below standard for ``failing_cycles_before_action`` consecutive months (formal action)."""

from __future__ import annotations

from dataclasses import dataclass

from appraisal.monthly import GROUPS
from appraisal.periods import parse_month, parse_quarter, previous_months
from rules.policy import Policy
from storage.database import Session
from storage.reads.appraisal import below_standard_months, period_scorecards
from storage.schema import AgentScorecard


@dataclass(frozen=True)
class GroupShortfall:
    group: str
    score: float
    threshold: float


@dataclass(frozen=True)
class CoachingEntry:
    """An agent below the coaching threshold in at least one KPI group."""

    agent_id: str
    period: str
    total: float
    below: tuple[GroupShortfall, ...]

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(s.group for s in self.below)


@dataclass(frozen=True)
class Streak:
    """An agent below standard for ``len(months)`` consecutive months ending at the last one."""

    agent_id: str
    months: tuple[str, ...]
    totals: tuple[float, ...]


def _period(period: str) -> str:
    return parse_quarter(period) if "Q" in period.upper() else parse_month(period)


def ranking(session: Session, period: str) -> list[AgentScorecard]:
    """The period's stored scorecards (month or quarter), best first."""
    return period_scorecards(session, _period(period))


def _left_out(row: AgentScorecard, group: str) -> bool:
    details = row.details.get("groups", {}).get(group, {})
    return isinstance(details, dict) and details.get("score", 0) is None


def coaching_list(session: Session, period: str, policy: Policy) -> list[CoachingEntry]:
    """Agents with any group score below ``appraisal.coaching_threshold``, lowest total first."""
    threshold = policy.appraisal.coaching_threshold
    out = []
    for row in sorted(ranking(session, period), key=lambda r: (r.total, r.agent_id)):
        below = tuple(
            GroupShortfall(group, getattr(row, group), threshold)
            for group in GROUPS
            if getattr(row, group) < threshold and not _left_out(row, group)
        )
        if below:
            out.append(CoachingEntry(row.agent_id, row.period, row.total, below))
    return out


def below_standard_streaks(
    session: Session, month: str, policy: Policy, *, cycles: int | None = None
) -> list[Streak]:
    """Agents whose monthly scorecards were below standard for at least ``cycles`` (default
    ``failing_cycles_before_action``) consecutive months, ending with ``month``.

    A month without a scorecard (no calls) breaks a streak: there was nothing to appraise.
    Longer streaks are reported whole, back to 24 months.
    """
    cycles = cycles or policy.failing_cycles_before_action
    window = previous_months(month, max(cycles, 24))
    failing: dict[str, dict[str, float]] = {}
    for agent_id, period, total in below_standard_months(session, window):
        failing.setdefault(agent_id, {})[period] = total
    out = []
    for agent_id, months in failing.items():
        streak: list[str] = []
        for period in reversed(window):
            if period not in months:
                break
            streak.append(period)
        if len(streak) >= cycles:
            streak.reverse()
            out.append(Streak(agent_id, tuple(streak), tuple(months[p] for p in streak)))
    return out
