"""The monthly and quarterly management report (policy §6.3: statistics of problem types,
regular reports to management; issue 12): call volume, satisfaction, problem types (call
drivers and complaint categories with severity) and rising risks (the drivers whose volume
or complaint share rose most against the period before), as CSV, XLSX or PDF. The figures
are read by ``storage.reads.report``; this module lays them out and renders them.

CSV and XLSX go through ``console.spreadsheet`` (formula-safe); the PDF is drawn with fpdf2
in a CJK font found on the machine (Noto Sans CJK from Debian's ``fonts-noto-cjk``, or the
file named by ``CALLQA_CJK_FONT``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.permissions import BadRequest
from rules.drivers import Taxonomy
from storage.database import Session
from storage.reads.report import ReportFigures, report_figures

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
HEADER = (
    "section",
    "item",
    "label",
    "calls",
    "share",
    "complaints",
    "complaint share",
    "satisfied",
    "mean score",
    "change",
)


@dataclass(frozen=True)
class Period:
    label: str
    months: tuple[str, ...]
    previous: tuple[str, ...]


def parse_period(text: str) -> Period:
    """``2026-11`` (a month) or ``2026-Q4`` / ``2026Q4`` (a quarter), with the period before."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            before = (year, month - 1) if month > 1 else (year - 1, 12)
            return Period(text, (text,), (f"{before[0]:04d}-{before[1]:02d}",))
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        before = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        return Period(f"{year}-Q{quarter}", _quarter(year, quarter), _quarter(*before))
    raise BadRequest(f"{text!r} is not a period: YYYY-MM (a month) or YYYY-QN (a quarter)")


