"""The arithmetic of the driver classifier (pipeline/drivers.py): closest examples per
class, keywords said (as written or by sound), the softmax over classes, and a complaint's
severity from the taxonomy's cues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.drivers import Severity
from core.textnorm import to_simplified
from pipeline.driver_text import Utterance, side

if TYPE_CHECKING:
    from pipeline.driver_examples import DriverExamples


def severity(
    said: str, cues: Mapping[Severity, tuple[str, ...]], complaint_turns: int
) -> tuple[Severity, tuple[str, ...]]:
    """High when a high cue is said (regulator, media, lawyer, police); medium when a
    medium cue is said or the customer complains in three turns or more; low otherwise."""
    high = tuple(c for c in cues.get("high", ()) if to_simplified(c) in said)
    if high:
        return "high", high
    medium = tuple(c for c in cues.get("medium", ()) if to_simplified(c) in said)
    if medium or complaint_turns >= 3:
        return "medium", medium
    return "low", ()


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def closest_examples(vectors: np.ndarray, ex: DriverExamples, n: int) -> tuple[np.ndarray, ...]:
    """Per utterance and class: the best similarity to one of its examples, and which."""
    sims = vectors @ ex.vectors.T  # (utterances, examples)
    best = np.full((len(vectors), n), -1.0, dtype=np.float32)
    best_example = np.zeros((len(vectors), n), dtype=np.int64)
    for c in range(n):
        columns = np.flatnonzero(ex.owner == c)
        if columns.size:
            block = sims[:, columns]
            best[:, c] = block.max(axis=1)
            best_example[:, c] = columns[block.argmax(axis=1)]
    return best, best_example


def keywords_said(
    texts: Sequence[str],
    ex: DriverExamples,
    shape: tuple[int, ...],
    by_sound: bool = True,
) -> np.ndarray:
    """Per utterance and class: a keyword said, as written or (``by_sound``) by its sound,
    for recognition errors (pipeline/driver_sounds.py)."""
    said = np.zeros(shape, dtype=bool)
    for row, text in enumerate(texts):
        lowered = text.lower()
        for c, pattern in enumerate(ex.patterns):
            if pattern and pattern.search(lowered):
                said[row, c] = True
        if by_sound:
            for hit in ex.sounds.hits(text):
                said[row, hit.driver] = True
    return said


def echoes_dropped(
    said: np.ndarray,
    rows: Sequence[int],
    telling_all: Sequence[Utterance],
    texts_all: Sequence[str],
    ex: DriverExamples,
) -> np.ndarray:
    """``said`` (per row of ``rows``, indices into the call's telling utterances) without
    the customer's echoes: a keyword the customer repeats from the agent's turn just before
    (货币转换费啊 after the agent explains the fee) answers the agent, it is not the
    customer's reason. The agent's opening, before the customer has said anything, explains
    nothing to echo: a customer of the loans line (个人贷款服务) who names their 消费贷 is
    stating their reason."""
    kept = said.copy()
    place = per_side_index(telling_all)
    for row, i in enumerate(rows):
        if (
            place[i] > 0  # the customer's first utterance follows only the agent's opening
            and side(telling_all[i]) == "customer"
            and side(telling_all[i - 1]) == "agent"
        ):
            before = keywords_said([texts_all[i - 1]], ex, (1, said.shape[1]), False)[0]
            kept[row] &= ~before
    return kept


def side_questions(voting: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Per utterance and driver (``voting``: a keyword of it votes there): the customer
    naming a driver after their first utterance that named any, and not one named in it:
    a side question, not why they called."""
    asked = np.zeros_like(voting)
    naming = np.flatnonzero(customer & voting.any(axis=1))
    if naming.size:
        first = voting[naming[0]]
        asked[naming[1:]] = voting[naming[1:]] & ~first
    return asked


def per_side_index(telling: Sequence[Utterance]) -> np.ndarray:
    """Each utterance's place among its side's: 0 for the customer's first, and so on."""
    seen = {"customer": 0, "agent": 0}
    places = np.zeros(len(telling), dtype=np.int64)
    for i, u in enumerate(telling):
        places[i] = seen[side(u)]
        seen[side(u)] += 1
    return places


def cause_first(
    order: list[int], outranks: Sequence[frozenset[int]], named: np.ndarray
) -> list[int]:
    """``order`` (drivers best first) with a driver the customer ``named`` (by keyword) put
    before the leader when the taxonomy says it outranks it: the fraud before the freeze it
    led to, a closure before the fee that prompted it."""
    lead = order[0]
    for c in order[1:]:
        if named[c] and lead in outranks[c]:
            return [c, *(o for o in order if o != c)]
    return order
