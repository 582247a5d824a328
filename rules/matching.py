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
   wrong syllable sounding alike (吓死 is not 气死).

Regular-expression patterns run on the normalised text with punctuation kept (canonical
Chinese ，。？！；：), for what a phrase list cannot say ("三个工作日内").

Offsets always come back in the *original* text, so evidence quotes what was said; the
spaCy/jieba tokeniser widens a match to whole words for that quote. Everything a text
needs is computed once into a :class:`TextIndex`; everything a phrase set needs is compiled
once into a :class:`PhraseMatcher`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from core.textnorm import to_simplified

MatchKind = Literal["exact", "homophone", "fuzzy", "pattern"]

# Hesitation sounds the recogniser writes anywhere, even inside a set phrase
# ("请问还有，呃，其他..."). Not 额 (限额, 额度) and not sentence particles that carry tone.
_FILLERS = frozenset("嗯呃唔")
_PUNCT = {",": "，", "?": "？", "!": "！", ";": "；", ":": "："}
_SENTENCE_END = re.compile(r"[。？！；\n]")
_CLAUSE_END = re.compile(r"[。？！；，、：\n]")


@dataclass(frozen=True)
class Match:
    """One place a phrase set matched: ``start``/``end`` index the original text."""

    start: int
    end: int
    text: str
    phrase: str
    score: float
    kind: MatchKind


# --- normalisation -----------------------------------------------------------------------


class _CharTable(dict[str, str]):
    """A per-character memo: ``map(table.__getitem__, text)`` runs at C speed on hits,
    which is what makes preparing a 10-minute call cost about a millisecond."""

    def __init__(self, compute: Callable[[str], str]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, ch: str) -> str:
        value = self[ch] = self._compute(ch)
        return value


def _norm_char(ch: str) -> str:
    """One character as matching sees it: Simplified, NFKC (full-width → half-width),
    lower case, punctuation in its Chinese form. Per character, not per sentence, so that
    offsets map back one to one."""
    out = unicodedata.normalize("NFKC", ch).lower()
    if out and ord(out[0]) > 0x2E7F:  # CJK: OpenCC's table (a no-op on Simplified text)
        out = to_simplified(out)
    return "".join(_PUNCT.get(c, c) for c in out)


def _pinyin_char(ch: str) -> str:
    """Toneless pinyin of a squashed character; letters and digits stand for themselves."""
    if "\u3400" <= ch <= "\u9fff":
        from pypinyin import lazy_pinyin

        return str(lazy_pinyin(ch)[0])
    return ch


_char_norm = _CharTable(_norm_char).__getitem__
_syllable = _CharTable(_pinyin_char).__getitem__


