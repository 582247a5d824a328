"""Phrase matching that survives speech recognition.

Mandarin recognisers mostly err by writing a same-sounding character (工号→公号,
抱歉→报歉, 确认→却认), so a phrase is looked for three ways, cheapest first:

1. as written, on text normalised to Simplified (OpenCC), NFKC and lower case, with
   punctuation, spaces and hesitation sounds (嗯, 呃) squeezed out;
2. as an exact homophone: the same toneless pinyin syllables (pypinyin), unless what was
   written is itself a frequent word (之前 is not 致歉) or spans two words (单笔|最高 is
   not 闭嘴);
3. as a near-homophone (zh/ch, n/l, -n/-ng, a dropped 的): rapidfuzz similarity of the
   pinyin strings at or above the threshold, for phrases of at least
   ``fuzzy_min_syllables`` syllables, with at most one syllable in four wrong and every
   wrong syllable sounding alike (吓死 is not 气死);
4. through a wildcard (recognised text only): one syllable whose recognised word has a
   probability below ``wildcard_below`` may stand for any syllable of the phrase (缺了 for
   确认, 了 unsure), the rest as the phrase sounds; scored as the share of syllables
   actually heard, so a short phrase found this way alone asks for review
   (:mod:`rules.wildcards`).

Regular-expression patterns run on the normalised text with punctuation kept (canonical
Chinese ，。？！；：), for what a phrase list cannot say ("三个工作日内"); on recognised
text also by sound, on the text respelt where it sounds like a word they name (充制 as
重置; see :mod:`rules.sound_patterns`), scored ``sound_score`` (below the pack's
``review_below`` for forbidden wording: a guess may ask a QA lead, never fail an agent);
and, for the checks that may read an unsure word as a wildcard (required steps: a guess
may rescue what was said, never make an event or a violation), on the text respelt where
it sounds like a pattern's word but for -n/-ng (有一定的风向 as 有一定的风险), scored as the
pinyin similarity of what was said to what the pattern reads. The pattern's context is
what makes a two-syllable near-homophone safe: 风向 alone is another word.

Offsets always come back in the *original* text, so evidence quotes what was said
(:func:`rules.word_segmentation.word_span` widens a match to whole words for that quote).
Everything a text needs is computed once into a :class:`~rules.text_index.TextIndex`;
everything a phrase set needs is compiled once into a :class:`PhraseMatcher`; the
near-homophone tier lives in :mod:`rules.near_homophones`, the wildcard tier in
:mod:`rules.wildcards`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from core.textnorm import CLAUSE_MARKS
from rules.near_homophones import NearHomophones, fold_nasal, pinyin_similarity
from rules.sound_patterns import SoundWords
from rules.text_index import TextIndex, normalise, syllable
from rules.wildcards import Wildcards
from rules.word_segmentation import common_word, straddles

MatchKind = Literal["exact", "homophone", "fuzzy", "pattern", "wildcard"]


@dataclass(frozen=True)
class Wildcard:
    """A word the recogniser was unsure of, read as the phrase's character: ``start``/
    ``end`` index the original text, ``written`` is what it wrote, ``p`` its probability."""

    start: int
    end: int
    written: str
    read_as: str
    p: float

    def describe(self) -> str:
        """'low-probability word 了 (p 0.53) read as 认', for reasons and evidence."""
        return f"low-probability word {self.written} (p {self.p:.2f}) read as {self.read_as}"


@dataclass(frozen=True)
class Match:
    """One place a phrase set matched: ``start``/``end`` index the original text."""

    start: int
    end: int
    text: str
    phrase: str
    score: float
    kind: MatchKind
    wildcard: Wildcard | None = None


class PhraseMatcher:
    """A phrase set compiled once: one regex for exact text, one for exact pinyin, a
    candidate list for near-homophones, the patterns and the exclusions."""

    def __init__(
        self,
        phrases: Sequence[str],
        patterns: Sequence[str] = (),
        *,
        exclude: Sequence[str] = (),
        exclude_scope: Literal["sentence", "clause"] = "sentence",
        exclude_sentence: Sequence[str] = (),
        threshold: float = 0.85,
        exact: bool = False,
        fuzzy_min_syllables: int = 4,
        homophone_min_syllables: int = 2,
        wildcard_below: float = 0.0,
        sound_score: float = 1.0,
    ) -> None:
        self.threshold = threshold
        self._sound_score = sound_score
        by_squashed: dict[str, str] = {}
        for phrase in phrases:
            squashed = normalise(phrase)
            if squashed:
                by_squashed.setdefault(squashed, phrase)
        self._canonical = by_squashed
        self._exact = _alternation(by_squashed)
        by_py: dict[str, str] = {}
        near = NearHomophones(threshold)
        wildcards = Wildcards(wildcard_below, fuzzy_min_syllables)
        if not exact:
            for squashed, phrase in by_squashed.items():
                syllables = [syllable(c) for c in squashed]
                if len(syllables) >= homophone_min_syllables:
                    by_py.setdefault(" " + " ".join(syllables) + " ", phrase)
                    wildcards.add(phrase, squashed, syllables)
                if threshold < 1 and len(syllables) >= fuzzy_min_syllables:
                    near.add(phrase, syllables)
        self._homophone = (
            re.compile(" (?:" + "|".join(re.escape(p.strip()) for p in _longest(by_py)) + ")(?= )")
            if by_py
            else None
        )
        self._by_py = {p.strip(): phrase for p, phrase in by_py.items()}
        self._near = near
        self._wildcards = wildcards
        self._patterns = [(p, re.compile(p)) for p in patterns]
        self._sound = SoundWords(patterns) if not exact else None
        self._near_sound = (
            SoundWords(patterns, fold=fold_nasal) if not exact and wildcard_below > 0 else None
        )
        self._exclude = re.compile("|".join(f"(?:{p})" for p in exclude)) if exclude else None
        self._clause = exclude_scope == "clause"
        self._exclude_sentence = (
            re.compile("|".join(f"(?:{p})" for p in exclude_sentence)) if exclude_sentence else None
        )

    def matches(self, index: TextIndex, *, fuzzy: bool = True) -> list[Match]:
        """Every non-overlapping match in a text, earliest first. With ``fuzzy=False``
        only exact text, exact homophones and patterns (the cheap tiers)."""
        found: list[tuple[Match, int]] = []  # (match, start in norm) for exclusion
        if self._exact is not None:
            for m in self._exact.finditer(index.squashed):
                o0, o1, n0 = index.span_from_squashed(m.start(), m.end())
                phrase = self._canonical[m.group()]
                found.append((Match(o0, o1, index.original[o0:o1], phrase, 1.0, "exact"), n0))
        if self._homophone is not None:
            for m in self._homophone.finditer(index.py):
                k0 = index.syllable_at(m.start() + 1)
                key = m.group().strip()
                k1 = k0 + key.count(" ") + 1
                o0, o1, n0 = index.span_from_squashed(k0, k1)
                phrase = self._by_py[key]
                said = index.original[o0:o1]
                if index.squashed[k0:k1] != normalise(phrase) and _other_words(
                    index, o0, o1, k1 - k0
                ):
                    continue
                found.append((Match(o0, o1, said, phrase, 1.0, "homophone"), n0))
        for source, regex in self._patterns:
            for m in regex.finditer(index.norm):
                o0, o1 = index.span_from_norm(m.start(), m.end())
                found.append(
                    (Match(o0, o1, index.original[o0:o1], source, 1.0, "pattern"), m.start())
                )
        # recognised text: the patterns again, on it respelt as their words sound
        heard = self._sound.respell(index) if self._sound and index.syllable_p else None
        if heard is not None:
            for source, regex in self._patterns:
                for m in regex.finditer(heard):
                    o0, o1 = index.span_from_norm(m.start(), m.end())
                    said = index.original[o0:o1]
                    match = Match(o0, o1, said, source, self._sound_score, "homophone")
                    found.append((match, m.start()))
        if fuzzy and self._near_sound and index.syllable_p:
            found += self._near_sound_matches(index, heard)
        if fuzzy and self._near and len(index.syllables) >= 2:
            for phrase, k0, k1, score in self._near.spans(index):
                o0, o1, n0 = index.span_from_squashed(k0, k1)
                kind: MatchKind = "exact" if index.squashed[k0:k1] == normalise(phrase) else "fuzzy"
                found.append((Match(o0, o1, index.original[o0:o1], phrase, score, kind), n0))
        if fuzzy and self._wildcards and index.syllable_p is not None:
            found += self._wildcard_matches(index)
        if self._exclude is not None:
            found = [
                (m, n)
                for m, n in found
                if not self._exclude.search(index.sentence(n, clause=self._clause))
            ]
        if self._exclude_sentence is not None:
            found = [
                (m, n) for m, n in found if not self._exclude_sentence.search(index.sentence(n))
            ]
        return _non_overlapping(m for m, _ in found)

    def _near_sound_matches(self, index: TextIndex, heard: str | None) -> list[tuple[Match, int]]:
        """The patterns on recognised text respelt where it sounds like a pattern's word
        but for -n/-ng; only what the exact respelling did not already find, each scored
        as how alike what was said sounds to what the pattern read."""
        assert self._near_sound is not None
        near = self._near_sound.respell(index)
        if near is None or near == (heard or index.norm):
            return []
        out = []
        for source, regex in self._patterns:
            for m in regex.finditer(near):
                said, read_as = index.norm[m.start() : m.end()], m.group()
                if said == read_as or (heard is not None and regex.match(heard, m.start())):
                    continue
                score = pinyin_similarity(
                    [syllable(c) for c in said], [syllable(c) for c in read_as]
                )
                if score < self.threshold:
                    continue
                o0, o1 = index.span_from_norm(m.start(), m.end())
                match = Match(o0, o1, index.original[o0:o1], source, score, "fuzzy")
                out.append((match, m.start()))
        return out

    def _wildcard_matches(self, index: TextIndex) -> list[tuple[Match, int]]:
        """Matches that read one unsure syllable as the phrase's (see :mod:`rules.wildcards`),
        scored as the share of the phrase's syllables actually heard."""
        out = []
        for span in self._wildcards.spans(index):
            n = span.end - span.start
            o0, o1, n0 = index.span_from_squashed(span.start, span.end)
            if _other_words(index, o0, o1, n):
                continue
            w0, w1, _ = index.span_from_squashed(span.unsure, span.unsure + 1)
            wildcard = Wildcard(w0, w1, index.original[w0:w1], span.read_as, span.p)
            said = index.original[o0:o1]
            match = Match(o0, o1, said, span.phrase, (n - 1) / n, "wildcard", wildcard)
            out.append((match, n0))
        return out


