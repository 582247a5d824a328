"""Secrets found across the texts of a conversation (keywords reaching across turns, a
number read back found again) and replaced by placeholders or masks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import cast

from pipeline.redact.keywords import find_keywords, keyword_before
from pipeline.redact.numbers import CONTEXT_LENGTHS, classify, fits_context, proven_kind
from pipeline.redact.options import PLACEHOLDERS, Kind, RedactOptions, TextSpan
from pipeline.redact.spoken_digits import Piece, Run, digit_runs


def redact_text(
    text: str,
    options: RedactOptions = RedactOptions(),  # noqa: B008 (frozen: safe to share)
) -> tuple[str, list[TextSpan]]:
    """``text`` with its secrets replaced, and where they were (in ``text``'s characters)."""
    spans = find_spans([Piece(text, "customer", 0.0, 0.0)], options)[0]
    return apply_spans(text, spans), spans


def find_spans(pieces: Sequence[Piece], options: RedactOptions) -> list[list[TextSpan]]:
    """Per piece (a turn, or a whole text), the stretches to replace, in order."""
    offsets, doc = [], []
    at = 0
    for piece in pieces:
        offsets.append(at)
        doc.append(piece.text)
        at += len(piece.text) + 1
    document = "\n".join(doc)
    keywords = find_keywords(document)
    keyword_ends = [k[0] for k in keywords]

    said = digit_runs(pieces, offsets, options.join_gap_s)

    def context(run: Run) -> str | None:
        return keyword_before(run.pos, keywords, keyword_ends, set(), options.context_chars)[0]

    runs = sorted(_join(said, context), key=lambda r: r.pos)
    matches: list[tuple[Run, int, int, str]] = []  # run, digit from, digit to, label
    used: set[int] = set()  # keywords that already bound a number
    for run in runs:
        if run.quantity:
            continue
        label, k = keyword_before(run.pos, keywords, keyword_ends, used, options.context_chars)
        if run.detached and run.groups:
            label, k = None, None
        found = classify(run.digits, run.groups, label)
        if label is not None and any(lab == label for _s, _e, lab in found) and k is not None:
            used.add(k)
        matches.extend((run, s, e, lab) for s, e, lab in found)
    matches.extend(_repeats(said, {run.digits[s:e]: lab for run, s, e, lab in matches}))

    per_piece: list[list[TextSpan]] = [[] for _ in pieces]
    for run, s, e, label in matches:
        kind = cast(Kind, "security_code" if label == "pin" else label)
        if kind not in options.kinds or (label == "pin" and not options.pins):
            continue
        for index, lo, hi in _char_spans(run.where[s:e]):
            if lo and label == "phone" and pieces[index].text[lo - 1] in "+＋":
                lo -= 1
            replacement = (
                options.mask_char * (hi - lo)
                if options.style == "mask"
                else options.placeholders.get(label, PLACEHOLDERS[label])
            )
            per_piece[index].append(TextSpan(lo, hi, kind, replacement, label))
    return [_merge(spans) for spans in per_piece]


def _join(runs: Sequence[Run], context: Callable[[Run], str | None]) -> list[Run]:
    """Runs with the parts of a number said with long pauses joined (四四零一零六……一九八五
    零一一四……二七三九): parts join when together they prove themselves (ID checksum,
    Luhn, numbering plan) and no part does alone, or when a keyword (卡号, 身份证, 手机) asked
    for a number of their combined length that none of them reaches alone."""
    out: list[Run] = []
    taken: set[int] = set()
    for run in runs:
        if id(run) in taken:
            continue
        chain = [run]
        size = len(run.digits)
        while (nxt := chain[-1].next) is not None and size + len(nxt.digits) <= 19:
            chain.append(nxt)
            size += len(nxt.digits)
        while len(chain) > 1 and not _joins(chain, context):
            chain.pop()
        if len(chain) == 1:
            out.append(run)
            continue
        taken.update(id(part) for part in chain)
        groups: set[int] = set()
        at = 0
        for part in chain:
            groups |= {at} | {at + g for g in part.groups}
            at += len(part.digits)
        groups.discard(0)
        out.append(
            Run(
                digits="".join(part.digits for part in chain),
                where=[w for part in chain for w in part.where],
                groups=groups,
                pos=run.pos,
            )
        )
    return out


def _joins(parts: Sequence[Run], context: Callable[[Run], str | None]) -> bool:
    digits = "".join(part.digits for part in parts)
    if any(part.quantity or proven_kind(part.digits) for part in parts):
        return False
    if "X" in digits[:-1]:
        return False
    if proven_kind(digits):
        return True
    label = context(parts[0])
    return (
        label in ("card_number", "id_number", "phone")
        and not any(part.detached for part in parts)
        and fits_context(digits, label)
        and all(len(part.digits) < CONTEXT_LENGTHS[label].start for part in parts)
    )


def _repeats(runs: Sequence[Run], secrets: Mapping[str, str]) -> list[tuple[Run, int, int, str]]:
    """A secret said again (read back, confirmed) in any numeral form, with any pauses: a
    long one (7+ digits) wherever its digits recur, even inside a longer run or beside a
    unit; a short one (a code) where a whole group or run of digits says it, outside a
    quantity."""
    secrets = {digits: label for digits, label in secrets.items() if len(digits) >= 3}
    if not secrets:
        return []
    found: list[tuple[Run, int, int, str]] = []
    heads = {id(run) for run in runs} - {id(run.next) for run in runs if run.next}
    for head in (run for run in runs if id(run) in heads):
        chain = [head]
        while (nxt := chain[-1].next) is not None:
            chain.append(nxt)
        bounds: set[int] = set()
        quantity: list[bool] = []
        at = 0
        for part in chain:
            bounds |= {at} | {at + g for g in part.groups}
            quantity += [part.quantity] * len(part.digits)
            at += len(part.digits)
        bounds.add(at)
        whole = Run(
            digits="".join(part.digits for part in chain),
            where=[w for part in chain for w in part.where],
            groups=bounds,
            pos=head.pos,
        )
        for secret, label in secrets.items():
            s = whole.digits.find(secret)
            while s >= 0:
                e = s + len(secret)
                if len(secret) >= 7 or (s in bounds and e in bounds and not any(quantity[s:e])):
                    found.append((whole, s, e, label))
                s = whole.digits.find(secret, s + 1)
    return found


def _char_spans(where: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(piece, from, to) covering the digits, separators between them included."""
    spans: list[tuple[int, int, int]] = []
    for piece, char in where:
        if spans and spans[-1][0] == piece:
            spans[-1] = (piece, spans[-1][1], char + 1)
        else:
            spans.append((piece, char, char + 1))
    return spans


def _merge(spans: list[TextSpan]) -> list[TextSpan]:
    out: list[TextSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and span.start < out[-1].end:
            if span.end > out[-1].end:
                out[-1] = replace(out[-1], end=span.end)
            continue
        out.append(span)
    return out


def apply_spans(text: str, spans: Sequence[TextSpan]) -> str:
    """``text`` with each span (in order, not overlapping) replaced."""
    parts, at = [], 0
    for span in spans:
        parts += [text[at : span.start], span.replacement]
        at = span.end
    parts.append(text[at:])
    return "".join(parts)
