"""The compliance export: adherence per rule and team, agent or month as CSV or XLSX, every
cell formula-safe (``console.spreadsheet``); each export is audited."""

from __future__ import annotations

from typing import Any

from console.permissions import BadRequest, Unavailable, require, scope_of
from console.services import Ctx
from console.spreadsheet import csv_bytes, xlsx_bytes
from storage.reads import compliance as compliance_reads
from storage.reads.compliance import ComplianceFilters

EXPORT_HEADER = ("rule_id", "rule", "group_by", "group", "passed", "failed", "n/a", "adherence")
COLUMN_WIDTHS = (24, 44, 10, 16, 9, 9, 9, 11)


def export_rows(ctx: Ctx, f: ComplianceFilters, by: str) -> list[tuple[Any, ...]]:
    require(ctx.who, "export")
    if by not in compliance_reads.DIMENSIONS:
        raise BadRequest(f"by={by!r}: expected rule, team, agent or month")
    cells = compliance_reads.adherence_cells(ctx.session, scope_of(ctx.who), f)
    rows = compliance_reads.roll_up(cells, by)
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
    return csv_bytes(EXPORT_HEADER, rows)


def to_xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    try:
        import openpyxl  # noqa: F401 - only to say what is missing
    except ImportError as exc:  # pragma: no cover
        raise Unavailable("XLSX export needs openpyxl: pip install openpyxl") from exc
    return xlsx_bytes(
        "adherence",
        EXPORT_HEADER,
        rows,
        widths=COLUMN_WIDTHS,
        percent_columns=(EXPORT_HEADER.index("adherence"),),
    )