def _other_words(index: TextIndex, o0: int, o1: int, syllables: int) -> bool:
    """Whether what was written at ``o0:o1`` is other words that merely sound like a
    phrase: a frequent word (之前 is not 致歉, 确实 is not 确认), words either side of a
    pause (还有八万多没还，我想 is not 害我), or, for two syllables, the end of one word and
    the start of the next (单笔|最高 is not 闭嘴)."""
    said = index.original[o0:o1]
    return (
        common_word(said)
        or _PAUSE.search(said) is not None
        or (syllables == 2 and straddles(index.original, o0, o1))
    )


_PAUSE = re.compile(f"[{re.escape(CLAUSE_MARKS)}]")


def _longest(keys: Iterable[str]) -> list[str]:
    # Longest first, so an alternation prefers "请问还有其他" over "请问".
    return sorted(keys, key=lambda k: (-len(k), k))


def _alternation(keys: Iterable[str]) -> re.Pattern[str] | None:
    ordered = _longest(keys)
    return re.compile("|".join(re.escape(k) for k in ordered)) if ordered else None


def _non_overlapping(matches: Iterable[Match]) -> list[Match]:
    """Earliest first; of overlapping matches keep the better (score, then length)."""
    out: list[Match] = []
    for m in sorted(matches, key=lambda m: (m.start, -m.score, -(m.end - m.start))):
        if out and m.start < out[-1].end:
            last = out[-1]
            if (m.score, m.end - m.start) > (last.score, last.end - last.start):
                out[-1] = m
            continue
        out.append(m)
    return out


@functools.lru_cache(maxsize=256)
def _adhoc_matcher(
    phrases: tuple[str, ...], patterns: tuple[str, ...], threshold: float
) -> PhraseMatcher:
    return PhraseMatcher(phrases, patterns, threshold=threshold)


def find(
    phrases: Sequence[str] | str,
    text: str,
    *,
    patterns: Sequence[str] = (),
    threshold: float = 0.85,
) -> tuple[Match, ...]:
    """Where ``phrases`` (or ``patterns``) occur in ``text``, tolerant of recognition
    errors; spans index ``text``, ``score`` is the pinyin similarity (1 = same sounds)."""
    if isinstance(phrases, str):
        phrases = (phrases,)
    matcher = _adhoc_matcher(tuple(phrases), tuple(patterns), threshold)
    return tuple(matcher.matches(TextIndex(text)))
