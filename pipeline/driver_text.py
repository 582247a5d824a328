"""What the driver classifier reads of an utterance: who said it, its text as the model and
the keywords see it (its sound: pipeline/driver_sounds.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from core.textnorm import to_simplified

_NOT_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Utterance:
    text: str
    turn: int | None = None
    start: float | None = None
    speaker: str | None = "customer"


def side(u: Utterance) -> Literal["agent", "customer"]:
    """An utterance nobody is sure of the speaker of counts as the customer's."""
    return "agent" if u.speaker == "agent" else "customer"


def clean(text: str) -> str:
    """Simplified script, punctuation and spaces squeezed: what the model and keywords see."""
    return _NOT_WORDS.sub(" ", to_simplified(text)).strip()


def cut(text: str, max_chars: int | None) -> str:
    """The start of a long utterance: e5's cost is its tokens, the reason comes first."""
    return text if max_chars is None else text[:max_chars]
