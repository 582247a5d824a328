"""Secrets replaced in a transcript's turn and word texts, with the audio time of each
(from word timestamps, else estimated from the turn's spoken characters)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace

from core.analysis import Redaction
from core.transcript import Transcript, Turn, Word
from pipeline.redact.options import RedactOptions, TextSpan
from pipeline.redact.spoken_digits import Piece
from pipeline.redact.text import apply_spans, find_spans


def redact_transcript(
    transcript: Transcript,
    options: RedactOptions = RedactOptions(),  # noqa: B008 (frozen: safe to share)
) -> tuple[Transcript, tuple[Redaction, ...]]:
    """A new transcript with secrets replaced in turn and word texts, and the redactions
    with the audio time spans to silence (from word timestamps, else estimated)."""
    pieces = [Piece(t.text, t.speaker, t.start, t.end) for t in transcript.turns]
    found = find_spans(pieces, options)
    turns: list[Turn] = []
    redactions: list[Redaction] = []
    for index, (turn, spans) in enumerate(zip(transcript.turns, found, strict=True)):
        if not spans:
            turns.append(turn)
            continue
        aligned = _align_words(turn)
        for span in spans:
            start, end = _time_span(turn, aligned, span.start, span.end)
            redactions.append(
                Redaction(
                    turn=index,
                    kind=span.kind,
                    start=round(start, 3),
                    end=round(end, 3),
                    chars=(span.start, span.end),
                )
            )
        update: dict[str, object] = {"text": apply_spans(turn.text, spans)}
        if turn.words:
            update["words"] = _redact_words(turn, aligned, spans)
        turns.append(turn.model_copy(update=update))
    return transcript.model_copy(update={"turns": tuple(turns)}), tuple(redactions)


def _align_words(turn: Turn) -> list[tuple[int, int]] | None:
    """Each word's character span in the turn's text (None: no words)."""
    if not turn.words:
        return None
    text, spans, cursor = turn.text, [], 0
    for word in turn.words:
        core = word.text.strip()
        at = text.find(core, cursor) if core else cursor
        if at < 0 or text[cursor:at].strip():
            return _align_fuzzy(turn)
        spans.append((at, at + len(core)))
        cursor = at + len(core)
    return spans


def _align_fuzzy(turn: Turn) -> list[tuple[int, int]]:
    """Word spans when the words do not spell the text exactly (edited or re-converted)."""
    assert turn.words is not None
    joined, owner = "", []
    for i, word in enumerate(turn.words):
        joined += word.text
        owner += [i] * len(word.text)
    text_to_word: list[int | None] = [None] * len(turn.text)
    matcher = difflib.SequenceMatcher(None, turn.text, joined, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            text_to_word[a + k] = owner[b + k]
    spans: list[list[int]] = [[len(turn.text), 0] for _ in turn.words]
    last = 0
    for c, w in enumerate(text_to_word):
        w = last if w is None else w
        last = w
        spans[w][0], spans[w][1] = min(spans[w][0], c), max(spans[w][1], c + 1)
    return [(s, e) if s < e else (e, e) for s, e in spans]


def _time_span(
    turn: Turn, aligned: Sequence[tuple[int, int]] | None, lo: int, hi: int
) -> tuple[float, float]:
    """Audio time of ``turn.text[lo:hi]``: the words it touches, whole; without words, a
    share of the turn by the spoken characters before and inside it."""
    if turn.words and aligned is not None:
        touched = [w for w, (s, e) in zip(turn.words, aligned, strict=True) if s < hi and e > lo]
        if touched:
            return min(w.start for w in touched), max(w.end for w in touched)
    weights = [0 if (c.isspace() or not c.isalnum()) else 1 for c in turn.text]
    total = sum(weights) or 1
    before, inside = sum(weights[:lo]), sum(weights[lo:hi])
    length = turn.end - turn.start
    return turn.start + length * before / total, turn.start + length * (before + inside) / total


def _redact_words(
    turn: Turn, aligned: Sequence[tuple[int, int]] | None, spans: Sequence[TextSpan]
) -> tuple[Word, ...]:
    """Words touched by a span become one word per span cluster, its text redacted."""
    assert turn.words is not None and aligned is not None
    words = turn.words
    clusters: list[list[int]] = []  # [first word, last word, text from, text to]
    for span in spans:
        hit = [i for i, (s, e) in enumerate(aligned) if s < span.end and e > span.start]
        if not hit:
            continue
        lo, hi = min(hit), max(hit)
        if clusters and lo <= clusters[-1][1]:
            clusters[-1][1] = max(clusters[-1][1], hi)
        else:
            clusters.append([lo, hi])
    out: list[Word] = []
    i = 0
    for lo, hi in clusters:
        out.extend(words[i:lo])
        a = min(aligned[k][0] for k in range(lo, hi + 1))
        b = max(aligned[k][1] for k in range(lo, hi + 1))
        inside = [
            replace(s, start=max(s.start, a) - a, end=min(s.end, b) - a)
            for s in spans
            if s.start < b and s.end > a
        ]
        lead = words[lo].text[: len(words[lo].text) - len(words[lo].text.lstrip())]
        out.append(
            Word(
                start=min(w.start for w in words[lo : hi + 1]),
                end=max(w.end for w in words[lo : hi + 1]),
                text=lead + apply_spans(turn.text[a:b], inside),
                p=min(w.p for w in words[lo : hi + 1]),
            )
        )
        i = hi + 1
    out.extend(words[i:])
    return tuple(out)
