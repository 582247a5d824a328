"""Compliance reads: adherence per rule, team, agent and month (one GROUP BY in the database,
never a loop over calls in Python) and the drill-down to the failing calls with their
evidence. Every query takes the viewer's ``Scope`` (decided by console/permissions.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, false, func, select
from sqlalchemy.orm import Session

from storage.reads.queue import effective_outcome
from storage.reads.scope import Scope
from storage.scale_schema import AdherenceCount
from storage.schema import Call, RuleOutcome

# Rule outcomes carry their call's team, agent and month (copied when the call is stored),
# so adherence is counted per month, rule, team and agent (``adherence_counts``, kept by
# triggers) and the drill-down filters rule_results alone.
DIMENSIONS = ("rule", "team", "agent", "month")


@dataclass(frozen=True)
class ComplianceFilters:
    month_from: str | None = None
    month_to: str | None = None
    team: str | None = None
    agent: str | None = None
    rule: str | None = None

    def as_params(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Adherence:
    rule_id: str
    group: str | None  # the team, agent or month; None when grouped by rule only
    passed: int
    failed: int
    not_applicable: int

    @property
    def applicable(self) -> int:
        return self.passed + self.failed

    @property
    def rate(self) -> float | None:
        return self.passed / self.applicable if self.applicable else None


def _adherence_where(scope: Scope, f: ComplianceFilters) -> list[Any]:
    where: list[Any] = [scope.rule_outcomes()]
    if f.month_from:
        where.append(RuleOutcome.month >= f.month_from)
    if f.month_to:
        where.append(RuleOutcome.month <= f.month_to)
    if f.team:
        where.append(RuleOutcome.team_id == f.team)
    if f.agent:
        where.append(RuleOutcome.agent_id == f.agent)
    if f.rule:
        where.append(RuleOutcome.rule_id == f.rule)
    return where


@dataclass(frozen=True)
class AdherenceCell:
    """Counts for one month, rule, team and agent: the finest grain of the compliance view."""

    month: str | None
    rule_id: str
    team_id: str | None
    agent_id: str | None
    passed: int
    failed: int
    not_applicable: int


def counts_where(scope: Scope, f: ComplianceFilters) -> list[Any]:
    """``_adherence_where`` on ``adherence_counts``, whose missing month, team or agent is ''
    (never equal to a filter's value; a month bound excludes it as NULL would)."""
    where: list[Any] = []
    if not scope.everything:
        if scope.team_id is None and scope.agent_id is None:
            where.append(false())
        if scope.team_id is not None:
            where.append(AdherenceCount.team_id == scope.team_id)
        if scope.agent_id is not None:
            where.append(AdherenceCount.agent_id == scope.agent_id)
    if f.month_from:
        where.append(AdherenceCount.month >= f.month_from)
    if f.month_to:
        where.append(AdherenceCount.month <= f.month_to)
        where.append(AdherenceCount.month != "")
    if f.team:
        where.append(AdherenceCount.team_id == f.team)
    if f.agent:
        where.append(AdherenceCount.agent_id == f.agent)
    if f.rule:
        where.append(AdherenceCount.rule_id == f.rule)
    return where


def adherence_cells(session: Session, scope: Scope, f: ComplianceFilters) -> list[AdherenceCell]:
    """Read from ``adherence_counts`` (kept by triggers on every rule outcome written): one
    row per month, rule, team, agent and outcome, however many calls there are."""
    n = AdherenceCount.n
    columns: list[Any] = [
        AdherenceCount.month,
        AdherenceCount.rule_id,
        AdherenceCount.team_id,
        AdherenceCount.agent_id,
    ]
    query: Select[Any] = (
        select(
            *columns,
            func.sum(case((AdherenceCount.outcome == "passed", n), else_=0)),
            func.sum(case((AdherenceCount.outcome == "failed", n), else_=0)),
            func.sum(case((AdherenceCount.outcome == "not_applicable", n), else_=0)),
        )
        .where(*counts_where(scope, f))
        .group_by(*columns)
        .having(func.sum(n) > 0)  # a group whose outcomes have all gone (deleted, moved)
    )
    return [
        AdherenceCell(
            month or None, rule, team or None, agent or None, int(p or 0), int(x or 0), int(na or 0)
        )
        for month, rule, team, agent, p, x, na in session.execute(query)
    ]


def roll_up(cells: Sequence[AdherenceCell], by: str) -> list[Adherence]:
    """Adherence per rule (``by='rule'``) or per rule and team, agent or month."""
    attribute = {"rule": None, "team": "team_id", "agent": "agent_id", "month": "month"}[by]
    totals: dict[tuple[str, str | None], list[int]] = {}
    for cell in cells:
        group = getattr(cell, attribute) if attribute else None
        counts = totals.setdefault((cell.rule_id, group), [0, 0, 0])
        counts[0] += cell.passed
        counts[1] += cell.failed
        counts[2] += cell.not_applicable
    return [
        Adherence(rule, group, *counts)
        for (rule, group), counts in sorted(
            totals.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        )
    ]


# The compliance page shows this many teams, agents or months a page: a bank centre's
# thousands of agents do not fit one grid (the export still has them all).
GROUP_PAGE_SIZE = 50
_GROUP_COLUMN = {
    "team": AdherenceCount.team_id,
    "agent": AdherenceCount.agent_id,
    "month": AdherenceCount.month,
}


def adherence_rollup(
    session: Session,
    scope: Scope,
    f: ComplianceFilters,
    by: str,
    groups: Sequence[str] | None = None,
) -> list[Adherence]:
    """``roll_up(adherence_cells(...), by)`` done by the database (optionally only for these
    teams, agents or months): per rule, or per rule and team, agent or month."""
    n = AdherenceCount.n
    group = _GROUP_COLUMN.get(by)
    keys: list[Any] = [AdherenceCount.rule_id] + ([group] if group is not None else [])
    where = counts_where(scope, f)
    if group is not None and groups is not None:
        where.append(group.in_(list(groups)))
    query = (
        select(
            *keys,
            func.sum(case((AdherenceCount.outcome == "passed", n), else_=0)),
            func.sum(case((AdherenceCount.outcome == "failed", n), else_=0)),
            func.sum(case((AdherenceCount.outcome == "not_applicable", n), else_=0)),
        )
        .where(*where)
        .group_by(*keys)
        .having(func.sum(n) > 0)
    )
    out = []
    for row in session.execute(query):
        rule, counts = row[0], row[-3:]
        value = (row[1] or None) if group is not None else None
        out.append(Adherence(rule, value, *(int(c or 0) for c in counts)))
    return sorted(out, key=lambda a: (a.rule_id, a.group or ""))


def group_page(
    session: Session,
    scope: Scope,
    f: ComplianceFilters,
    by: str,
    page: int,
    page_size: int = GROUP_PAGE_SIZE,
) -> tuple[list[str], int, int]:
    """One page of the teams, agents or months with outcomes (in the grid's order: by name,
    '' for "none" first), the number of them and the page shown (one past the last is the
    last)."""
    group = _GROUP_COLUMN[by]
    present = (
        select(group.label("value"))
        .where(*counts_where(scope, f))
        .group_by(group)
        .having(func.sum(AdherenceCount.n) > 0)
        .subquery()
    )
    total = int(session.scalar(select(func.count()).select_from(present)) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    values = session.scalars(
        select(present.c.value)
        .order_by(present.c.value)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(values), total, page


@dataclass(frozen=True)
class FailedCall:
    call_id: str
    started_at: datetime | None
    agent_id: str | None
    team_id: str | None
    score: float
    critical: bool
    reason: str
    evidence: list[Any]


def failing_calls(
    session: Session, scope: Scope, f: ComplianceFilters, rule_id: str, limit: int = 100
) -> list[FailedCall]:
    """The drill-down: calls where ``rule_id`` failed (after review), with the evidence."""
    rows = session.execute(
        select(Call, RuleOutcome)
        .join(RuleOutcome, RuleOutcome.call_id == Call.id)
        .where(
            *_adherence_where(scope, f),
            RuleOutcome.rule_id == rule_id,
            effective_outcome() == "failed",
        )
        .order_by(Call.started_at.desc(), Call.id)
        .limit(limit)
    ).all()
    return [
        FailedCall(
            call.id,
            call.started_at,
            call.agent_id,
            call.team_id,
            call.score,
            outcome.critical,
            outcome.reason,
            list(outcome.evidence or []),
        )
        for call, outcome in rows
    ]
