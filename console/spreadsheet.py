"""Formula-safe CSV and XLSX for every export (console, ``callqa report``).

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or a carriage return) as a formula. Agent and team ids come from recording
metadata, so an id such as ``=HYPERLINK("http://x","y")`` would become a live link in a
supervisor's copy of Excel (OWASP "CSV injection"). ``safe_cell`` prefixes such text with a
``'`` (shown as text, never run); numbers stay numbers. Every export writes its cells
through this module.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

# What makes a spreadsheet treat a cell as a formula (OWASP CSV injection), and the blanks a
# program may skip before looking (" =1+1" runs in some of them).
FORMULA_STARTS = frozenset("=+-@\t\r\n")
_LEADING_BLANKS = " \u3000\u00a0"
# A number written as text ("-12.5", "+3", "1e-3") is what it says: left as it is.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Control characters XLSX (XML 1.0) cannot hold: openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell no spreadsheet runs: text that could start a formula gets a
    leading ``'``; numbers, booleans, dates and None pass unchanged."""
    if not isinstance(value, str):
        return value
    first = value.lstrip(_LEADING_BLANKS)[:1]
    if first in FORMULA_STARTS and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """The rows as CSV text (None as an empty cell), every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(["" if v is None else v for v in safe_row(row)])
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with a BOM, so that Excel reads Chinese names right."""
    return ("\ufeff" + csv_text(header, rows)).encode("utf-8")


def xlsx_bytes(
    title: str,
    header: Sequence[str],
    rows: Iterable[Iterable[Any]],
    *,
    widths: Sequence[float] = (),
    percent_columns: Sequence[int] = (),
) -> bytes:
    """One sheet: a bold header, then the rows; every text cell is stored as text (never
    a formula). ``percent_columns`` (0-based) are shown as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    if sheet is None:  # pragma: no cover - a new workbook always has one sheet
        raise RuntimeError("openpyxl made a workbook without a sheet")
    sheet.title = title
    sheet.append(safe_row(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(safe_row(row), start=1):
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, str):
                # set as a string explicitly: openpyxl would read any leading "=" as a formula
                cell.value = _XML_ILLEGAL.sub("", value)
                cell.data_type = "s"
            else:
                cell.value = value
            if column - 1 in percent_columns:
                cell.number_format = "0.0%"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
