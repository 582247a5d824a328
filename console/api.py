"""The JSON API under /api: the same services and permission checks as the pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from console import exports, scorecard_views, services
from console.app import client_of, context
from console.audio import AudioNotFound, audio_response
from console.auth import COOKIE
from console.permissions import NotFound, NotSignedIn, nav_for
from console.signin import SignIns
from storage.reads.compliance import ComplianceFilters
from storage.reads.queue import QueueFilters

router = APIRouter(prefix="/api", tags=["api"])


class SignIn(BaseModel):
    username: str = Field(max_length=256)
    password: str = Field(max_length=1024)


class ReviewIn(BaseModel):
    rule_id: str = Field(max_length=128)
    verdict: Literal["confirmed", "overturned", "decided"]
    comment: str = Field(default="", max_length=services.MAX_COMMENT)
    decision: Literal["passed", "failed", "not_applicable"] | None = Field(
        default=None, description="with verdict 'decided': the outcome settled on"
    )


class TrainingIn(BaseModel):
    on: bool = True


class EscalateIn(BaseModel):
    comment: str = Field(min_length=1, max_length=services.MAX_COMMENT)


def sign_in_response(request: Request, username: str, password: str, response: Response) -> bool:
    """Checks the password and, if right, sets the session cookie on ``response``; raises
    ``TooManySignIns`` (429, Retry-After) while the account or the address is locked."""
    state = request.app.state
    sign_ins: SignIns = state.sign_ins
    token = sign_ins.sign_in(username, password, client_of(request))
    if token is None:
        return False
    response.set_cookie(
        COOKIE,
        token,
        max_age=sign_ins.rules.sessions.lifetime_seconds,
        httponly=True,
        samesite="strict",
        secure=state.secure_cookies,
        path="/",
    )
    return True


def sign_out_response(request: Request, response: Response) -> Response:
    """Ends the session server-side (a kept copy of the cookie stops working) and clears
    the cookie."""
    sign_ins: SignIns = request.app.state.sign_ins
    sign_ins.sign_out(request.cookies.get(COOKIE), client_of(request))
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/session")
def create_session(request: Request, body: SignIn) -> Response:
    """Sign in: sets the session cookie. 429 with Retry-After while locked out."""
    response = JSONResponse({"username": body.username})
    if not sign_in_response(request, body.username, body.password, response):
        raise NotSignedIn("wrong username or password")
    return response


@router.delete("/session")
def delete_session(request: Request) -> Response:
    """Sign out: ends the session, so the cookie no longer signs anyone in."""
    return sign_out_response(request, JSONResponse({"signed_out": True}))


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    with context(request) as ctx:
        who = ctx.who
        return {
            "username": who.username,
            "role": who.role,
            "team_id": who.team_id,
            "agent_id": who.agent_id,
            "pages": [path for _, path in nav_for(who)],
        }


@router.get("/calls")
def list_calls(
    request: Request,
    date_from: date | None = None,
    date_to: date | None = None,
    agent: str | None = None,
    team: str | None = None,
    rule: str | None = None,
    outcome: Literal["passed", "failed", "not_applicable", "needs_review"] | None = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    flagged: bool = False,
    training: bool = False,
    escalated: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    driver: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """The review queue: critical failures first, then flagged calls, then lowest score;
    a page past the last answers the last. A search (``q``) is audited. ``driver``: calls
    with that driver (rules/drivers.yaml id) among their reasons."""
    filters = QueueFilters(
        date_from,
        date_to,
        agent,
        team,
        rule,
        outcome,
        sentiment,
        q,
        flagged,
        training,
        escalated,
        page,
        driver,
    )
    with context(request) as ctx:
        result = services.queue(ctx, filters)
    return {
        "total": result.total,
        "total_capped": result.total_capped,
        "page": result.page,
        "pages": result.pages,
        "to_review": result.to_review,
        "calls": [
            {
                **row.__dict__,
                "started_at": row.started_at.isoformat() if row.started_at else None,
            }
            for row in result.rows
        ],
    }


@router.get("/calls/{call_id}")
def get_call(request: Request, call_id: str) -> dict[str, Any]:
    """One call with its redacted transcript, outcomes, evidence and score (audited)."""
    with context(request) as ctx:
        view = services.call_view(ctx, call_id, action="view_transcript")
        return services.call_json(view, ctx.rule_titles)


@router.get("/calls/{call_id}/audio")
def get_audio(request: Request, call_id: str) -> Response:
    """The redacted recording; Range requests get 206 partial content (audited)."""
    range_header = request.headers.get("range")
    with context(request) as ctx:
        key = services.audio_key(ctx, call_id, range_header)
    try:
        return audio_response(request.app.state.audio, key, range_header)
    except AudioNotFound as exc:
        raise NotFound("the redacted recording is missing from the results store") from exc


@router.post("/calls/{call_id}/reviews")
def post_review(request: Request, call_id: str, body: ReviewIn) -> dict[str, Any]:
    """Confirm, overturn or decide one rule outcome; the call's score is recomputed."""
    with context(request) as ctx:
        score = services.review(
            ctx, call_id, body.rule_id, body.verdict, body.comment, body.decision
        )
    return {"call_id": call_id, "rule_id": body.rule_id, "verdict": body.verdict, "score": score}


