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


# where a clause turns to supposing or asking what may follow rather than telling what
# happened (如果…, 会不会…, …了怎么办)
_WHAT_MAY_FOLLOW = re.compile(r"如果|万一|要是|假如|会不会|会影响|影响不影响|了怎么办")


def what_happened(text: str) -> str:
    """A cleaned utterance with each clause cut where it turns to what may follow: the
    keywords left are what the customer says happened or wants (如果已经被盗刷了怎么办 says
    nothing happened; 房贷要是提前还 still names the mortgage; 那这个逾期会不会上征信 names
    the arrears, not the credit report)."""
    return " ".join(_WHAT_MAY_FOLLOW.split(c, maxsplit=1)[0] for c in text.split(" "))


def cut(text: str, max_chars: int | None) -> str:
    """The start of a long utterance: e5's cost is its tokens, the reason comes first."""
    return text if max_chars is None else text[:max_chars]
