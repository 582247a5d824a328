"""A text prepared for phrase matching: normalised, squashed and in pinyin, with maps
from every derived form back to the original characters.

Normalised text is Simplified (OpenCC), NFKC and lower case, with punctuation in its
Chinese form (，。？！；：); squashed text also drops punctuation, spaces and hesitation
sounds (嗯, 呃); the pinyin is one toneless syllable (pypinyin) per squashed character.
Everything a text needs is computed once into a :class:`TextIndex`. A recognised text
also carries how sure the recogniser was of the word under each syllable
(``syllable_p``): phrase matching may read an unsure syllable as any (see
:mod:`rules.wildcards`).
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence

from core.textnorm import to_simplified

# Hesitation sounds the recogniser writes anywhere, even inside a set phrase
# ("请问还有，呃，其他..."). Not 额 (限额, 额度) and not sentence particles that carry tone.
_FILLERS = frozenset("嗯呃唔")
_PUNCT = {",": "，", "?": "？", "!": "！", ";": "；", ":": "："}
_SENTENCE_END = re.compile(r"[。？！；\n]")
_CLAUSE_END = re.compile(r"[。？！；，、：\n]")


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


# Taiwan usage that OpenCC's tables leave as it is, read as the mainland words the pack is
# written in: 身分證字號末四碼 is 身份证号后四位, 三個工作天內回覆 is 三个工作日内回复. Each
# replacement is as long as its word, so that offsets still map back one to one.
_MAINLAND_USAGE = {
    "身分证": "身份证",
    "末四码": "后四位",
    "末六码": "后六位",
    "末四位": "后四位",
    "末六位": "后六位",
    "工作天": "工作日",
    "回覆": "回复",
    "答覆": "答复",
}
_TAIWAN_WORD = re.compile("|".join(_MAINLAND_USAGE))


def _mainland_usage(norm: str) -> str:
    return _TAIWAN_WORD.sub(lambda m: _MAINLAND_USAGE[m.group()], norm)


_char_norm = _CharTable(_norm_char).__getitem__
# The toneless pinyin syllable of one squashed character, memoised.
syllable = _CharTable(_pinyin_char).__getitem__


class TextIndex:
    """A text prepared for matching, with maps from every derived form back to it."""

    __slots__ = (
        "_clause_starts",
        "_py_starts",
        "norm",
        "norm_to_orig",
        "original",
        "py",
        "sq_to_norm",
        "squashed",
        "syllable_p",
        "syllable_set",
        "syllables",
    )

    def __init__(
        self,
        text: str,
        word_probabilities: Sequence[tuple[int, int, float]] = (),
        pauses: Sequence[int] = (),
    ) -> None:
        """``word_probabilities``: (first char, end char, probability) of each recognised
        word of ``text``, in order; none for a written text. ``pauses``: characters of a
        recognised text before which the speaker paused where the recogniser wrote no
        punctuation; the normalised text reads a comma there (a run-on turn's clauses)."""
        self.original = text
        parts = list(map(_char_norm, text))
        for o in pauses:  # where no punctuation stands on either side already
            if 0 < o < len(parts) and not _CLAUSE_END.search(parts[o - 1][-1:] + parts[o][:1]):
                parts[o] = "，" + parts[o]
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
        self.norm = _mainland_usage("".join(norm))
        self.norm_to_orig = norm_to_orig
        self.sq_to_norm = [j for j, c in enumerate(self.norm) if c.isalnum() and c not in _FILLERS]
        self.squashed = "".join(self.norm[j] for j in self.sq_to_norm)
        self.syllables = tuple(map(syllable, self.squashed))
        self.syllable_set = frozenset(self.syllables)
        # " a b c ": every syllable is fenced by spaces, so a phrase only matches whole ones
        self.py = " " + " ".join(self.syllables) + " "
        self._py_starts = list(
            itertools.accumulate((len(syl) + 1 for syl in self.syllables[:-1]), initial=1)
        )
        self.syllable_p = self._syllable_probabilities(word_probabilities)
        self._clause_starts: list[int] | None = None

    def _syllable_probabilities(
        self, words: Sequence[tuple[int, int, float]]
    ) -> tuple[float | None, ...] | None:
        """The probability of the recognised word under each syllable (None where no word
        lines up with it); None for a text without word probabilities."""
        if not words:
            return None
        starts = [w0 for w0, _, _ in words]
        out: list[float | None] = []
        for k in range(len(self.syllables)):
            o = self.norm_to_orig[self.sq_to_norm[k]]
            j = bisect.bisect_right(starts, o) - 1
            out.append(words[j][2] if j >= 0 and o < words[j][1] else None)
        return tuple(out)

    def syllable_at(self, py_offset: int) -> int:
        """The syllable containing a character offset of ``py``."""
        return max(0, bisect.bisect_right(self._py_starts, py_offset) - 1)

    def clause_span(self, k: int) -> tuple[int, int]:
        """The squashed characters (start, end) of the comma clause holding character ``k``."""
        if self._clause_starts is None:
            ends = [m.start() for m in _CLAUSE_END.finditer(self.norm)]
            at = self.sq_to_norm
            self._clause_starts = [0] + [
                i
                for i in range(1, len(at))
                if bisect.bisect_left(ends, at[i - 1]) != bisect.bisect_left(ends, at[i])
            ]
        starts = self._clause_starts
        j = bisect.bisect_right(starts, k) - 1
        return starts[j], starts[j + 1] if j + 1 < len(starts) else len(self.squashed)

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
