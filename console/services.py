"""What the console does, once for the pages and the API: each function checks the viewer's
permissions (``console.permissions``), writes the audit entries the access calls for
(``console.audit``) and returns plain data; the pages render it, the API returns it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import audit, queries
from console.cache import AggregateCache
from console.permissions import (
    BadRequest,
    NotFound,
    Principal,
    Unavailable,
    can,
    check_call,
    require,
    scope_of,
)
from console.present import Segment, evidence_marks, segments
from rules.policy import Policy
from storage.schema import AgentScorecard, Call, User


@dataclass(frozen=True)
class Ctx:
    """One request's view of the world: the store session, who asks, from where."""

    session: Session
    who: Principal
    policy: Policy
    rule_titles: dict[str, str] = field(default_factory=dict)
    client: str | None = None
    cache: AggregateCache | None = None

    def audit(self, action: str, target: str, detail: str | None = None) -> None:
        audit.record(self.session, self.who, action, target, detail=detail, client=self.client)


# --- queue ------------------------------------------------------------------------------


def queue(ctx: Ctx, filters: queries.QueueFilters) -> queries.QueuePage:
    require(ctx.who, "calls")
    return queries.queue(ctx.session, scope_of(ctx.who), filters)


def filter_options(ctx: Ctx) -> dict[str, Any]:
    """The choices the filter forms offer: only teams, agents and months in scope."""
    scope = scope_of(ctx.who)
    return {
        "teams": [(t.id, t.name) for t in queries.teams(ctx.session, scope)],
        "agents": [(a.id, a.name) for a in queries.agents(ctx.session, scope)],
        "months": queries.months(ctx.session, scope),
        "rules": sorted(ctx.rule_titles.items()),
    }


# --- one call ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnView:
    index: int
    speaker: str
    start: float
    end: float
    sentiment_label: str | None
    sentiment_score: float | None
    segments: list[Segment]


@dataclass(frozen=True)
class CallView:
    detail: queries.CallDetail
    turns: list[TurnView]
    sentiment_points: list[tuple[float, float, int]]
    can_review: bool
    can_training: bool
    can_escalate: bool

    @property
    def call(self) -> Call:
        return self.detail.call


def _visible_call(ctx: Ctx, call_id: str) -> Call:
    return check_call(ctx.who, queries.call_row(ctx.session, call_id))


def call_view(ctx: Ctx, call_id: str, *, action: str = "view_call") -> CallView:
    """The call with its transcript: an access to a transcript, so it is audited."""
    call = _visible_call(ctx, call_id)
    detail = queries.call_detail(ctx.session, call)
    ctx.audit(action, f"call:{call.id}")
    marks = evidence_marks(detail.rules)
    turns = [
        TurnView(
            t.index,
            t.speaker,
            t.start,
            t.end,
            t.sentiment_label,
            t.sentiment_score,
            segments(t.text, marks.get(t.index, [])),
        )
        for t in detail.turns
    ]
    points = [
        (t.start, t.sentiment_score, t.index)
        for t in detail.turns
        if t.speaker == "customer" and t.sentiment_score is not None
    ]
    return CallView(
        detail,
        turns,
        points,
        can(ctx.who, "review"),
        can(ctx.who, "training"),
        can(ctx.who, "escalate"),
    )


def call_json(view: CallView, rule_titles: dict[str, str]) -> dict[str, Any]:
    call, d = view.call, view.detail
    return {
        "id": call.id,
        "agent_id": call.agent_id,
        "agent_name": d.agent_name,
        "team_id": call.team_id,
        "started_at": call.started_at.isoformat() if call.started_at else None,
        "month": call.month,
        "duration_s": call.duration_s,
        "language": call.language,
        "score": call.score,
        "analysed_score": d.scorecard.analysed_score if d.scorecard else None,
        "flagged": call.flagged,
        "severity": call.severity,
        "reviewed": call.reviewed,
        "training_case": call.training_case,
        "escalated": call.escalated,
        "flags": list(d.scorecard.flags) if d.scorecard else [],
        "breakdown": dict(d.scorecard.breakdown) if d.scorecard else {},
        "metrics": dict(call.metrics or {}),
        "sentiment": dict(call.sentiment or {}),
        "audio": f"/api/calls/{call.id}/audio" if call.redacted_audio_key else None,
        "rules": [
            {
                "rule_id": r.rule_id,
                "title": rule_titles.get(r.rule_id, r.rule_id),
                "outcome": r.outcome,
                "reviewed_outcome": r.reviewed_outcome,
                "effective_outcome": r.effective_outcome,
                "confidence": r.confidence,
                "leaning": r.leaning,
                "critical": r.critical,
                "reason": r.reason,
                "evidence": list(r.evidence or []),
            }
            for r in d.rules
        ],
        "turns": [
            {
                "index": t.index,
                "speaker": t.speaker,
                "start": t.start,
                "end": t.end,
                "text": "".join(s.text for s in t.segments),
                "sentiment_label": t.sentiment_label,
                "sentiment_score": t.sentiment_score,
            }
            for t in view.turns
        ],
        "reviews": [
            {
                "rule_id": r.rule_id,
                "verdict": r.verdict,
                "outcome": r.outcome,
                "reviewer": r.reviewer,
                "comment": r.comment,
                "created_at": r.created_at.isoformat(),
            }
            for r in d.reviews
        ],
    }


