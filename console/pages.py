"""The server-rendered pages: the same services as the API, rendered with Jinja."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from console import audit, compliance_views, scorecard_views, services
from console.api import sign_in_response, sign_out_response
from console.app import context, render
from console.permissions import BadRequest, can
from console.present import sentiment_svg, trend_svg
from console.signin import SignInBusy, TooManySignIns
from storage.reads.compliance import ComplianceFilters
from storage.reads.queue import OUTCOMES, QueueFilters

router = APIRouter(include_in_schema=False)


async def form(request: Request) -> dict[str, str]:
    """A URL-encoded form body (the console's forms post nothing else)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


Form = Annotated[dict[str, str], Depends(form)]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _blank(value: str | None) -> str | None:
    return value or None


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _page(value: str | None) -> int:
    """A page number from the query string: anything but a positive whole number is page 1
    (the services clamp one past the last page to the last)."""
    try:
        return max(1, int(value or 1))
    except ValueError:  # not a number, or more digits than int() reads
        return 1


@router.get("/login")
def login_page(request: Request, next: str | None = None, failed: bool = False) -> Response:
    message = "Wrong username or password." if failed else None
    return _login_form(request, next, 401 if failed else 200, message)


def _login_form(request: Request, target: str | None, status: int, message: str | None) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "login.html",
        {"who": None, "nav": [], "next": _safe_next(target), "message": message},
        status_code=status,
    )


@router.post("/login")
def login(request: Request, data: Form) -> Response:
    target = _safe_next(data.get("next"))
    response = RedirectResponse(target, status_code=303)
    try:
        signed_in = sign_in_response(
            request, data.get("username", ""), data.get("password", ""), response
        )
    except (TooManySignIns, SignInBusy) as exc:
        message = str(exc)
        refused = _login_form(request, target, exc.status, message[:1].upper() + message[1:])
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if signed_in:
        return response
    return login_page(request, target, failed=True)


@router.post("/logout")
def logout(request: Request) -> Response:
    return sign_out_response(request, RedirectResponse("/login", status_code=303))


@router.get("/")
def home(request: Request) -> Response:
    with context(request) as ctx:
        who = ctx.who
    if can(who, "calls"):
        return RedirectResponse("/queue", status_code=303)
    return RedirectResponse("/audit" if can(who, "audit") else "/scorecards", status_code=303)


@router.get("/queue")
def queue_page(request: Request) -> Response:
    p = request.query_params
    filters = QueueFilters(
        date_from=_date(p.get("date_from")),
        date_to=_date(p.get("date_to")),
        agent=_blank(p.get("agent")),
        team=_blank(p.get("team")),
        rule=_blank(p.get("rule")),
        outcome=p.get("outcome") if p.get("outcome") in OUTCOMES else None,
        sentiment=_blank(p.get("sentiment")),
        q=_blank((p.get("q") or "").strip()[:200]),
        flagged=p.get("flagged") == "1",
        training=p.get("training") == "1",
        escalated=p.get("escalated") == "1",
        page=_page(p.get("page")),
        driver=_blank(p.get("driver")),
    )
    with context(request) as ctx:
        result = services.queue(ctx, filters)
        options = services.filter_options(ctx)
        params = filters.as_params()
        return render(
            request,
            "queue.html",
            ctx.who,
            page=result,
            f=filters,
            options=options,
            drivers=_driver_choices(request),
            page_link=lambda n: "/queue?" + urlencode({**params, "page": str(n)}),
        )


@router.get("/calls/{call_id}")
def call_page(request: Request, call_id: str, saved: str | None = None) -> Response:
    with context(request) as ctx:
        view = services.call_view(ctx, call_id)
        chart = sentiment_svg(view.sentiment_points, view.call.duration_s)
        return render(request, "call.html", ctx.who, v=view, chart=chart, saved=saved)


@router.post("/calls/{call_id}/review")
def review(request: Request, call_id: str, data: Form) -> Response:
    with context(request) as ctx:
        services.review(
            ctx,
            call_id,
            data.get("rule_id", ""),
            data.get("verdict", ""),
            data.get("comment", ""),
            data.get("decision") or None,
        )
    return RedirectResponse(f"/calls/{call_id}?saved=review", status_code=303)


@router.post("/calls/{call_id}/training")
def training(request: Request, call_id: str, data: Form) -> Response:
    with context(request) as ctx:
        services.set_training(ctx, call_id, data.get("on") == "1")
    return RedirectResponse(f"/calls/{call_id}?saved=training", status_code=303)


