"""What the console does, once for the pages and the API: each function checks the viewer's
permissions (``console.permissions``), writes the audit entries the access calls for
(``console.audit``) and returns plain data; the pages render it, the API returns it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console import accounts, audit
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
from storage.database import Session
from storage.reads import calls as call_reads
from storage.reads import compliance as compliance_reads
from storage.reads import queue as queue_reads
from storage.reads.calls import CallDetail, ReviewRow, RuleRow, StoredCall
from storage.reads.compliance import Adherence, ComplianceFilters, FailedCall
from storage.reads.queue import QueueFilters, QueuePage

# The longest review comment or escalation reason the console stores (characters).
MAX_COMMENT = 2000


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


def queue(ctx: Ctx, filters: QueueFilters) -> QueuePage:
    """The review queue. A search (``q``) reads transcripts: it is audited with the terms,
    how many calls matched and which ones the page showed."""
    require(ctx.who, "calls")
    result = queue_reads.queue(ctx.session, scope_of(ctx.who), filters)
    if filters.q:
        shown = [row.id for row in result.rows]
        ctx.audit(
            "search_transcripts",
            f"search:{filters.q}",
            detail=f"{result.total}{'+' if result.total_capped else ''} calls matched; "
            f"page {result.page} showed {len(shown)}: " + ", ".join(shown),
        )
    return result


def filter_options(ctx: Ctx) -> dict[str, Any]:
    """The choices the filter forms offer: only teams, agents and months in scope."""
    scope = scope_of(ctx.who)
    return {
        "teams": queue_reads.teams(ctx.session, scope),
        "agents": queue_reads.agents(ctx.session, scope),
        "months": queue_reads.months(ctx.session, scope),
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
    detail: CallDetail
    turns: list[TurnView]
    sentiment_points: list[tuple[float, float, int]]
    can_review: bool
    can_training: bool
    can_escalate: bool

    @property
    def call(self) -> StoredCall:
        return self.detail.call


def _visible_call(ctx: Ctx, call_id: str) -> StoredCall:
    return check_call(ctx.who, call_reads.call_row(ctx.session, call_id))


def call_view(ctx: Ctx, call_id: str, *, action: str = "view_call") -> CallView:
    """The call with its transcript: an access to a transcript, so it is audited."""
    call = _visible_call(ctx, call_id)
    detail = call_reads.call_detail(ctx.session, call)
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
        "rules": [_rule_json(r, rule_titles) for r in d.rules],
        "turns": [_turn_json(t) for t in view.turns],
        "reviews": [_review_json(r) for r in d.reviews],
    }


def _rule_json(r: RuleRow, rule_titles: dict[str, str]) -> dict[str, Any]:
    return {
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


def _turn_json(t: TurnView) -> dict[str, Any]:
    return {
        "index": t.index,
        "speaker": t.speaker,
        "start": t.start,
        "end": t.end,
        "text": "".join(s.text for s in t.segments),
        "sentiment_label": t.sentiment_label,
        "sentiment_score": t.sentiment_score,
    }


def _review_json(r: ReviewRow) -> dict[str, Any]:
    return {
        "rule_id": r.rule_id,
        "verdict": r.verdict,
        "outcome": r.outcome,
        "reviewer": r.reviewer,
        "comment": r.comment,
        "created_at": r.created_at.isoformat(),
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
        import appraisal.reviews as reviews
    except ImportError as exc:  # pragma: no cover - only while appraisal.reviews is missing
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
    agent's monthly scorecard is recomputed by ``appraisal.reviews``)."""
    require(ctx.who, "review")
    call = _visible_call(ctx, call_id)
    _check_comment(comment)
    if verdict not in ("confirmed", "overturned", "decided"):
        raise BadRequest(f"verdict {verdict!r}: expected confirmed, overturned or decided")
    if verdict == "overturned" and not comment.strip():
        raise BadRequest("say why the outcome is overturned: a comment is required")
    reviews = _reviews()
    try:  # appraisal.reviews writes the audit entry (qa_review) with the review itself
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
    score = call_reads.score_now(ctx.session, call.id)
    if score is None:  # pragma: no cover - the call was there a moment ago
        raise NotFound("no such call")
    return score


def _check_comment(comment: str) -> None:
    if len(comment) > MAX_COMMENT:
        raise BadRequest(
            f"the comment has {len(comment):,} characters; at most {MAX_COMMENT:,} are kept"
        )


def set_training(ctx: Ctx, call_id: str, on: bool) -> None:
    require(ctx.who, "training")
    call = _visible_call(ctx, call_id)
    _reviews().mark_training_case(ctx.session, call.id, on=on, by=ctx.who.username)


def escalate(ctx: Ctx, call_id: str, comment: str) -> None:
    require(ctx.who, "escalate")
    call = _visible_call(ctx, call_id)
    _check_comment(comment)
    if not comment.strip():
        raise BadRequest("say why the call is escalated: a comment is required")
    _reviews().escalate(ctx.session, call.id, by=ctx.who.username, comment=comment.strip())


# --- compliance -------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceView:
    by: str
    overall: list[Adherence]
    grouped: list[Adherence]
    trend: dict[str, dict[str, float | None]]
    trend_months: list[str]


def compliance(ctx: Ctx, f: ComplianceFilters, by: str = "team") -> ComplianceView:
    """Adherence per rule overall, per rule and ``by`` (team, agent or month), and the
    monthly trend per rule: one GROUP BY, rolled up three ways."""
    require(ctx.who, "compliance")
    if by not in compliance_reads.DIMENSIONS or by == "rule":
        raise BadRequest(f"by={by!r}: expected team, agent or month")
    if ctx.cache is None:
        return _compliance(ctx, f, by)
    key = ("compliance", scope_of(ctx.who), f, by)
    return ctx.cache.get(ctx.session, key, lambda: _compliance(ctx, f, by))


def _compliance(ctx: Ctx, f: ComplianceFilters, by: str) -> ComplianceView:
    cells = compliance_reads.adherence_cells(ctx.session, scope_of(ctx.who), f)
    overall = compliance_reads.roll_up(cells, "rule")
    grouped = compliance_reads.roll_up(cells, by)
    monthly = grouped if by == "month" else compliance_reads.roll_up(cells, "month")
    months = sorted({a.group for a in monthly if a.group})
    trend: dict[str, dict[str, float | None]] = {}
    for a in monthly:
        if a.group:
            trend.setdefault(a.rule_id, {})[a.group] = a.rate
    return ComplianceView(by, overall, grouped, trend, months)


def compliance_calls(ctx: Ctx, f: ComplianceFilters, rule_id: str) -> list[FailedCall]:
    """The drill-down shows transcript evidence: audited with the rule, the filters and the
    calls whose evidence was shown."""
    require(ctx.who, "compliance")
    failing = compliance_reads.failing_calls(ctx.session, scope_of(ctx.who), f, rule_id)
    ids = [c.call_id for c in failing]
    filters = f.as_params()
    ctx.audit(
        "view_evidence",
        f"rule:{rule_id}",
        detail=f"evidence of {len(ids)} calls"
        + (f" ({filters})" if filters else "")
        + (": " + ", ".join(ids) if ids else ""),
    )
    return failing


# --- admin ------------------------------------------------------------------------------


def audit_log(
    ctx: Ctx, *, username: str | None, action: str | None, target: str | None, page: int
) -> audit.AuditPage:
    require(ctx.who, "audit")
    return audit.entries(ctx.session, username=username, action=action, target=target, page=page)


def users(ctx: Ctx) -> list[accounts.Account]:
    require(ctx.who, "users")
    return accounts.listing(ctx.session)
