"""The Drivers page (issue 12, policy §5.3/§6.3): why customers call, per month or week,
with the trend, complaints by category and severity, satisfaction and score per driver, and
a drill-down to a driver's calls. QA leads and compliance see every call, a supervisor their
team's (``storage.reads.drivers`` cuts every number to the viewer's scope). The drill-down
shows what customers said (redacted): it is audited like a transcript read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response

from console.app import context, render
from console.permissions import BadRequest, NotFound, Principal, can, require, scope_of
from console.present import trend_svg
from storage.reads import drivers as reads

router = APIRouter(include_in_schema=False)
MONTH = r"^\d{4}-\d{2}$"
FEATURE = "compliance"  # who may see the Drivers view: the roles of the compliance view


def install(app: FastAPI) -> None:
    """Adds the Drivers page to the console ``app`` (and its link to the navigation)."""
    from rules.drivers import load_taxonomy

    app.state.driver_taxonomy = load_taxonomy()
    app.state.templates.env.globals["can_see_drivers"] = can_see_drivers
    app.include_router(router)


def can_see_drivers(who: Principal | None) -> bool:
    return who is not None and can(who, FEATURE)


def _labels(request: Request) -> dict[str, Any]:
    taxonomy = request.app.state.driver_taxonomy
    return {
        "drivers": {d.id: d for d in taxonomy.drivers},
        "groups": {g.id: g for g in taxonomy.groups},
        "categories": {c.id: c for c in taxonomy.complaints.categories},
    }


@router.get("/drivers")
def drivers_page(
    request: Request,
    month_from: str | None = Query(default=None, pattern=MONTH),
    month_to: str | None = Query(default=None, pattern=MONTH),
    per: str = "month",
) -> Response:
    if per not in ("month", "week"):
        raise BadRequest(f"per={per!r}: month or week")
    with context(request) as ctx:
        require(ctx.who, FEATURE)
        scope = scope_of(ctx.who)
        months = reads.driver_months(ctx.session, scope)
        if month_to is None and months:
            month_to = months[0]
        if month_from is None and months:
            month_from = months[min(len(months), 6) - 1]  # the last six months by default
        stats = reads.driver_stats(ctx.session, scope, month_from, month_to)
        volume = (reads.volume_by_month if per == "month" else reads.volume_by_week)(
            ctx.session, scope, month_from, month_to
        )
        periods = sorted({p for per_driver in volume.values() for p in per_driver})
        labels = _labels(request)
        series = {
            labels["drivers"][d].zh if d in labels["drivers"] else d: {
                p: float(volume[d].get(p, 0)) for p in periods
            }
            for d in sorted(volume, key=lambda d: -sum(volume[d].values()))[:6]
        }
        high = max((v for s in series.values() for v in s.values()), default=1.0) or 1.0
        trend = trend_svg(series, periods, low=0.0, high=high, percent=False) if periods else ""
        rows = sorted(stats.values(), key=lambda s: (-s.calls, s.driver))
        ctx.audit("view_drivers", "drivers", detail=f"{month_from}..{month_to} per {per}")
        return render(
            request,
            "drivers.html",
            ctx.who,
            rows=rows,
            volume=volume,
            periods=periods,
            trend=trend,
            months=months,
            month_from=month_from,
            month_to=month_to,
            per=per,
            complaints=reads.complaint_breakdown(ctx.session, scope, month_from, month_to),
            **labels,
        )


@router.get("/drivers/calls")
def driver_calls_page(
    request: Request,
    driver: str | None = Query(default=None, max_length=64),
    month_from: str | None = Query(default=None, pattern=MONTH),
    month_to: str | None = Query(default=None, pattern=MONTH),
) -> Response:
    """The drill-down: a driver's calls (the viewer's), or every classified call's when no
    driver is named."""
    labels = _labels(request)
    with context(request) as ctx:
        require(ctx.who, FEATURE)
        if driver is not None and driver not in labels["drivers"]:
            raise NotFound(f"no driver {driver!r} in the taxonomy")
        calls = reads.driver_calls(ctx.session, scope_of(ctx.who), driver, month_from, month_to)
        ctx.audit(
            "view_driver_calls",
            f"driver:{driver or '*'}",
            detail="calls shown: " + ", ".join(c.call_id for c in calls),
        )
        return render(
            request,
            "driver.html",
            ctx.who,
            driver=labels["drivers"].get(driver or ""),
            calls=calls,
            month_from=month_from,
            month_to=month_to,
            **labels,
        )
