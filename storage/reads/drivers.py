"""Call drivers as the console and the management report read them (issue 12, policy §5.3 and
§6.3): calls per driver per month or week, complaints by category and severity and per
driver and month, satisfaction (surveys) and score per driver, survey comments per driver,
and a driver's calls. Every read is cut to the viewer's ``Scope``: the driver rows carry
their call's team and agent, so a supervisor's numbers are their team's alone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import Session

from storage.drivers_schema import CallComplaint, CallDriver, SurveyDriver
from storage.reads.scope import Scope
from storage.schema import Agent, Call, Survey

# The driver a survey comment counts under when it fits none.
UNMATCHED = "(none)"


def _scoped(scope: Scope, team: Any, agent: Any) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    clauses = []
    if scope.team_id is not None:
        clauses.append(team == scope.team_id)
    if scope.agent_id is not None:
        clauses.append(agent == scope.agent_id)
    return and_(*clauses) if clauses else false()


def _months(column: Any, month_from: str | None, month_to: str | None) -> ColumnElement[bool]:
    clauses = [column.is_not(None)]
    if month_from:
        clauses.append(column >= month_from)
    if month_to:
        clauses.append(column <= month_to)
    return and_(*clauses)


def driver_months(session: Session, scope: Scope) -> list[str]:
    """The months with classified calls the viewer may see, newest first."""
    rows = session.scalars(
        select(CallDriver.month)
        .where(_scoped(scope, CallDriver.team_id, CallDriver.agent_id))
        .where(CallDriver.month.is_not(None))
        .distinct()
    )
    return sorted((m for m in rows if m), reverse=True)


def volume_by_month(
    session: Session, scope: Scope, month_from: str | None, month_to: str | None
) -> dict[str, dict[str, int]]:
    """driver -> month -> calls with that driver (a call with two drivers counts for both)."""
    rows = session.execute(
        select(CallDriver.driver_id, CallDriver.month, func.count())
        .where(_scoped(scope, CallDriver.team_id, CallDriver.agent_id))
        .where(_months(CallDriver.month, month_from, month_to))
        .group_by(CallDriver.driver_id, CallDriver.month)
    )
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for driver, month, count in rows:
        out[driver][str(month)] = int(count)
    return dict(out)


def volume_by_week(
    session: Session, scope: Scope, month_from: str | None, month_to: str | None
) -> dict[str, dict[str, int]]:
    """driver -> ISO week (YYYY-Www) -> calls; the week is worked out here, the same on
    SQLite and PostgreSQL."""
    rows = session.execute(
        select(CallDriver.driver_id, CallDriver.started_at)
        .where(_scoped(scope, CallDriver.team_id, CallDriver.agent_id))
        .where(_months(CallDriver.month, month_from, month_to))
        .where(CallDriver.started_at.is_not(None))
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for driver, started in rows:
        if started is None:
            continue
        year, week, _ = started.isocalendar()
        out[driver][f"{year}-W{week:02d}"] += 1
    return {d: dict(w) for d, w in out.items()}


@dataclass
class _Tally:
    """``DriverStats`` while it is being counted."""

    calls: int = 0
    primary: int = 0
    complaints: int = 0
    high_severity: int = 0
    score_sum: float = 0.0
    surveys: int = 0
    satisfied: int = 0
    comments: int = 0
    comments_unsatisfied: int = 0


@dataclass(frozen=True)
class DriverStats:
    driver: str
    calls: int = 0
    primary: int = 0  # calls where it is the main reason
    complaints: int = 0
    high_severity: int = 0
    score_sum: float = 0.0
    surveys: int = 0
    satisfied: int = 0
    comments: int = 0  # survey comments classified under this driver
    comments_unsatisfied: int = 0

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.calls if self.calls else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.surveys if self.surveys else None

    @property
    def complaint_share(self) -> float | None:
        return self.complaints / self.calls if self.calls else None


def driver_stats(
    session: Session, scope: Scope, month_from: str | None, month_to: str | None
) -> dict[str, DriverStats]:
    """Per driver: calls, as the main reason, complaints (high severity), mean score, the
    surveys answered about its calls, and survey comments classified under it."""
    tallies: dict[str, _Tally] = {}

    def of(driver: str) -> _Tally:
        return tallies.setdefault(driver, _Tally())

    where = and_(
        _scoped(scope, CallDriver.team_id, CallDriver.agent_id),
        _months(CallDriver.month, month_from, month_to),
    )
    for driver, rank, score, severity in session.execute(
        select(CallDriver.driver_id, CallDriver.rank, Call.score, CallComplaint.severity)
        .join(Call, Call.id == CallDriver.call_id)
        .outerjoin(CallComplaint, CallComplaint.call_id == CallDriver.call_id)
        .where(where)
    ):
        row = of(driver)
        row.calls += 1
        row.primary += rank == 0
        row.score_sum += float(score or 0.0)
        row.complaints += severity is not None
        row.high_severity += severity == "high"
    for driver, satisfied in session.execute(
        select(CallDriver.driver_id, Survey.satisfied)
        .join(Survey, Survey.call_id == CallDriver.call_id)
        .where(where)
    ):
        row = of(driver)
        row.surveys += 1
        row.satisfied += bool(satisfied)
    survey_scope = _scoped(scope, Agent.team_id, Survey.agent_id)
    for comment_driver, satisfied in session.execute(
        select(SurveyDriver.driver_id, Survey.satisfied)
        .join(Survey, Survey.id == SurveyDriver.survey_id)
        .outerjoin(Agent, Agent.id == Survey.agent_id)
        .where(survey_scope)
        .where(_months(Survey.month, month_from, month_to))
    ):
        row = of(comment_driver or UNMATCHED)
        row.comments += 1
        row.comments_unsatisfied += not satisfied
    return {driver: DriverStats(driver, **asdict(tally)) for driver, tally in tallies.items()}


def complaint_breakdown(
    session: Session, scope: Scope, month_from: str | None, month_to: str | None
) -> dict[str, dict[str, int]]:
    """complaint category -> severity -> calls."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for category, severity, count in session.execute(
        select(CallComplaint.category, CallComplaint.severity, func.count())
        .where(_scoped(scope, CallComplaint.team_id, CallComplaint.agent_id))
        .where(_months(CallComplaint.month, month_from, month_to))
        .group_by(CallComplaint.category, CallComplaint.severity)
    ):
        out[category][str(severity)] = int(count)
    return dict(out)


