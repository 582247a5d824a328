"""The compliance page's data at bank scale: adherence per rule and the monthly trend added
up by the database, and the grid per rule and team, agent or month a page of columns at a
time (``GROUP_PAGE_SIZE``). The API and the exports keep every team, agent and month
(``services.compliance``, ``exports``)."""

from __future__ import annotations

from dataclasses import dataclass

from console.permissions import BadRequest, require, scope_of
from console.services import Ctx
from storage.reads import compliance as sql


@dataclass(frozen=True)
class CompliancePage:
    by: str
    overall: list[sql.Adherence]
    grouped: list[sql.Adherence]  # the page's teams, agents or months only
    trend: dict[str, dict[str, float | None]]
    trend_months: list[str]
    columns: list[str]  # the page's teams, agents or months, "–" for none
    total_groups: int
    page: int
    pages: int


def compliance_page(ctx: Ctx, f: sql.ComplianceFilters, by: str, page: int) -> CompliancePage:
    """Adherence per rule, the trend per rule by month, and one page of the grid per rule
    and ``by``; cached per viewer, filters and page until the data changes."""
    require(ctx.who, "compliance")
    if by not in sql.DIMENSIONS or by == "rule":
        raise BadRequest(f"by={by!r}: expected team, agent or month")
    if ctx.cache is None:
        return _compliance_page(ctx, f, by, page)
    key = ("compliance_page", scope_of(ctx.who), f, by, page)
    return ctx.cache.get(ctx.session, key, lambda: _compliance_page(ctx, f, by, page))


def _compliance_page(ctx: Ctx, f: sql.ComplianceFilters, by: str, page: int) -> CompliancePage:
    scope = scope_of(ctx.who)
    # per rule and month: the trend, and added up per rule (one scan, not two)
    monthly = sql.adherence_rollup(ctx.session, scope, f, "month")
    overall = sql.roll_up(
        [
            sql.AdherenceCell(None, a.rule_id, None, None, a.passed, a.failed, a.not_applicable)
            for a in monthly
        ],
        "rule",
    )
    trend: dict[str, dict[str, float | None]] = {}
    for a in monthly:
        if a.group:
            trend.setdefault(a.rule_id, {})[a.group] = a.rate
    months = sorted({a.group for a in monthly if a.group})
    groups, total, page = sql.group_page(ctx.session, scope, f, by, page)
    grouped = sql.adherence_rollup(ctx.session, scope, f, by, groups)
    pages = max(1, -(-total // sql.GROUP_PAGE_SIZE))
    columns = [g or "–" for g in groups]
    return CompliancePage(by, overall, grouped, trend, months, columns, total, page, pages)