def audio_key(ctx: Ctx, call_id: str, range_header: str | None) -> str:
    """The redacted recording's key (never ``Call.source``); every request is audited."""
    call = _visible_call(ctx, call_id)
    if not call.redacted_audio_key:
        raise NotFound("this call has no redacted recording")
    ctx.audit("play_audio", f"call:{call.id}", detail=range_header or "whole file")
    return call.redacted_audio_key


# --- QA actions -------------------------------------------------------------------------


def _reviews() -> Any:
    try:
        import storage.reviews as reviews
    except ImportError as exc:  # pragma: no cover - only while storage.reviews is missing
        raise Unavailable("QA reviews are not available in this installation") from exc
    return reviews


def review(
    ctx: Ctx,
    call_id: str,
    rule_id: str,
    verdict: str,
    comment: str,
    decision: str | None = None,
) -> float:
    """Confirms, overturns or decides one rule outcome (``decided`` with ``decision``:
    how an outcome sent to review is settled); returns the call's new score (and the
    agent's monthly scorecard is recomputed by ``storage.reviews``)."""
    require(ctx.who, "review")
    call = _visible_call(ctx, call_id)
    if verdict not in ("confirmed", "overturned", "decided"):
        raise BadRequest(f"verdict {verdict!r}: expected confirmed, overturned or decided")
    if verdict == "overturned" and not comment.strip():
        raise BadRequest("say why the outcome is overturned: a comment is required")
    reviews = _reviews()
    try:  # storage.reviews writes the audit entry (qa_review) with the review itself
        reviews.record_review(
            ctx.session,
            call.id,
            rule_id,
            verdict,
            ctx.who.username,
            comment.strip(),
            policy=ctx.policy,
            decision=decision or None,
        )
    except reviews.ReviewError as exc:
        raise BadRequest(str(exc)) from exc
    ctx.session.flush()
    ctx.session.refresh(call)
    return call.score


def set_training(ctx: Ctx, call_id: str, on: bool) -> None:
    require(ctx.who, "training")
    call = _visible_call(ctx, call_id)
    _reviews().mark_training_case(ctx.session, call.id, on=on, by=ctx.who.username)


def escalate(ctx: Ctx, call_id: str, comment: str) -> None:
    require(ctx.who, "escalate")
    call = _visible_call(ctx, call_id)
    if not comment.strip():
        raise BadRequest("say why the call is escalated: a comment is required")
    _reviews().escalate(ctx.session, call.id, by=ctx.who.username, comment=comment.strip())


# --- compliance -------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceView:
    by: str
    overall: list[queries.Adherence]
    grouped: list[queries.Adherence]
    trend: dict[str, dict[str, float | None]]
    trend_months: list[str]


def compliance(ctx: Ctx, f: queries.ComplianceFilters, by: str = "team") -> ComplianceView:
    """Adherence per rule overall, per rule and ``by`` (team, agent or month), and the
    monthly trend per rule: one GROUP BY, rolled up three ways."""
    require(ctx.who, "compliance")
    if by not in queries.DIMENSIONS or by == "rule":
        raise BadRequest(f"by={by!r}: expected team, agent or month")
    if ctx.cache is None:
        return _compliance(ctx, f, by)
    key = ("compliance", scope_of(ctx.who), f, by)
    return ctx.cache.get(ctx.session, key, lambda: _compliance(ctx, f, by))


def _compliance(ctx: Ctx, f: queries.ComplianceFilters, by: str) -> ComplianceView:
    cells = queries.adherence_cells(ctx.session, scope_of(ctx.who), f)
    overall = queries.roll_up(cells, "rule")
    grouped = queries.roll_up(cells, by)
    monthly = grouped if by == "month" else queries.roll_up(cells, "month")
    months = sorted({a.group for a in monthly if a.group})
    trend: dict[str, dict[str, float | None]] = {}
    for a in monthly:
        if a.group:
            trend.setdefault(a.rule_id, {})[a.group] = a.rate
    return ComplianceView(by, overall, grouped, trend, months)


def compliance_calls(
    ctx: Ctx, f: queries.ComplianceFilters, rule_id: str
) -> list[queries.FailedCall]:
    require(ctx.who, "compliance")
    return queries.failing_calls(ctx.session, scope_of(ctx.who), f, rule_id)


