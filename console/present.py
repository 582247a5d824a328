"""What the pages draw: evidence marked inside transcript lines, and small inline SVG charts
(no chart library, nothing fetched from elsewhere)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Segment:
    text: str
    rules: tuple[str, ...] = ()  # the rules whose evidence this piece of text is
    outcome: str | None = None  # the worst of their outcomes: failed > passed


def segments(text: str, marks: Iterable[tuple[str, str, str]]) -> list[Segment]:
    """Splits a turn's text into pieces, marking where each (rule, outcome, evidence text)
    occurs. Evidence that is not found verbatim (a paraphrase, a whole-call reason) marks
    nothing here; it is still listed under its rule."""
    spans: list[tuple[int, int, str, str]] = []
    for rule_id, rule_outcome, needle in marks:
        if not needle:
            continue
        at = text.find(needle)
        if at >= 0:
            spans.append((at, at + len(needle), rule_id, rule_outcome))
    if not spans:
        return [Segment(text)]
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out: list[Segment] = []
    for a, b in pairwise(cuts):
        covering = [(r, o) for s, e, r, o in spans if s <= a and b <= e]
        rules = tuple(dict.fromkeys(r for r, _ in covering))
        outcome: str | None = None
        if covering:
            outcome = "failed" if any(o == "failed" for _, o in covering) else covering[0][1]
        out.append(Segment(text[a:b], rules, outcome))
    return out


def evidence_marks(rules: Sequence[Any]) -> dict[int, list[tuple[str, str, str]]]:
    """Per turn index, the (rule id, effective outcome, text) of every piece of evidence."""
    out: dict[int, list[tuple[str, str, str]]] = {}
    for rule in rules:
        for item in rule.evidence or []:
            if isinstance(item, Mapping) and isinstance(item.get("turn"), int):
                out.setdefault(item["turn"], []).append(
                    (rule.rule_id, rule.effective_outcome, str(item.get("text") or ""))
                )
    return out


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def sentiment_svg(
    points: Sequence[tuple[float, float, int]], duration: float, width: int = 640, height: int = 160
) -> Markup:
    """The customer's sentiment (-1..+1) over the call: one dot per customer turn
    (time, score, turn index), joined by a line; dots link to the turn."""
    pad_l, pad_r, pad_t, pad_b = 34, 10, 10, 22
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    span = max(duration, max((t for t, _, _ in points), default=0.0), 1.0)

    def x(t: float) -> float:
        return pad_l + w * t / span

    def y(v: float) -> float:
        return pad_t + h * (1 - (max(-1.0, min(1.0, v)) + 1) / 2)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="customer sentiment over the call">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{_fmt(h / 2 * 0.8)}" '
        'class="band-pos"/>',
        f'<rect x="{pad_l}" y="{_fmt(y(-0.2))}" width="{w}" height="{_fmt(h / 2 * 0.8)}" '
        'class="band-neg"/>',
    ]
    for level, label in ((1.0, "+1"), (0.0, "0"), (-1.0, "−1")):
        parts.append(
            f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{_fmt(y(level))}" y2="{_fmt(y(level))}" '
            'class="grid"/>'
            f'<text x="{pad_l - 6}" y="{_fmt(y(level) + 4)}" class="axis" text-anchor="end">'
            f"{label}</text>"
        )
    for tick in range(0, int(span) + 1, max(30, int(span / 6) // 30 * 30 or 30)):
        parts.append(
            f'<text x="{_fmt(x(tick))}" y="{height - 6}" class="axis" text-anchor="middle">'
            f"{tick // 60}:{tick % 60:02d}</text>"
        )
    if points:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{_fmt(x(t))},{_fmt(y(v))}"
            for i, (t, v, _) in enumerate(points)
        )
        parts.append(f'<path d="{path}" class="line"/>')
        for at, v, turn_index in points:
            tone = "neg" if v < -0.2 else "pos" if v > 0.2 else "neu"
            parts.append(
                f'<circle cx="{_fmt(x(at))}" cy="{_fmt(y(v))}" r="4" class="dot {tone}" '
                f'data-turn="{turn_index}" data-start="{at}">'
                f"<title>{at:.0f} s: {v:+.2f}</title></circle>"
            )
    else:
        parts.append(
            f'<text x="{pad_l + w / 2}" y="{pad_t + h / 2}" class="axis" text-anchor="middle">'
            "no scored customer turns</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


PALETTE = (
    "#2563eb",
    "#dc2626",
    "#16a34a",
    "#9333ea",
    "#ea580c",
    "#0891b2",
    "#4d7c0f",
    "#be185d",
    "#854d0e",
    "#475569",
    "#0f766e",
    "#7c3aed",
)


def trend_svg(
    series: Mapping[str, Mapping[str, float | None]],
    periods: Sequence[str],
    *,
    low: float = 0.0,
    high: float = 1.0,
    percent: bool = True,
    width: int = 720,
    height: int = 220,
) -> Markup:
    """One line per series over the periods (oldest first), with a legend."""
    plot = _Plot(len(periods), low, high, percent, width, height)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="trend">']
    parts += plot.axes(periods)
    for k, (name, values) in enumerate(series.items()):
        known = [(i, v) for i, p in enumerate(periods) if (v := values.get(p)) is not None]
        if known:
            parts += plot.line(name, known, periods, PALETTE[k % len(PALETTE)])
    parts.append("</svg>")
    legend = "".join(
        f'<span class="legend-item"><i style="background:{PALETTE[k % len(PALETTE)]}"></i>'
        f"{escape(name)}</span>"
        for k, name in enumerate(series)
    )
    return Markup("".join(parts) + f'<div class="legend">{legend}</div>')


@dataclass(frozen=True)
class _Plot:
    """A trend chart's geometry: periods along x, values from ``low`` to ``high`` up y."""

    count: int
    low: float
    high: float
    percent: bool
    width: int
    height: int
    pad_l: int = 40
    pad_r: int = 30
    pad_t: int = 10
    pad_b: int = 24

    def x(self, i: int) -> float:
        w = self.width - self.pad_l - self.pad_r
        return self.pad_l + w * (i / max(self.count - 1, 1) if self.count > 1 else 0.5)

    def y(self, v: float) -> float:
        h = self.height - self.pad_t - self.pad_b
        return self.pad_t + h * (1 - (v - self.low) / ((self.high - self.low) or 1))

    def axes(self, periods: Sequence[str]) -> list[str]:
        """Five horizontal grid lines with their values, and the periods along the bottom."""
        parts = []
        right = self.width - self.pad_r
        for k in range(5):
            v = self.low + (self.high - self.low) * k / 4
            label = f"{v * 100:.0f}%" if self.percent else f"{v:.0f}"
            parts.append(
                f'<line x1="{self.pad_l}" x2="{right}" y1="{_fmt(self.y(v))}" '
                f'y2="{_fmt(self.y(v))}" class="grid"/><text x="{self.pad_l - 6}" '
                f'y="{_fmt(self.y(v) + 4)}" class="axis" text-anchor="end">{label}</text>'
            )
        for i, period in enumerate(periods):
            parts.append(
                f'<text x="{_fmt(self.x(i))}" y="{self.height - 6}" class="axis" '
                f'text-anchor="middle">{escape(period)}</text>'
            )
        return parts

    def line(
        self, name: str, known: list[tuple[int, float]], periods: Sequence[str], colour: str
    ) -> list[str]:
        """One series: its path through the known values, a dot with a tooltip at each."""
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{_fmt(self.x(i))},{_fmt(self.y(v))}"
            for j, (i, v) in enumerate(known)
        )
        parts = [
            f'<g class="series"><title>{escape(name)}</title>'
            f'<path d="{path}" stroke="{colour}" class="tline"/>'
        ]
        for i, v in known:
            shown = f"{v * 100:.1f}%" if self.percent else f"{v:.1f}"
            parts.append(
                f'<circle cx="{_fmt(self.x(i))}" cy="{_fmt(self.y(v))}" r="3" fill="{colour}">'
                f"<title>{escape(name)} {escape(periods[i])}: {shown}</title></circle>"
            )
        parts.append("</g>")
        return parts


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"