def _quarter(year: int, quarter: int) -> tuple[str, ...]:
    return tuple(f"{year:04d}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1))


def report_rows(session: Session, taxonomy: Taxonomy, period: Period) -> list[list[Any]]:
    """The report as rows of ``HEADER``: a summary, drivers, complaint categories, risks."""
    figures = report_figures(session, period.months, period.previous)
    labels = {d.id: d for d in taxonomy.drivers}
    return [
        *_summary_rows(figures, period),
        *_driver_rows(figures, labels),
        *_complaint_rows(figures, taxonomy),
        *_rising_rows(figures, labels, period),
    ]


def _label(labels: dict[str, Any], driver: str) -> str:
    d = labels.get(driver)
    return f"{d.zh} / {d.en}" if d else driver


def _summary_rows(figures: ReportFigures, period: Period) -> list[list[Any]]:
    summary = figures.summary
    calls, answered = summary.calls, summary.surveys
    satisfied = round(summary.satisfied / answered, 4) if answered else None
    return [
        ["summary", "period", period.label, calls, None, None, None, None, None, None],
        [
            "summary",
            "satisfaction",
            f"{answered} surveys",
            *(None, None, None, None),
            satisfied,
            _round(summary.mean_score, 2),
            None,
        ],
    ]


def _driver_rows(figures: ReportFigures, labels: dict[str, Any]) -> list[list[Any]]:
    calls = figures.summary.calls
    return [
        [
            "driver",
            s.driver,
            _label(labels, s.driver),
            s.calls,
            round(s.calls / calls, 4) if calls else None,
            s.complaints,
            _round(s.complaint_share),
            _round(s.satisfaction),
            _round(s.mean_score, 2),
            None,
        ]
        for s in sorted(figures.drivers.values(), key=lambda s: (-s.calls, s.driver))
        if s.calls
    ]


def _complaint_rows(figures: ReportFigures, taxonomy: Taxonomy) -> list[list[Any]]:
    categories = {c.id: c for c in taxonomy.complaints.categories}
    rows = []
    for category, severities in sorted(figures.complaints.items()):
        c = categories.get(category)
        total = sum(severities.values())
        label = f"{c.zh} / {c.en}" if c else category
        detail = ", ".join(f"{k} {severities.get(k, 0)}" for k in ("high", "medium", "low"))
        rows.append(["complaint", category, f"{label} ({detail})", None, None, total] + [None] * 4)
    return rows


def _rising_rows(figures: ReportFigures, labels: dict[str, Any], period: Period) -> list[list[Any]]:
    return [
        [
            "rising risk",
            driver,
            _label(labels, driver),
            after,
            *(None, None),
            share,
            *(None, None),
            f"calls {before} -> {after} ({growth:+.0%}); complaint share {share:+.0%}",
        ]
        for driver, before, after, growth, share in rising(
            figures.volume, figures.complaints_by_month, list(period.previous), list(period.months)
        )
    ]


def rising(
    volume: dict[str, dict[str, int]],
    complaints: dict[str, dict[str, int]],
    earlier: list[str],
    later: list[str],
    top: int = 5,
) -> list[tuple[str, int, int, float, float]]:
    """Drivers whose volume or complaint share rose most from ``earlier`` to ``later``
    periods: (driver, calls before, calls after, volume change, complaint-share change),
    the largest rises first. ``complaints``: driver -> period -> complaint calls."""
    out = []
    for driver, per in volume.items():
        before = sum(per.get(p, 0) for p in earlier)
        after = sum(per.get(p, 0) for p in later)
        c_before = sum(complaints.get(driver, {}).get(p, 0) for p in earlier)
        c_after = sum(complaints.get(driver, {}).get(p, 0) for p in later)
        growth = (after - before) / before if before else (1.0 if after else 0.0)
        share = (c_after / after if after else 0.0) - (c_before / before if before else 0.0)
        if growth > 0 or share > 0:
            out.append((driver, before, after, round(growth, 4), round(share, 4)))
    out.sort(key=lambda r: (-(max(r[3], 0) + 2 * max(r[4], 0)), r[0]))
    return out[:top]


def _round(value: float | None, digits: int = 4) -> float | None:
    return round(value, digits) if value is not None else None


def render(rows: list[list[Any]], fmt: str, title: str) -> bytes:
    from console.spreadsheet import csv_bytes, xlsx_bytes

    if fmt == "csv":
        return csv_bytes(HEADER, rows)
    if fmt == "xlsx":
        return xlsx_bytes(
            "report",
            HEADER,
            rows,
            widths=(12, 22, 40, 8, 8, 10, 14, 10, 10, 40),
            percent_columns=(4, 6, 7),
        )
    if fmt == "pdf":
        return _pdf(rows, title)
    raise BadRequest(f"format {fmt!r}: csv, xlsx or pdf")


def cjk_font() -> Path:
    named = os.environ.get("CALLQA_CJK_FONT")
    for candidate in ([named] if named else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise BadRequest(
        "no Chinese font for the PDF: install Debian's fonts-noto-cjk, or name a .ttf/.ttc "
        "file in CALLQA_CJK_FONT"
    )


def _pdf(rows: list[list[Any]], title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L")
    pdf.set_auto_page_break(True, margin=12)
    font = cjk_font()
    # Noto's collections hold JP, KR, SC, TC...: number 2 is Simplified Chinese
    number = 2 if font.suffix == ".ttc" and "Noto" in font.name else 0
    pdf.add_font("cjk", fname=str(font), collection_font_number=number)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    widths = (24, 34, 92, 16, 16, 20, 22, 18, 18)
    sections = {
        "summary": "概况 Summary",
        "driver": "来电原因 Call drivers",
        "complaint": "投诉类别 Complaints",
        "rising risk": "上升风险 Rising risks",
    }
    current = None
    for row in rows:
        if row[0] != current:
            current = row[0]
            pdf.set_font("cjk", size=12)
            pdf.ln(3)
            pdf.cell(0, 8, sections.get(current, current), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("cjk", size=8)
            for width, name in zip(widths, HEADER[1:], strict=False):
                pdf.cell(width, 6, name, border=1)
            pdf.ln()
        for width, value in zip(widths, row[1:], strict=False):
            pdf.cell(width, 6, _pdf_cell(value)[:60], border=1)
        pdf.ln()
        if row[9]:
            pdf.cell(0, 5, "    " + str(row[9]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _pdf_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
