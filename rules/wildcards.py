"""The wildcard tier of phrase matching: a syllable whose recognised word the recogniser
was unsure of (probability below ``below``) may stand for any syllable of a phrase.

Whisper writes a customer's 确认 as 缺了 (了 at p 0.53): ren and le do not sound alike,
so the near-homophone tier rejects it, and it skips short phrases anyway. On the tuning
recordings (ua) a syllable under a word below p 0.5 is wrong about three times as often
as one above (34 % against 10 %): an unsure syllable is weak evidence of what was said,
so a match that leans on one is limited:

- one wildcard per match; every other syllable as the phrase has it (same pinyin), and
  at least half of those heard for sure (never a phrase of unsure syllables);
- phrases of two syllables or more (a single character matches only as written); one
  shorter than ``short`` (the pack's ``fuzzy_min_syllables``) only as a comma clause of
  its own, a final particle aside (缺了嘛, a short reply): inside a sentence, one syllable
  of 风险 or 年费 is found next to some unsure word in most calls;
- only where the text carries word probabilities: never on a written transcript.

Spans are in syllables of a :class:`~rules.text_index.TextIndex`; what was written must
still pass :mod:`rules.matching`'s homophone guards (确实 is a word, not 确认).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rules.text_index import TextIndex


@dataclass(frozen=True)
class WildcardSpan:
    """Syllables ``start:end`` sound as ``phrase`` if the unsure syllable ``unsure`` (its
    word's probability ``p``) is read as the phrase's character ``read_as``."""

    phrase: str
    start: int
    end: int
    unsure: int
    read_as: str
    p: float


class Wildcards:
    """Phrases looked for with one unsure syllable standing for any, compiled once: each
    phrase once per syllable, that syllable masked, so a lookup is one dict probe."""

    def __init__(self, below: float, short: int) -> None:
        self.below = below
        self.short = short
        # the phrase's syllables with one replaced by "" -> (phrase, its character there)
        self._masked: dict[tuple[str, ...], tuple[str, str, str]] = {}
        # per length: the first and the second syllables of its phrases, so that most
        # windows are ruled out by one set lookup before a key is built
        self._starts: dict[int, tuple[set[str], set[str]]] = {}

    def add(self, phrase: str, squashed: str, syllables: Sequence[str]) -> None:
        """Look for ``phrase`` (``squashed``: its normalised characters, one per syllable)."""
        n = len(syllables)
        if n < 2 or self.below <= 0:
            return
        for j in range(n):
            key = (*syllables[:j], "", *syllables[j + 1 :])
            self._masked.setdefault(key, (phrase, squashed[j], syllables[j]))
        firsts, seconds = self._starts.setdefault(n, (set(), set()))
        firsts.add(syllables[0])
        seconds.add(syllables[1])

    def __bool__(self) -> bool:
        return bool(self._masked)

    def spans(self, index: TextIndex) -> Iterator[WildcardSpan]:
        """Every place a phrase matches with one unsure syllable read as another."""
        probabilities = index.syllable_p
        if probabilities is None:
            return
        syllables = index.syllables
        total = len(syllables)
        sure = [p is not None and p >= self.below for p in probabilities]
        for u, p in enumerate(probabilities):
            if p is None or p >= self.below:
                continue
            if not ((u > 0 and sure[u - 1]) or (u + 1 < total and sure[u + 1])):
                continue  # every match holding it holds an unsure neighbour too
            for n, (firsts, seconds) in self._starts.items():
                for k0 in range(max(0, u - n + 1), min(u, total - n) + 1):
                    if syllables[k0] not in firsts if k0 != u else syllables[u + 1] not in seconds:
                        continue
                    k1 = k0 + n
                    found = self._masked.get((*syllables[k0:u], "", *syllables[u + 1 : k1]))
                    if found is None:
                        continue
                    phrase, read_as, heard = found
                    if heard == syllables[u]:
                        continue  # the same sound: an exact homophone, not a wildcard
                    if sum(sure[k0:k1]) < n - 1:
                        continue  # another unsure syllable: too little was heard for sure
                    if n < self.short and not _own_clause(index, k0, k1):
                        continue
                    yield WildcardSpan(phrase, k0, k1, u, read_as, p)


# What may follow a short phrase in a clause of its own: a sentence-final particle.
_PARTICLES = frozenset("了吗嘛吧呢啊呀哦哈啦么")


def _own_clause(index: TextIndex, k0: int, k1: int) -> bool:
    """Whether syllables ``k0:k1`` are a comma clause of their own, but for a final
    particle (缺了嘛, a short reply)."""
    c0, c1 = index.clause_span(k0)
    if c0 != k0 or k1 > c1:
        return False
    return c1 == k1 or (c1 == k1 + 1 and index.squashed[k1] in _PARTICLES)
