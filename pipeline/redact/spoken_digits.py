"""Digits read the way people say them: ASCII, full-width or Chinese numerals (幺, 两,
financial capitals), grouped with spaces, dashes or fillers, across a speaker's close
turns, with pauses linking the parts of a long number; a run beside a unit (元, 个, 第)
is a quantity, and only the group it touches."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.redact.numbers import always_secret

_DIGITS = {
    **{c: c for c in "0123456789"},
    **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width
    **dict(zip("〇零○一幺二两兩三四五六七八九", "000112223456789", strict=True)),
    **dict(zip("壹贰貳叁參肆伍陆陸柒捌玖", "122334566789", strict=True)),
}
SPOKEN_DIGITS = frozenset(_DIGITS)
"""Every character read as a digit (ASCII, full-width, Chinese numerals and capitals)."""
_CHECK = set("Xx叉Ｘｘ")
_SEPARATORS = set(" \t\n\u3000,，、-－—–_~～") | set("嗯呃额啊哦")
_MAX_SEPARATORS = 3
# A longer pause inside a number (……, ..., "嗯，呃，", a word of filler) joins its parts
# only when the whole then proves itself (checksum, numbering plan) or fits the number a
# keyword asked for: see _join in pipeline.redact.text.
_MAX_PAUSE = 8
_PAUSE = re.compile(
    "(?:[" + re.escape("".join(sorted(_SEPARATORS))) + r"…⋯.。．·]|那个|那個|就是|然后|然後)+"
)
# A digit run next to these is a quantity, an amount, a date, a time or an ordinal.
_UNIT_AFTER = set(
    "元块塊角毛分万萬亿億千百十拾佰仟美镑欧円%％‰個个位天月年日岁歲次笔筆张張条條倍克斤米秒点點:：/.．"
    "期周週号號楼樓层層"
)
_UNIT_BEFORE = set("第¥￥$＄十拾百佰千仟万萬亿億/.．约約共")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")
_ID_TOKEN = re.compile(r"\d+[Xx]")


@dataclass(frozen=True)
class Piece:
    """One text read for numbers: a turn (its speaker and times) or a whole text."""

    text: str
    speaker: str
    start: float
    end: float


@dataclass
class Run:
    """Digits as said, possibly across turns: ``where[i]`` is (piece, char) of digit i."""

    digits: str
    where: list[tuple[int, int]]
    groups: set[int]  # digit indices preceded by a separator
    pos: int  # global position of the first digit (for keyword distances)
    quantity: bool = False
    detached: bool = False
    """Said just before a quantity (13790526148，两个工作日): split off it, so only its own
    checks, or a keyword's when said in one piece, make it a secret."""
    next: Run | None = None
    """The speaker's next run when only a pause (_PAUSE) lies between."""


def digit_runs(pieces: Sequence[Piece], offsets: Sequence[int], join_gap_s: float) -> list[Run]:
    """Digit runs per speaker; a speaker's turns join when close and nothing numeric is said
    in between by the other party."""
    masks = [_digit_mask(p.text) for p in pieces]
    has_digits = [any(d is not None and d != "X" for d in m) for m in masks]
    runs: list[Run] = []
    for speaker in dict.fromkeys(p.speaker for p in pieces):
        # the speaker's stream: (piece, char index) or None for a turn boundary; -1 = joined
        stream: list[tuple[int, int] | None] = []
        previous: int | None = None
        for i, piece in enumerate(pieces):
            if piece.speaker != speaker:
                continue
            if previous is not None:
                between = range(previous + 1, i)
                joined = piece.start - pieces[previous].end <= join_gap_s and not any(
                    has_digits[j] for j in between
                )
                stream.append((-1, -1) if joined else None)
            stream.extend((i, c) for c in range(len(piece.text)))
            previous = i
        runs.extend(_scan(stream, pieces, masks, offsets))
    return runs


def _digit_mask(text: str) -> list[str | None]:
    """Per character: its digit ("0"-"9", "X" for an ID check character) or None."""
    out: list[str | None] = [_DIGITS.get(c) for c in text]
    for m in _ASCII_TOKEN.finditer(text):
        token = m.group(0)
        if token.isdigit():
            continue
        if _ID_TOKEN.fullmatch(token):
            out[m.end() - 1] = "X"
        else:  # CVV2, 5G, A380: digits inside a Latin word are not a number said
            for i in range(m.start(), m.end()):
                out[i] = None
    for i, c in enumerate(text):
        if c in _CHECK and out[i] is None and not (c in "Xx" and _latin_neighbour(text, i)):
            out[i] = "X"
    return out


def _latin_neighbour(text: str, i: int) -> bool:
    return any(
        0 <= j < len(text) and text[j].isascii() and text[j].isalpha() for j in (i - 1, i + 1)
    )