class TextIndex:
    """A text prepared for matching, with maps from every derived form back to it."""

    __slots__ = (
        "_py_starts",
        "norm",
        "norm_to_orig",
        "original",
        "py",
        "sq_to_norm",
        "squashed",
        "syllable_set",
        "syllables",
    )

    def __init__(self, text: str) -> None:
        self.original = text
        parts = list(map(_char_norm, text))
        if all(len(p) == 1 for p in parts):  # the usual case: one character in, one out
            norm = parts
            norm_to_orig = list(range(len(text)))
        else:
            norm, norm_to_orig = [], []
            for i, part in enumerate(parts):
                norm.extend(part)
                norm_to_orig.extend([i] * len(part))
        if any(c.isspace() for c in norm):
            # Spaces matter only between Latin letters or digits ("ok la"); between
            # Chinese characters the recogniser puts them at random.
            keep = [
                j
                for j, c in enumerate(norm)
                if not c.isspace()
                or (0 < j < len(norm) - 1 and norm[j - 1].isascii() and norm[j + 1].isascii())
            ]
            norm = [norm[j] for j in keep]
            norm_to_orig = [norm_to_orig[j] for j in keep]
        self.norm = "".join(norm)
        self.norm_to_orig = norm_to_orig
        self.sq_to_norm = [j for j, c in enumerate(self.norm) if c.isalnum() and c not in _FILLERS]
        self.squashed = "".join(self.norm[j] for j in self.sq_to_norm)
        self.syllables = tuple(map(_syllable, self.squashed))
        self.syllable_set = frozenset(self.syllables)
        # " a b c ": every syllable is fenced by spaces, so a phrase only matches whole ones
        self.py = " " + " ".join(self.syllables) + " "
        self._py_starts = list(
            itertools.accumulate((len(syl) + 1 for syl in self.syllables[:-1]), initial=1)
        )

    def syllable_at(self, py_offset: int) -> int:
        """The syllable containing a character offset of ``py``."""
        return max(0, bisect.bisect_right(self._py_starts, py_offset) - 1)

    def span_from_squashed(self, start: int, end: int) -> tuple[int, int, int]:
        """(orig_start, orig_end, norm_start) of squashed characters ``start:end``."""
        n0 = self.sq_to_norm[start]
        n1 = self.sq_to_norm[end - 1]
        return self.norm_to_orig[n0], self.norm_to_orig[n1] + 1, n0

    def span_from_norm(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:  # an empty regex match: point at where it is
            o = self.norm_to_orig[start] if start < len(self.norm_to_orig) else len(self.original)
            return o, o
        return self.norm_to_orig[start], self.norm_to_orig[end - 1] + 1

    def sentence(self, norm_pos: int, *, clause: bool = False) -> str:
        """The normalised sentence (or comma clause) around a position, for ``exclude``."""
        text = self.norm
        ends = _CLAUSE_END if clause else _SENTENCE_END
        starts = [m.end() for m in ends.finditer(text, 0, norm_pos)]
        begin = starts[-1] if starts else 0
        stop = ends.search(text, norm_pos)
        return text[begin : stop.start() if stop else len(text)]


def normalise(text: str) -> str:
    """The form phrases are compared in (what :class:`TextIndex` calls ``squashed``)."""
    return TextIndex(text).squashed


# --- compiled phrase sets ----------------------------------------------------------------


@dataclass(frozen=True)
class _Fuzzy:
    phrase: str
    py: str  # syllables joined by single spaces
    n: int
    syllables: frozenset[str]
    need: int  # distinct syllables that must occur as such (see _fuzzy_matches)


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
        threshold: float = 0.85,
        exact: bool = False,
        fuzzy_min_syllables: int = 4,
        homophone_min_syllables: int = 2,
    ) -> None:
        self.threshold = threshold
        by_squashed: dict[str, str] = {}
        for phrase in phrases:
            squashed = normalise(phrase)
            if squashed:
                by_squashed.setdefault(squashed, phrase)
        self._canonical = by_squashed
        self._exact = _alternation(by_squashed)
        by_py: dict[str, str] = {}
        fuzzy: list[_Fuzzy] = []
        if not exact:
            for squashed, phrase in by_squashed.items():
                syllables = [_syllable(c) for c in squashed]
                if len(syllables) >= homophone_min_syllables:
                    by_py.setdefault(" " + " ".join(syllables) + " ", phrase)
                if threshold < 1 and len(syllables) >= fuzzy_min_syllables:
                    distinct = frozenset(syllables)
                    fuzzy.append(
                        _Fuzzy(
                            phrase,
                            " ".join(syllables),
                            len(syllables),
                            distinct,
                            (len(distinct) + 1) // 2,
                        )
                    )
        self._homophone = (
            re.compile(" (?:" + "|".join(re.escape(p.strip()) for p in _longest(by_py)) + ")(?= )")
            if by_py
            else None
        )
        self._by_py = {p.strip(): phrase for p, phrase in by_py.items()}
        self._fuzzy = fuzzy
        self._patterns = [(p, re.compile(p)) for p in patterns]
        self._exclude = re.compile("|".join(f"(?:{p})" for p in exclude)) if exclude else None
        self._clause = exclude_scope == "clause"

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
                if index.squashed[k0:k1] != normalise(phrase) and (
                    _common_word(said) or (k1 - k0 == 2 and _straddles(index.original, o0, o1))
                ):
                    # a real word that sounds the same (之前 is not 致歉), or the end of one
                    # word and the start of the next (单笔|最高 is not 闭嘴)
                    continue
                found.append((Match(o0, o1, said, phrase, 1.0, "homophone"), n0))
        for source, regex in self._patterns:
            for m in regex.finditer(index.norm):
                o0, o1 = index.span_from_norm(m.start(), m.end())
                found.append(
                    (Match(o0, o1, index.original[o0:o1], source, 1.0, "pattern"), m.start())
                )
        if fuzzy and self._fuzzy and len(index.syllables) >= 2:
            found.extend(self._fuzzy_matches(index))
        if self._exclude is not None:
            found = [
                (m, n)
                for m, n in found
                if not self._exclude.search(index.sentence(n, clause=self._clause))
            ]
        return _non_overlapping(m for m, _ in found)

    def _fuzzy_matches(self, index: TextIndex) -> Iterable[tuple[Match, int]]:
        # A recognition error garbles a syllable or two, not most of a phrase: a phrase
        # none of whose syllables (or fewer than half) occur in the text cannot be there.
        # This set test is what keeps near-homophone search cheap on a long call.
        present = index.syllable_set
        candidates = [f for f in self._fuzzy if len(f.syllables & present) >= f.need]
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
            o0, o1, n0 = index.span_from_squashed(k0, k1)
            kind: MatchKind = (
                "exact" if index.squashed[k0:k1] == normalise(cand.phrase) else "fuzzy"
            )
            yield Match(o0, o1, index.original[o0:o1], cand.phrase, score, kind), n0

    def _align(
        self, cand: _Fuzzy, index: TextIndex, haystack: str
    ) -> tuple[int, int, float] | None:
        """Snap rapidfuzz's character alignment to whole syllables and re-score there."""
        al = fuzz.partial_ratio_alignment(cand.py, haystack)
        if al is None:
            return None
        s0 = index.syllable_at(al.dest_start + 1)
        s1 = index.syllable_at(max(al.dest_start, al.dest_end - 1) + 1) + 1
        best: tuple[int, int, float] | None = None
        for a in (s0 - 1, s0, s0 + 1):
            for b in (s1 - 1, s1, s1 + 1):
                # A dropped syllable is a plausible recognition error only in a long
                # phrase; in a short one it is another phrase (垃圾银行 vs 手机银行).
                if a < 0 or b > len(index.syllables) or b - a < cand.n - cand.n // 6:
                    continue
                said = index.syllables[a:b]
                score = fuzz.ratio(cand.py, " ".join(said)) / 100
                if score < self.threshold or (best is not None and score <= best[2]):
                    continue
                if not _near_homophone(cand.py.split(" "), said, max(1, cand.n // 4)):
                    continue
                best = (a, b, score)
        return best


def _near_homophone(phrase: Sequence[str], said: Sequence[str], max_wrong: int) -> bool:
    """Letters alone are lenient on long phrases (已经为您冻结 / 已经给您登记 differ by a
    letter or two per syllable): allow ``max_wrong`` wrong syllables, and a substituted
    syllable must itself sound alike (zhang/chang, lai/nai; not xia/qi: 吓死 is not 气死)."""
    ops = Levenshtein.editops(list(phrase), list(said))
    if len(ops) > max_wrong:
        return False
    return all(
        fuzz.ratio(phrase[op.src_pos], said[op.dest_pos]) >= 60 for op in ops if op.tag == "replace"
    )


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


@functools.lru_cache(maxsize=8192)
def _common_word(text: str) -> bool:
    """Whether ``text`` is a frequent word of jieba's dictionary (False without jieba).

    Recognition errors that keep the sound mostly produce non-words (公号, 报歉, 却认);
    a same-sounding *frequent* word (之前 for 致歉, 统一 for 同意) is what was said.
    """
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba is a dependency of the spaCy segmenter
        return False
    jieba.setLogLevel(logging.WARNING)  # its start-up chatter is DEBUG/INFO noise
    jieba.dt.check_initialized()
    return (jieba.get_FREQ(to_simplified(text)) or 0) >= _COMMON_WORD_FREQ


_COMMON_WORD_FREQ = 50


def _straddles(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` ends one longer word and starts another."""
    edges = _word_edges(text)
    if edges is None:
        return False
    starts, ends = edges
    inside_first = any(s < start < e for s, e in zip(starts, ends, strict=True))
    inside_last = any(s < end < e for s, e in zip(starts, ends, strict=True))
    return inside_first and inside_last  # jieba counts: 致歉 62 / 之前 8828, 全名 71 / 全民 1326


# --- whole words for evidence ------------------------------------------------------------


@functools.cache
def _tokenizer() -> Callable[[str], Any] | None:
    """spaCy's blank Chinese pipeline with the jieba segmenter, or None if unavailable.

    Phrases are *not* added to jieba's dictionary: it is process-wide and the recogniser's
    text clean-up shares it. Matching is on characters; jieba only widens a quote to words.
    """
    try:
        import jieba
        import spacy

        jieba.setLogLevel(logging.WARNING)  # its start-up chatter is DEBUG/INFO noise
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    except Exception:  # pragma: no cover - spaCy or jieba missing: quote characters as matched
        return None
    return nlp.make_doc


def warm_up() -> None:
    """Load the tokeniser now (seconds), not during the first call's evaluation."""
    tokenizer = _tokenizer()
    if tokenizer is not None:
        tokenizer("您好")


@functools.lru_cache(maxsize=4096)
def _word_edges(text: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Start and end offsets of the words of a text (segmenting is the slow part)."""
    tokenizer = _tokenizer()
    if tokenizer is None:
        return None
    doc = tokenizer(text)
    return tuple(t.idx for t in doc), tuple(t.idx + len(t.text) for t in doc)


def word_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a character span to the jieba words it touches (as spaCy's
    ``doc.char_span(start, end, alignment_mode="expand")`` does)."""
    edges = _word_edges(text)
    if edges is None or start >= end:
        return start, end
    starts, ends = edges
    i = max(0, bisect.bisect_right(starts, start) - 1)
    j = bisect.bisect_left(ends, end)
    return starts[i], (ends[j] if j < len(ends) else end)