def complaints_by_driver_month(
    session: Session, scope: Scope, month_from: str | None, month_to: str | None
) -> dict[str, dict[str, int]]:
    """driver -> month -> calls with that driver that were complaints."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for driver, month, count in session.execute(
        select(CallDriver.driver_id, CallDriver.month, func.count())
        .join(CallComplaint, CallComplaint.call_id == CallDriver.call_id)
        .where(_scoped(scope, CallDriver.team_id, CallDriver.agent_id))
        .where(_months(CallDriver.month, month_from, month_to))
        .group_by(CallDriver.driver_id, CallDriver.month)
    ):
        out[driver][str(month)] = int(count)
    return dict(out)


@dataclass(frozen=True)
class DriverCall:
    call_id: str
    started_at: datetime | None
    agent_id: str | None
    team_id: str | None
    rank: int
    driver: str
    score: float
    evidence: str  # the first utterance that showed the driver (redacted)
    evidence_start: float | None
    complaint: str | None = None
    severity: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def driver_calls(
    session: Session,
    scope: Scope,
    driver: str | None,
    month_from: str | None,
    month_to: str | None,
    limit: int = 200,
) -> list[DriverCall]:
    """A driver's calls (the viewer's; every driver's when ``driver`` is None), newest
    first, with the utterance that showed it."""
    rows = session.execute(
        select(CallDriver, Call.score, CallComplaint.category, CallComplaint.severity)
        .join(Call, Call.id == CallDriver.call_id)
        .outerjoin(CallComplaint, CallComplaint.call_id == CallDriver.call_id)
        .where(CallDriver.driver_id == driver if driver else true())
        .where(_scoped(scope, CallDriver.team_id, CallDriver.agent_id))
        .where(_months(CallDriver.month, month_from, month_to))
        .order_by(CallDriver.started_at.desc(), CallDriver.call_id)
        .limit(limit)
    )
    out = []
    for row, score, category, severity in rows:  # (a call twice when it has two drivers)
        first = (row.evidence or [{}])[0]
        out.append(
            DriverCall(
                call_id=row.call_id,
                started_at=row.started_at,
                agent_id=row.agent_id,
                team_id=row.team_id,
                rank=row.rank,
                driver=row.driver_id,
                score=float(score),
                evidence=str(first.get("text", "")),
                evidence_start=first.get("start"),
                complaint=category,
                severity=severity,
            )
        )
    return out
