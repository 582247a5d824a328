"""Agent appraisal (policy §7): monthly scorecards from the store, the quarterly roll-up,
rankings, coaching lists, consecutive below-standard months, and survey import (§5.3)."""

from appraisal.monthly import (
    agent_scorecard,
    compute_month,
    month_inputs,
    month_scorecards,
    month_teams,
    recompute_agent_month,
)
from appraisal.periods import PeriodError, month_quarter, parse_month, parse_quarter, quarter_months
from appraisal.quarterly import compute_quarter
from appraisal.scoring import MonthInputs
from appraisal.standing import (
    CoachingEntry,
    GroupShortfall,
    Streak,
    below_standard_streaks,
    coaching_list,
    ranking,
)

__all__ = [
    "CoachingEntry",
    "GroupShortfall",
    "MonthInputs",
    "PeriodError",
    "Streak",
    "agent_scorecard",
    "below_standard_streaks",
    "coaching_list",
    "compute_month",
    "compute_quarter",
    "month_inputs",
    "month_quarter",
    "month_scorecards",
    "month_teams",
    "parse_month",
    "parse_quarter",
    "quarter_months",
    "ranking",
    "recompute_agent_month",
]