EXPORT_HEADER = ("rule_id", "rule", "group_by", "group", "passed", "failed", "n/a", "adherence")


def export_rows(ctx: Ctx, f: queries.ComplianceFilters, by: str) -> list[tuple[Any, ...]]:
    require(ctx.who, "export")
    if by not in queries.DIMENSIONS:
        raise BadRequest(f"by={by!r}: expected rule, team, agent or month")
    rows = queries.roll_up(queries.adherence_cells(ctx.session, scope_of(ctx.who), f), by)
    ctx.audit("export_compliance", by, detail=str(f.as_params()))
    return [
        (
            a.rule_id,
            ctx.rule_titles.get(a.rule_id, a.rule_id),
            by,
            a.group or "",
            a.passed,
            a.failed,
            a.not_applicable,
            None if a.rate is None else round(a.rate, 4),
        )
        for a in rows
    ]


def to_csv(rows: list[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel then reads UTF-8


def to_xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Font
    except ImportError as exc:  # pragma: no cover
        raise Unavailable("XLSX export needs openpyxl: pip install openpyxl") from exc
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "adherence"
    sheet.append(EXPORT_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for cell in sheet["H"][1:]:
        cell.number_format = "0.0%"
    for column, width in zip("ABCDEFGH", (24, 44, 10, 16, 9, 9, 9, 11), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- scorecards -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardsView:
    period: str | None
    periods: list[str]
    quarters: list[str]
    cards: list[tuple[AgentScorecard, Any]]
    ranking: list[queries.TeamRank]
    below_standard: list[tuple[AgentScorecard, Any]]
    streaks: list[Any]
    coaching: list[Any]
    coaching_rules: dict[str, list[tuple[str, int]]]


def scorecards(ctx: Ctx, period: str | None) -> ScorecardsView:
    """A period's scorecards for the viewer's agents, team ranking, who is below standard
    (and for how many consecutive months), and the coaching list."""
    from appraisal import below_standard_streaks, coaching_list

    require(ctx.who, "scorecards")
    scope = scope_of(ctx.who)
    periods = queries.scorecard_periods(ctx.session, scope, "month")
    quarters = queries.scorecard_periods(ctx.session, scope, "quarter")
    period = period or (periods[0] if periods else None)
    if period is None:
        return ScorecardsView(None, periods, quarters, [], [], [], [], [], {})
    if period not in periods and period not in quarters:
        raise NotFound(f"no scorecards for {period}")
    cards = queries.period_scorecards(ctx.session, scope, period)
    agents = {agent.id: agent for _, agent in cards}
    ranking = (
        queries.team_ranking(ctx.session, scope, period) if can(ctx.who, "team_ranking") else []
    )
    below = [(c, a) for c, a in cards if not c.meets_standard]
    streaks, coaching, coaching_rules = [], [], {}
    if "Q" not in period:
        streaks = [
            s
            for s in below_standard_streaks(ctx.session, period, ctx.policy, cycles=2)
            if s.agent_id in agents
        ]
        coaching = [
            c for c in coaching_list(ctx.session, period, ctx.policy) if c.agent_id in agents
        ]
        coaching_rules = queries.failed_rules_of(
            ctx.session, [c.agent_id for c in coaching], period
        )
    return ScorecardsView(
        period, periods, quarters, cards, ranking, below, streaks, coaching, coaching_rules
    )


@dataclass(frozen=True)
class AgentView:
    agent: Any
    months: list[AgentScorecard]
    quarters: list[AgentScorecard]


def agent_scorecards(ctx: Ctx, agent_id: str) -> AgentView:
    require(ctx.who, "scorecards")
    agent = queries.agent_in_scope(ctx.session, scope_of(ctx.who), agent_id)
    if agent is None:
        raise NotFound("no such agent")
    rows = queries.agent_periods(ctx.session, agent.id)
    return AgentView(
        agent, [r for r in rows if r.kind == "month"], [r for r in rows if r.kind == "quarter"]
    )


def scorecard_json(card: AgentScorecard) -> dict[str, Any]:
    return {
        "agent_id": card.agent_id,
        "period": card.period,
        "kind": card.kind,
        "calls": card.calls,
        "business": card.business,
        "service": card.service,
        "compliance": card.compliance,
        "total": card.total,
        "meets_standard": card.meets_standard,
        "rank": card.rank,
        "details": card.details,
    }


# --- admin ------------------------------------------------------------------------------


def audit_log(
    ctx: Ctx, *, username: str | None, action: str | None, target: str | None, page: int
) -> tuple[list[Any], int]:
    require(ctx.who, "audit")
    return audit.entries(ctx.session, username=username, action=action, target=target, page=page)


def users(ctx: Ctx) -> list[User]:
    require(ctx.who, "users")
    return list(ctx.session.scalars(select(User).order_by(User.username)))
