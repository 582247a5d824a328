"""The console's SQL for compliance: adherence per rule, team, agent and month (one GROUP BY
in the database, never a loop over calls in Python) and the drill-down to the failing calls
with their evidence. Every query takes the viewer's ``Scope``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from console.permissions import Scope
from console.queries import effective_outcome
from storage.schema import Call, RuleOutcome

# Rule outcomes carry their call's team, agent and month (copied when the call is stored),
# so adherence is grouped and filtered on rule_results alone.
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


def adherence_cells(session: Session, scope: Scope, f: ComplianceFilters) -> list[AdherenceCell]:
    """One GROUP BY in the adherence index's own order (month, rule, team, agent): a single
    streaming scan, however many ways the view then rolls it up."""
    eff = effective_outcome()
    columns: list[Any] = [
        RuleOutcome.month,
        RuleOutcome.rule_id,
        RuleOutcome.team_id,
        RuleOutcome.agent_id,
    ]
    query: Select[Any] = (
        select(
            *columns,
            func.sum(case((eff == "passed", 1), else_=0)),
            func.sum(case((eff == "failed", 1), else_=0)),
            func.sum(case((eff == "not_applicable", 1), else_=0)),
        )
        .where(*_adherence_where(scope, f))
        .group_by(*columns)
    )
    return [
        AdherenceCell(month, rule, team, agent, int(p or 0), int(x or 0), int(na or 0))
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
