"""Appraisal periods (§7.2): a month 'YYYY-MM' and a quarter 'YYYYQN', parsed with clear errors."""

from __future__ import annotations

import re

from core.errors import ConfigError

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")


class PeriodError(ConfigError):
    """A month or quarter is not written the way the store keeps it."""


def parse_month(text: str) -> str:
    """'2026-03' -> '2026-03'; anything else raises PeriodError naming the input."""
    match = _MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-03")
    return f"{match.group(1)}-{match.group(2)}"


def parse_quarter(text: str) -> str:
    """'2026Q1' (or '2026q1') -> '2026Q1'; anything else raises PeriodError."""
    match = _QUARTER.fullmatch(text.strip().upper())
    if not match:
        raise PeriodError(f"{text!r} is not a quarter: write it as YYYYQN, e.g. 2026Q1")
    return f"{match.group(1)}Q{match.group(2)}"


def quarter_months(quarter: str) -> tuple[str, str, str]:
    """The three months of a quarter, in order: '2026Q1' -> ('2026-01', '2026-02', '2026-03')."""
    quarter = parse_quarter(quarter)
    year, n = int(quarter[:4]), int(quarter[5])
    first = 3 * (n - 1) + 1
    return (f"{year}-{first:02d}", f"{year}-{first + 1:02d}", f"{year}-{first + 2:02d}")


def month_quarter(month: str) -> str:
    """The quarter a month belongs to: '2026-05' -> '2026Q2'."""
    month = parse_month(month)
    return f"{month[:4]}Q{(int(month[5:]) - 1) // 3 + 1}"


def previous_months(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    month = parse_month(month)
    index = int(month[:4]) * 12 + int(month[5:]) - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]
