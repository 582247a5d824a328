"""Redaction of a call still in progress (callqa live): each new piece of text is redacted
in the context of what was said before it, as the batch path would, and because the rest
of a number may not have arrived yet (a card or ID number read in groups, a pause between
them), any run of more than ``longest`` digits left after that is masked too. The batch
path, with the whole call, redacts precisely; what live shows is never less redacted."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.redact.options import RedactOptions
from pipeline.redact.spoken_digits import SPOKEN_DIGITS, Piece
from pipeline.redact.text import apply_spans, find_spans

LONGEST_SHOWN = 6
"""Digits in a row that live text may still show: an amount, a date, a last-four mention."""


def redact_unfinished(
    said_before: Sequence[Piece], piece: Piece, options: RedactOptions | None = None
) -> str:
    """``piece``'s text with secrets replaced, read after ``said_before`` (in call order:
    a 卡号 asked by the agent makes the customer's digits a card number), and digit runs
    longer than ``LONGEST_SHOWN`` masked."""
    pieces = [*said_before, piece]
    spans = find_spans(pieces, options or RedactOptions())[-1]
    return mask_digit_runs(apply_spans(piece.text, spans))


def mask_digit_runs(text: str, longest: int = LONGEST_SHOWN) -> str:
    """Each run of more than ``longest`` digits (as said: 0-9, full-width, 一二三, 壹贰叁)
    replaced by as many asterisks."""
    out, run = [], []
    for ch in text + "\0":
        if ch in SPOKEN_DIGITS:
            run.append(ch)
            continue
        out.append("*" * len(run) if len(run) > longest else "".join(run))
        run = []
        out.append(ch)
    return "".join(out[:-1])