@router.post("/calls/{call_id}/escalate")
def escalate(request: Request, call_id: str, data: Form) -> Response:
    with context(request) as ctx:
        services.escalate(ctx, call_id, data.get("comment", ""))
    return RedirectResponse(f"/calls/{call_id}?saved=escalated", status_code=303)


def _compliance_filters(request: Request) -> ComplianceFilters:
    p = request.query_params
    months = {k: p.get(k) for k in ("month_from", "month_to")}
    for key, value in months.items():
        if value and (len(value) != 7 or value[4] != "-"):
            raise BadRequest(f"{key}={value!r}: expected a month YYYY-MM")
    return ComplianceFilters(
        month_from=_blank(months["month_from"]),
        month_to=_blank(months["month_to"]),
        team=_blank(p.get("team")),
        agent=_blank(p.get("agent")),
    )


@router.get("/compliance")
def compliance_page(request: Request, by: str = "team") -> Response:
    filters = _compliance_filters(request)
    page = _page(request.query_params.get("page"))
    with context(request) as ctx:
        view = compliance_views.compliance_page(ctx, filters, by, page)
        titles = ctx.rule_titles
        trend = trend_svg(
            {titles.get(r, r): values for r, values in sorted(view.trend.items())},
            view.trend_months,
        )
        matrix: dict[str, dict[str, Any]] = {}
        for a in view.grouped:
            matrix.setdefault(a.rule_id, {})[a.group or "–"] = a
        params = {**filters.as_params(), "by": by}
        return render(
            request,
            "compliance.html",
            ctx.who,
            v=view,
            f=filters,
            trend=trend,
            matrix=matrix,
            columns=view.columns,
            options=services.filter_options(ctx),
            params=urlencode(params),
            page_link=lambda n: "/compliance?" + urlencode({**params, "page": str(n)}),
            can_export=can(ctx.who, "export"),
        )


@router.get("/compliance/rules/{rule_id}")
def compliance_rule_page(request: Request, rule_id: str) -> Response:
    filters = _compliance_filters(request)
    with context(request) as ctx:
        calls = services.compliance_calls(ctx, filters, rule_id)
        return render(
            request, "compliance_rule.html", ctx.who, rule_id=rule_id, calls=calls, f=filters
        )


@router.get("/scorecards")
def scorecards_page(
    request: Request, period: Annotated[str | None, Query(max_length=7)] = None
) -> Response:
    with context(request) as ctx:
        if ctx.who.role == "agent" and ctx.who.agent_id:
            return RedirectResponse(f"/scorecards/agents/{ctx.who.agent_id}", status_code=303)
        team = _blank(request.query_params.get("team"))
        page = _page(request.query_params.get("page"))
        view = scorecard_views.scorecards_page(ctx, period, team, page)
        cycles = ctx.policy.failing_cycles_before_action
        params = {k: v for k, v in (("period", view.period), ("team", team)) if v}
        return render(
            request,
            "scorecards.html",
            ctx.who,
            v=view,
            cycles=cycles,
            page_link=lambda n: "/scorecards?" + urlencode({**params, "page": str(n)}),
        )


@router.get("/scorecards/agents/{agent_id}")
def agent_page(request: Request, agent_id: str) -> Response:
    with context(request) as ctx:
        view = scorecard_views.agent_scorecards(ctx, agent_id)
        months = [c.period for c in view.months]
        trend = trend_svg(
            {
                group: {c.period: getattr(c, group) for c in view.months}
                for group in ("total", "business", "service", "compliance")
            },
            months,
            low=0,
            high=100,
            percent=False,
        )
        return render(request, "agent.html", ctx.who, v=view, trend=trend)


@router.get("/audit")
def audit_page(request: Request) -> Response:
    p = request.query_params
    filters = {k: p[k] for k in ("username", "action", "target") if p.get(k)}
    with context(request) as ctx:
        result = services.audit_log(
            ctx,
            username=filters.get("username"),
            action=filters.get("action"),
            target=filters.get("target"),
            page=_page(p.get("page")),
        )
        return render(
            request,
            "audit.html",
            ctx.who,
            v=result,
            params=filters,
            actions=audit.ACTIONS,
            page_link=lambda n: "/audit?" + urlencode({**filters, "page": str(n)}),
        )


@router.get("/users")
def users_page(request: Request) -> Response:
    with context(request) as ctx:
        return render(request, "users.html", ctx.who, users=services.users(ctx))


def _driver_choices(request: Request) -> list[tuple[str, str]]:
    """The taxonomy's drivers as the queue's filter offers them: (id, Chinese label)."""
    taxonomy = request.app.state.driver_taxonomy
    return [(d.id, f"{d.zh} ({d.en})") for d in taxonomy.drivers]
