"""The management report's figures (policy §6.3; issue 12) for a month or a quarter: call
volume, surveys and mean score, the drivers' and complaint categories' numbers, and each
driver's calls and complaints per month from the period before through this one (for the
rising risks). The report is for management: every call counts, whatever the team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.reads import drivers
from storage.reads.drivers import DriverStats
from storage.reads.scope import Scope
from storage.schema import Call, Survey


@dataclass(frozen=True)
class PeriodSummary:
    calls: int
    surveys: int  # surveys answered
    satisfied: int
    mean_score: float | None  # None without calls


def period_summary(session: Session, months: Sequence[str]) -> PeriodSummary:
    """Calls, surveys answered (and how many satisfied) and the mean call score of ``months``."""
    calls = int(
        session.scalar(select(func.count()).select_from(Call).where(Call.month.in_(months))) or 0
    )
    answered, satisfied = session.execute(
        select(func.count(), func.sum(case((Survey.satisfied, 1), else_=0))).where(
            Survey.month.in_(months)
        )
    ).one()
    mean_score = session.scalar(select(func.avg(Call.score)).where(Call.month.in_(months)))
    return PeriodSummary(
        calls=calls,
        surveys=int(answered),
        satisfied=int(satisfied or 0),
        mean_score=float(mean_score) if mean_score is not None else None,
    )


@dataclass(frozen=True)
class ReportFigures:
    summary: PeriodSummary
    drivers: dict[str, DriverStats]  # driver -> its numbers in the period
    complaints: dict[str, dict[str, int]]  # complaint category -> severity -> calls
    # from the period before through this one: driver -> month -> calls / complaint calls
    volume: dict[str, dict[str, int]]
    complaints_by_month: dict[str, dict[str, int]]


def report_figures(
    session: Session, months: Sequence[str], previous: Sequence[str]
) -> ReportFigures:
    """Everything the report shows for ``months`` (consecutive, oldest first), with the
    ``previous`` period's driver volumes and complaints to compare them with."""
    everything = Scope(everything=True)
    first, last = months[0], months[-1]
    summary = period_summary(session, months)
    stats = drivers.driver_stats(session, everything, first, last)
    complaints = drivers.complaint_breakdown(session, everything, first, last)
    span = (min(previous), last)
    return ReportFigures(
        summary=summary,
        drivers=stats,
        complaints=complaints,
        volume=drivers.volume_by_month(session, everything, *span),
        complaints_by_month=drivers.complaints_by_driver_month(session, everything, *span),
    )