def _scan(
    stream: Sequence[tuple[int, int] | None],
    pieces: Sequence[Piece],
    masks: Sequence[Sequence[str | None]],
    offsets: Sequence[int],
) -> list[Run]:
    def digit(k: int) -> str | None:
        item = stream[k]
        if item is None or item[0] < 0:
            return None
        return masks[item[0]][item[1]]

    def is_separator(k: int) -> bool:
        item = stream[k]
        if item is None:
            return False
        return item[0] < 0 or pieces[item[0]].text[item[1]] in _SEPARATORS

    def char(k: int) -> str:
        item = stream[k] if 0 <= k < len(stream) else None
        if item is None or item[0] < 0:
            return ""
        return pieces[item[0]].text[item[1]]

    def pause_to(k: int) -> int | None:
        """Where the next run starts if only a pause lies between (from ``k``)."""
        gap = ""
        while k < n and len(gap) <= _MAX_PAUSE:
            d = digit(k)
            if d is not None:
                return k if d != "X" and gap and _PAUSE.fullmatch(gap) else None
            if stream[k] is None:
                return None
            gap += char(k) or " "
            k += 1
        return None

    runs: list[Run] = []
    k, n = 0, len(stream)
    linked = -1  # stream position where a run joined by a pause to the previous one starts
    while k < n:
        d = digit(k)
        if d is None or d == "X":
            k += 1
            continue
        # an ID's check character may end a part of a number said with pauses
        after_pause = k == linked and bool(runs)
        digits: list[str] = []
        where: list[tuple[int, int]] = []
        groups: set[int] = set()
        separators = ""
        first = k
        last = k
        while k < n:
            d = digit(k)
            item = stream[k]
            if d is not None and item is not None:
                if d == "X" and len(digits) < 17 and not after_pause:
                    break
                if separators:
                    groups.add(len(digits))
                digits.append(d)
                where.append(item)
                separators = ""
                last = k
                k += 1
                if d == "X":
                    break
            elif is_separator(k) and len(separators) < _MAX_SEPARATORS:
                separators += char(k) or " "
                k += 1
            else:
                break
        k = last + 1
        before = _neighbour(stream, pieces, first, -1) in _UNIT_BEFORE
        after = _neighbour(stream, pieces, last, +1) in _UNIT_AFTER
        thousands = _thousands(stream, pieces, first, last, groups, len(digits))
        parts = _split_quantity(digits, where, groups, offsets, before, after, thousands)
        if after_pause:
            runs[-1].next = parts[0]
        for a, b in itertools.pairwise(parts):
            a.next = b
        runs.extend(parts)
        linked = next_at if (next_at := pause_to(k)) is not None else -1
    return runs


def _split_quantity(
    digits: Sequence[str],
    where: Sequence[tuple[int, int]],
    groups: set[int],
    offsets: Sequence[int],
    before: bool,
    after: bool,
    thousands: bool,
) -> list[Run]:
    """The run, or its parts: a unit after a run makes a quantity of its last group only,
    a unit (第, ¥) before it of its first, unless the groups read as thousands (1 500元,
    13,800元): "打13790526148，两个工作日内" is a phone number and a quantity."""

    def run(lo: int, hi: int, quantity: bool, detached: bool = False) -> Run:
        return Run(
            digits="".join(digits[lo:hi]),
            where=list(where[lo:hi]),
            groups={g - lo for g in groups if lo < g < hi},
            pos=offsets[where[lo][0]] + where[lo][1],
            quantity=quantity,
            detached=detached,
        )

    n = len(digits)
    text = "".join(digits)
    quantity = before or after or thousands
    if not quantity or always_secret(text):
        return [run(0, n, False)]
    bounds = [0, *sorted(groups), n]
    sizes = [b - a for a, b in itertools.pairwise(bounds)]
    if thousands or len(sizes) < 2 or (sizes[0] <= 3 and all(s == 3 for s in sizes[1:])):
        return [run(0, n, True)]
    lo = bounds[1] if before else 0
    hi = bounds[-2] if after else n
    if lo >= hi:
        return [run(0, n, True)]
    parts = [run(lo, hi, False, detached=True)]
    if lo:
        parts.insert(0, run(0, lo, True))
    if hi < n:
        parts.append(run(hi, n, True))
    return parts


def _neighbour(
    stream: Sequence[tuple[int, int] | None], pieces: Sequence[Piece], k: int, step: int
) -> str:
    """The nearest two characters beside stream position ``k`` (outwards), spaces skipped.
    A point counts only as a decimal point (a digit beyond it), not as a full stop."""
    found = ""
    k += step
    while 0 <= k < len(stream) and len(found) < 2:
        item = stream[k]
        if item is None or item[0] < 0:
            break
        c = pieces[item[0]].text[item[1]]
        if c not in " \t\u3000":
            found += c
        k += step
    if found[:1] in (".", "．") and (len(found) < 2 or _DIGITS.get(found[1]) is None):
        return ""
    return found[:1]


def _thousands(
    stream: Sequence[tuple[int, int] | None],
    pieces: Sequence[Piece],
    first: int,
    last: int,
    groups: set[int],
    count: int,
) -> bool:
    """12,345,678: digits in thousands, joined by commas only."""
    if not groups:
        return False
    bounds = [0, *sorted(groups), count]
    sizes = [b - a for a, b in itertools.pairwise(bounds)]
    if not (1 <= sizes[0] <= 3 and all(s == 3 for s in sizes[1:])):
        return False
    between = "".join(
        pieces[item[0]].text[item[1]]
        for item in stream[first : last + 1]
        if item is not None and item[0] >= 0
    )
    separators = {c for c in between if _DIGITS.get(c) is None}
    return bool(separators) and separators <= {",", "，"}