@router.post("/calls/{call_id}/training")
def post_training(request: Request, call_id: str, body: TrainingIn) -> dict[str, Any]:
    with context(request) as ctx:
        services.set_training(ctx, call_id, body.on)
    return {"call_id": call_id, "training_case": body.on}


@router.post("/calls/{call_id}/escalate")
def post_escalate(request: Request, call_id: str, body: EscalateIn) -> dict[str, Any]:
    with context(request) as ctx:
        services.escalate(ctx, call_id, body.comment)
    return {"call_id": call_id, "escalated": True}


def _compliance_filters(
    month_from: str | None,
    month_to: str | None,
    team: str | None,
    agent: str | None,
    rule: str | None = None,
) -> ComplianceFilters:
    return ComplianceFilters(month_from, month_to, team, agent, rule)


Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]


@router.get("/compliance")
def get_compliance(
    request: Request,
    by: Literal["team", "agent", "month"] = "team",
    month_from: Month = None,
    month_to: Month = None,
    team: str | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    """Adherence per rule, and per rule and team/agent/month; the monthly trend per rule."""
    with context(request) as ctx:
        view = services.compliance(ctx, _compliance_filters(month_from, month_to, team, agent), by)
        titles = ctx.rule_titles

    def row(a: Any) -> dict[str, Any]:
        return {
            "rule_id": a.rule_id,
            "title": titles.get(a.rule_id, a.rule_id),
            "group": a.group,
            "passed": a.passed,
            "failed": a.failed,
            "not_applicable": a.not_applicable,
            "adherence": a.rate,
        }

    return {
        "by": by,
        "overall": [row(a) for a in view.overall],
        "grouped": [row(a) for a in view.grouped],
        "trend": {"months": view.trend_months, "rules": view.trend},
    }


@router.get("/compliance/rules/{rule_id}/calls")
def get_compliance_calls(
    request: Request,
    rule_id: str,
    month_from: Month = None,
    month_to: Month = None,
    team: str | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    """The drill-down: calls where the rule failed (after review), with the evidence
    (audited: who saw which calls' evidence)."""
    with context(request) as ctx:
        calls = services.compliance_calls(
            ctx, _compliance_filters(month_from, month_to, team, agent), rule_id
        )
    return {
        "rule_id": rule_id,
        "calls": [
            {**c.__dict__, "started_at": c.started_at.isoformat() if c.started_at else None}
            for c in calls
        ],
    }


@router.get("/compliance/export.{fmt}")
def export_compliance(
    request: Request,
    fmt: Literal["csv", "xlsx"],
    by: Literal["rule", "team", "agent", "month"] = "team",
    month_from: Month = None,
    month_to: Month = None,
    team: str | None = None,
    agent: str | None = None,
) -> Response:
    """Adherence as CSV (UTF-8 with BOM) or XLSX; no cell is a formula (text that could
    start one begins with ')."""
    with context(request) as ctx:
        rows = exports.export_rows(ctx, _compliance_filters(month_from, month_to, team, agent), by)
    name = f"adherence-by-{by}.{fmt}"
    if fmt == "csv":
        body, media = exports.to_csv(rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(rows)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/scorecards")
def get_scorecards(
    request: Request, period: Annotated[str | None, Query(max_length=7)] = None
) -> dict[str, Any]:
    """A month's (or quarter's) scorecards, team ranking, streaks and the coaching list."""
    with context(request) as ctx:
        view = scorecard_views.scorecards(ctx, period)
        return {
            "period": view.period,
            "periods": view.periods,
            "quarters": view.quarters,
            "scorecards": [scorecard_views.scorecard_json(c, ctx) for c, _ in view.cards],
            "team_ranking": [r.__dict__ for r in view.ranking],
            "below_standard": [c.agent_id for c, _ in view.below_standard],
            "streaks": [
                {"agent_id": s.agent_id, "months": list(s.months), "totals": list(s.totals)}
                for s in view.streaks
            ],
            "coaching": [
                {
                    "agent_id": c.agent_id,
                    "total": c.total,
                    "groups": list(c.groups),
                    "failed_rules": view.coaching_rules.get(c.agent_id, []),
                }
                for c in view.coaching
            ],
        }


@router.get("/agents/{agent_id}/scorecards")
def get_agent_scorecards(request: Request, agent_id: str) -> dict[str, Any]:
    with context(request) as ctx:
        view = scorecard_views.agent_scorecards(ctx, agent_id)
        return {
            "agent_id": view.agent.id,
            "name": view.agent.name,
            "team_id": view.agent.team_id,
            "months": [scorecard_views.scorecard_json(c, ctx) for c in view.months],
            "quarters": [scorecard_views.scorecard_json(c, ctx) for c in view.quarters],
        }


@router.get("/audit")
def get_audit(
    request: Request,
    username: str | None = None,
    action: str | None = None,
    target: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> dict[str, Any]:
    with context(request) as ctx:
        result = services.audit_log(ctx, username=username, action=action, target=target, page=page)
        return {
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "entries": [
                {
                    "at": e.at.isoformat(),
                    "username": e.username,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                    "client": e.client,
                }
                for e in result.rows
            ],
        }
