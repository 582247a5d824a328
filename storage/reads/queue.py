"""The review queue's reads: its filters, search, paging and order, the calls still to
review, and the choices the filter forms offer. One call's page is ``storage.reads.calls``,
compliance adherence ``storage.reads.compliance``. Every query takes the viewer's ``Scope``;
none checks roles (that is ``console.permissions``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from storage.drivers_schema import CallDriver
from storage.reads.scope import Scope
from storage.schema import Agent, Call, CallScorecard, RuleOutcome, Team

PAGE_SIZE = 50
# Counting every match on a store of ten million calls costs seconds a page: the count stops
# here and the page says "1,000+" (20 pages; a narrower filter finds the rest).
COUNT_CAP = 1_000
OUTCOMES = ("passed", "failed", "not_applicable", "needs_review")
# The queue's order (the queue index of migration 0006 follows it): critical failures
# first, then flagged calls, then the lowest scores; the id keeps pages stable.
WORST_FIRST = (Call.severity.desc(), Call.flagged.desc(), Call.score.asc(), Call.id.asc())
# The customer's sentiment at the end of the call, in the sentiment model's bands.
SENTIMENT_BANDS = {"negative": (None, -0.2), "neutral": (-0.2, 0.2), "positive": (0.2, None)}


def effective_outcome() -> Any:
    """The outcome after QA review: ``reviewed_outcome`` where a reviewer settled one."""
    return func.coalesce(RuleOutcome.reviewed_outcome, RuleOutcome.outcome)


def _search(session: Session, text: str) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        # ILIKE on the column itself (not lower(column) LIKE ...): what the trigram index
        # (migration 0006) answers for three characters or more
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return Call.search_text.ilike(f"%{escaped}%", escape="\\")
    return Call.search_text.contains(text, autoescape=True)  # LIKE: ASCII case-insensitive


# --- the review queue -------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    date_from: date | None = None
    date_to: date | None = None
    agent: str | None = None
    team: str | None = None
    rule: str | None = None
    outcome: str | None = None  # of ``rule`` (default: failed); alone: any rule with it
    sentiment: str | None = None  # negative | neutral | positive, at the end of the call
    q: str | None = None
    flagged: bool = False
    training: bool = False
    escalated: bool = False
    page: int = 1
    driver: str | None = None  # a driver id of rules/drivers.yaml, main reason or not

    def as_params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in (
            "date_from",
            "date_to",
            "agent",
            "team",
            "rule",
            "outcome",
            "sentiment",
            "q",
            "driver",
        ):
            value = getattr(self, name)
            if value not in (None, ""):
                out[name] = value.isoformat() if isinstance(value, date) else str(value)
        for name in ("flagged", "training", "escalated"):
            if getattr(self, name):
                out[name] = "1"
        return out


@dataclass(frozen=True)
class QueueRow:
    id: str
    started_at: datetime | None
    agent_id: str | None
    agent_name: str | None
    team_id: str | None
    duration_s: float
    score: float
    flagged: bool
    severity: int
    reviewed: bool
    training_case: bool
    escalated: bool
    customer_end_sentiment: float | None
    flags: list[str]
    failed_rules: list[dict[str, Any]] = field(default_factory=list)  # rule_id, critical, outcome


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    to_review: int = 0  # calls in scope with an outcome still waiting for a QA lead
    total_capped: bool = False  # more than ``total`` (= COUNT_CAP) calls match


def _queue_where(session: Session, scope: Scope, f: QueueFilters) -> list[Any]:
    where: list[Any] = [scope.calls()]
    if f.date_from:
        where.append(Call.started_at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        where.append(Call.started_at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    if f.agent:
        where.append(Call.agent_id == f.agent)
    if f.team:
        where.append(Call.team_id == f.team)
    if f.rule or f.outcome:
        match = [RuleOutcome.call_id == Call.id, effective_outcome() == (f.outcome or "failed")]
        if f.rule:
            match.append(RuleOutcome.rule_id == f.rule)
        where.append(exists().where(*match))
    if f.sentiment in SENTIMENT_BANDS:
        low, high = SENTIMENT_BANDS[f.sentiment]
        if low is not None:
            where.append(Call.customer_end_sentiment >= low)
        if high is not None:
            where.append(Call.customer_end_sentiment < high)
    if f.q:
        where.append(_search(session, f.q))
    if f.driver:  # the primary key (call_id, driver_id) answers it per call
        where.append(
            exists().where(CallDriver.call_id == Call.id, CallDriver.driver_id == f.driver)
        )
    if f.flagged:
        where.append(Call.flagged.is_(True))
    if f.training:
        where.append(Call.training_case.is_(True))
    if f.escalated:
        where.append(Call.escalated.is_(True))
    return where


def queue(
    session: Session,
    scope: Scope,
    f: QueueFilters,
    page_size: int = PAGE_SIZE,
    count_cap: int = COUNT_CAP,
) -> QueuePage:
    """Critical failures first, then flagged calls, then the lowest scores."""
    where = _queue_where(session, scope, f)
    matches = select(Call.id).where(*where).limit(count_cap + 1).subquery()
    total = session.scalar(select(func.count()).select_from(matches)) or 0
    capped = total > count_cap
    total = min(total, count_cap)
    pages = max(1, -(-total // page_size))
    page = min(max(1, f.page), pages)
    ids_query = (
        select(Call.id)
        .where(*where)
        .order_by(*WORST_FIRST)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    ids = list(session.scalars(ids_query))
    return QueuePage(
        _queue_rows(session, ids), total, page, pages, to_review(session, scope), capped
    )


def to_review(session: Session, scope: Scope) -> int:
    """How many calls in scope have an outcome the analysis sent to review, undecided."""
    # a decision is never needs_review: undecided = analysed so, not yet reviewed. These
    # conditions are those of the partial index ix_rule_results_undecided, and DISTINCT
    # over its call_id order is a streaming pass, not a sort.
    undecided = (
        select(RuleOutcome.call_id)
        .distinct()
        .where(
            scope.rule_outcomes(),
            RuleOutcome.outcome == "needs_review",
            RuleOutcome.reviewed_outcome.is_(None),
        )
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(undecided)) or 0


def _queue_rows(session: Session, ids: Sequence[str]) -> list[QueueRow]:
    if not ids:
        return []
    rows = session.execute(
        select(Call, Agent.name, CallScorecard.flags)
        .outerjoin(Agent, Agent.id == Call.agent_id)
        .outerjoin(CallScorecard, CallScorecard.call_id == Call.id)
        .where(Call.id.in_(ids))
    ).all()
    failed: dict[str, list[dict[str, Any]]] = {}
    for call_id, rule_id, critical, outcome in session.execute(
        select(RuleOutcome.call_id, RuleOutcome.rule_id, RuleOutcome.critical, effective_outcome())
        .where(
            RuleOutcome.call_id.in_(ids),
            effective_outcome().in_(("failed", "needs_review")),
        )
        .order_by(RuleOutcome.critical.desc(), RuleOutcome.rule_id)
    ):
        failed.setdefault(call_id, []).append(
            {"rule_id": rule_id, "critical": critical, "outcome": outcome}
        )
    by_id = {
        call.id: QueueRow(
            id=call.id,
            started_at=call.started_at,
            agent_id=call.agent_id,
            agent_name=name,
            team_id=call.team_id,
            duration_s=call.duration_s,
            score=call.score,
            flagged=call.flagged,
            severity=call.severity,
            reviewed=call.reviewed,
            training_case=call.training_case,
            escalated=call.escalated,
            customer_end_sentiment=call.customer_end_sentiment,
            flags=[str(x) for x in (flags or [])],
            failed_rules=failed.get(call.id, []),
        )
        for call, name, flags in rows
    }
    return [by_id[i] for i in ids if i in by_id]


# --- filter options ---------------------------------------------------------------


def months(session: Session, scope: Scope) -> list[str]:
    """The months with calls in scope, latest first: one index probe per month (a skip
    scan of ix_calls_month), not a DISTINCT over every call."""
    found: list[str] = []
    while True:
        after = found[-1] if found else ""  # no NULL or empty month
        month = session.scalar(
            select(func.min(Call.month)).where(scope.calls(), Call.month > after)
        )
        if month is None:
            return found[::-1]
        found.append(month)


def teams(session: Session, scope: Scope) -> list[tuple[str, str]]:
    """(id, name) of the teams in scope, by id."""
    query = select(Team.id, Team.name).order_by(Team.id)
    if not scope.everything:
        query = (
            query.where(Team.id == scope.team_id)
            if scope.agent_id is None
            else query.where(Team.id.in_(select(Agent.team_id).where(Agent.id == scope.agent_id)))
        )
    return [(team_id, name) for team_id, name in session.execute(query)]


def agents(session: Session, scope: Scope) -> list[tuple[str, str]]:
    """(id, name) of the agents in scope, by id."""
    query = select(Agent.id, Agent.name).order_by(Agent.id)
    if scope.agent_id is not None:
        query = query.where(Agent.id == scope.agent_id)
    elif not scope.everything:
        query = query.where(Agent.team_id == scope.team_id)
    return [(agent_id, name) for agent_id, name in session.execute(query)]
