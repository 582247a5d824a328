"""A driver's keywords found by their sound in recognised speech (pipeline/drivers.py).

The recogniser writes a keyword with the wrong characters: 还款 as 环宽, 没到账 as 没到赞,
转账额度 as 转将额度. The tiers, each measured on the tuning calls' text (where a new hit
is a false one) and their recordings (bench/bench_drivers.py):

* the same toneless syllables (环宽 is huan kuan);
* in a keyword of ``FOLD_MIN`` syllables or more, the same syllables once the distinctions
  speakers and recognisers blur most are folded: zh/ch/sh as z/c/s and -ng as -n (the first
  'fuzzy' settings of pinyin input methods). Not in two-syllable keywords: there 说了 would be
  锁了 and 上推 闪退 (dev, uc, ud text);
* in a keyword of ``ONE_OFF_MIN`` syllables or more, one syllable heard as another that
  sounds alike (转将额度 for 转账额度, 自动海管 for 自动还款). Not in shorter keywords: one
  syllable of two or three off finds 卡销了 as 卡掉了 and 取款密(码) as 取款机 in the tuning
  recordings, even where the recogniser's own word probabilities say it doubted the syllable.

A short keyword found by its sound inside a longer one's sound is the longer one's: in
转将额度 (转账额度, a transfer limit) 将额 sounds as 降额 (a credit limit cut), which is not
what was said. So among sound hits that overlap, the one of more syllables stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from core.textnorm import CLAUSE_MARKS
from rules.near_homophones import fold_nasal

FOLD_MIN = 3
ONE_OFF_MIN = 4
# two syllables sound alike when they rhyme or their letters are this close (rapidfuzz
# ratio: hao / hou 67, hai / huan 57)
ALIKE = 60.0

# clean() turns punctuation into spaces, so a space ends a clause too
_CLAUSE_BREAK = re.compile(rf"[\s{re.escape(CLAUSE_MARKS)}]+")
_INITIAL = re.compile(r"^(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])")


def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin of the Chinese characters, one syllable each; others dropped."""
    from pypinyin import lazy_pinyin

    return tuple(s for s in lazy_pinyin(text, errors="ignore") if s.isascii() and s.isalpha())


def folded(syllable: str) -> str:
    """zh/ch/sh as z/c/s, -ng as -n: what a speaker or a recogniser blurs most."""
    for retroflex in ("zh", "ch", "sh"):
        if syllable.startswith(retroflex):
            syllable = syllable[0] + syllable[2:]
            break
    return fold_nasal(syllable)


def rhyme(syllable: str) -> str:
    """The syllable's final without its medial i/u/v and -ng folded: what two syllables
    that rhyme share (jiang / zhang, qi / xi, le / e, cai / tai)."""
    final = _INITIAL.sub("", syllable)
    if len(final) > 1 and final[0] in "iuv" and any(v in final[1:] for v in "aeiou"):
        final = final[1:]
    return folded(final)


def alike(a: str, b: str) -> bool:
    """Two syllables a recogniser mistakes for each other: they rhyme, or their letters
    are close (hao / hou)."""
    return rhyme(a) == rhyme(b) or fuzz.ratio(a, b) >= ALIKE


@dataclass(frozen=True)
class SoundKeyword:
    driver: int
    syllables: tuple[str, ...]
    folded: tuple[str, ...]


@dataclass(frozen=True)
class SoundHit:
    driver: int
    start: int  # in syllables of the utterance
    end: int


class SoundKeywords:
    """Every driver's keywords of two syllables or more, looked for by sound (``None``
    turns a tier off: bench and tests compare the tiers)."""

    def __init__(
        self,
        keywords: Sequence[Sequence[str]],
        *,
        fold_min: int | None = FOLD_MIN,
        one_off_min: int | None = ONE_OFF_MIN,
        longest: bool = True,
    ) -> None:
        self.fold_min, self.one_off_min, self.longest = fold_min, one_off_min, longest
        self.keywords: list[SoundKeyword] = []
        for driver, words in enumerate(keywords):
            for word in words:
                if {"~", "#"} & set(word):
                    continue
                said = syllables(word)
                if len(said) >= 2:
                    self.keywords.append(SoundKeyword(driver, said, tuple(map(folded, said))))

    def hits(self, text: str) -> list[SoundHit]:
        """Where each keyword is heard in ``text``, overlaps given to the longer keyword.
        A keyword is one phrase: it is heard within a clause, never across a pause the text
        marks (信用卡，额度才一万 names no 信用卡额度)."""
        found: list[SoundHit] = []
        offset = 0
        for clause in _CLAUSE_BREAK.split(text):
            said = syllables(clause)
            found += self._hits_in(said, offset)
            offset += len(said)
        if not self.longest:
            return found
        return [
            h
            for h in found
            if not any(
                o.driver != h.driver and o.end - o.start > h.end - h.start and _overlap(o, h)
                for o in found
            )
        ]

    def _hits_in(self, said: tuple[str, ...], offset: int) -> list[SoundHit]:
        blurred = tuple(map(folded, said))
        present = set(blurred)
        found: list[SoundHit] = []
        for k in self.keywords:
            n = len(k.syllables)
            one_off = self.one_off_min is not None and n >= self.one_off_min
            # cheap test first: a keyword not all of whose syllables (less one) are there
            if sum(s in present for s in k.folded) < n - one_off:
                continue
            for start in range(len(said) - n + 1):
                end = start + n
                if self._heard(k, said[start:end], blurred[start:end]):
                    found.append(SoundHit(k.driver, offset + start, offset + end))
        return found

    def _heard(self, k: SoundKeyword, said: Sequence[str], blurred: Sequence[str]) -> bool:
        if tuple(said) == k.syllables:
            return True
        n = len(said)
        folds = self.fold_min is not None and n >= self.fold_min
        mine, theirs = (blurred, k.folded) if folds else (said, k.syllables)
        wrong = [i for i in range(n) if mine[i] != theirs[i]]
        if not wrong:
            return True
        return (
            self.one_off_min is not None
            and n >= self.one_off_min
            and len(wrong) == 1
            and alike(k.syllables[wrong[0]], said[wrong[0]])
        )


def _overlap(a: SoundHit, b: SoundHit) -> bool:
    return a.start < b.end and b.start < a.end
