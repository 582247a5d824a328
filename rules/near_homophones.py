"""The near-homophone tier of phrase matching: what a recogniser wrote when it misheard a
sound or two (zh/ch, n/l, -n/-ng, a dropped 的).

A phrase matches where the rapidfuzz similarity of its pinyin to the text's is at or
above the threshold, with at most one syllable in four wrong and every wrong syllable
sounding alike (吓死 is not 气死). Spans are in syllables of a :class:`TextIndex`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from rules.text_index import TextIndex


@dataclass(frozen=True)
class _Phrase:
    phrase: str
    py: str  # syllables joined by single spaces
    n: int
    syllables: frozenset[str]
    need: int  # distinct syllables that must occur as such (see NearHomophones.spans)


class NearHomophones:
    """Phrases looked for by sound, compiled once."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._phrases: list[_Phrase] = []

    def add(self, phrase: str, syllables: Sequence[str]) -> None:
        """Look for ``phrase``, which sounds as ``syllables``."""
        distinct = frozenset(syllables)
        self._phrases.append(
            _Phrase(phrase, " ".join(syllables), len(syllables), distinct, (len(distinct) + 1) // 2)
        )

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def spans(self, index: TextIndex) -> Iterator[tuple[str, int, int, float]]:
        """(phrase, first syllable, end syllable, similarity) of each phrase found."""
        # A recognition error garbles a syllable or two, not most of a phrase: a phrase
        # none of whose syllables (or fewer than half) occur in the text cannot be there.
        # This set test is what keeps near-homophone search cheap on a long call.
        present = index.syllable_set
        candidates = [f for f in self._phrases if len(f.syllables & present) >= f.need]
        if not candidates:
            return
        haystack = index.py.strip()
        cutoff = self.threshold * 100
        for _, _, i in process.extract(
            haystack,
            [f.py for f in candidates],
            scorer=fuzz.partial_ratio,
            score_cutoff=cutoff,
            limit=None,
        ):
            cand = candidates[i]
            hit = self._align(cand, index, haystack)
            if hit is None:
                continue
            k0, k1, score = hit
            yield cand.phrase, k0, k1, score

    def _align(
        self, cand: _Phrase, index: TextIndex, haystack: str
    ) -> tuple[int, int, float] | None:
        """Snap rapidfuzz's character alignment to whole syllables and re-score there."""
        al = fuzz.partial_ratio_alignment(cand.py, haystack)
        if al is None:
            return None
        s0 = index.syllable_at(al.dest_start + 1)
        s1 = index.syllable_at(max(al.dest_start, al.dest_end - 1) + 1) + 1
        best: tuple[int, int, float] | None = None
        phrase = cand.py.split(" ")
        for a in (s0 - 1, s0, s0 + 1):
            for b in (s1 - 1, s1, s1 + 1):
                # A dropped syllable is a plausible recognition error only in a long
                # phrase; in a short one it is another phrase (垃圾银行 vs 手机银行).
                if a < 0 or b > len(index.syllables) or b - a < cand.n - cand.n // 6:
                    continue
                said = index.syllables[a:b]
                score = pinyin_similarity(phrase, said)
                if score < self.threshold or (best is not None and score <= best[2]):
                    continue
                if not _sounds_alike(phrase, said, max(1, cand.n // 4)):
                    continue
                best = (a, b, score)
        return best


def _sounds_alike(phrase: Sequence[str], said: Sequence[str], max_wrong: int) -> bool:
    """Letters alone are lenient on long phrases (已经为您冻结 / 已经给您登记 differ by a
    letter or two per syllable): allow ``max_wrong`` wrong syllables, and a substituted
    syllable must itself sound alike (zhang/chang, lai/nai; not xia/qi: 吓死 is not 气死)."""
    ops = Levenshtein.editops(list(phrase), list(said))
    if len(ops) > max_wrong:
        return False
    return all(
        fuzz.ratio(phrase[op.src_pos], said[op.dest_pos]) >= 60 for op in ops if op.tag == "replace"
    )


def fold_nasal(syllable: str) -> str:
    """A syllable with its final -ng folded into -n (xiang -> xian, jing -> jin): the
    commonest near-homophone of Mandarin speech and of its recognition, so common that
    pinyin input methods offer it as their first 'fuzzy' setting. Recognised text is read
    this way only inside a pattern's context (风向 alone is a word; 有一定的风向 is 风险)."""
    return syllable[:-1] if syllable.endswith("ng") else syllable


def pinyin_similarity(said: Sequence[str], read_as: Sequence[str]) -> float:
    """How alike two runs of syllables sound (1 = the same): rapidfuzz ratio of the
    pinyin strings, the measure of the near-homophone tier."""
    return fuzz.ratio(" ".join(said), " ".join(read_as)) / 100
