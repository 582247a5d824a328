"""Regular-expression patterns matched by sound on recognised text.

A recogniser writes a same-sounding character where a pattern names a word: 我这边给您
充制了 for 重置了, 输回 for 赎回, 验证吗 for 验证码. Phrases survive this through their
homophone tier (:mod:`rules.matching`); a pattern is a regular expression, so the text is
respelt for it instead: every stretch of a recognised text that sounds like a word the
pattern names (a run of two or more literal Chinese characters in it: 重置, 已经, 验证码)
but is written otherwise is rewritten as the pattern writes it (toneless pinyin, any
reading of the pattern's characters: 重 is zhong and chong), and the patterns run again
on that text, as compiled. Offsets are unchanged (a character for a character), so
evidence still quotes what the recogniser wrote.

Single characters are not respelt (好, 是, 行 alone are too short to say anything by
sound), but for the question particle 吗: any ma (码, 马, 嘛…) where a clause ends is read
as 吗, unless it ends one of the pattern's words (号码). Respelling is only done on
recognised text (a written transcript means what it says) and only where a guess may not
make a violation (see :mod:`rules.compiled`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence

from rules.text_index import TextIndex

# A pattern word with more reading combinations than this is looked for in its usual
# readings only (a long run of many-reading characters would swell the table).
_MAX_READINGS = 64
_PARTICLE = "吗"
_SOUNDS_LIKE_PARTICLE = frozenset("嘛码马麻妈")
_CLAUSE_END = frozenset("，。？！；：、")


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _toneless(reading: str) -> str:
    """'zhòng' -> 'zhong', 'lǜ' -> 'lv': the toneless pinyin :mod:`rules.text_index` uses."""
    import unicodedata

    reading = "".join("v" if c in "üǖǘǚǜ" else c for c in reading)
    decomposed = unicodedata.normalize("NFD", reading)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading pypinyin lists for ``ch``, its usual one first."""
    from pypinyin.pinyin_dict import pinyin_dict

    listed = str(pinyin_dict.get(ord(ch), ""))
    return tuple(dict.fromkeys(_toneless(r) for r in listed.split(",") if r))


def literal_runs(source: str) -> Iterator[str]:
    """The runs of two or more literal Chinese characters of a regular expression: not
    inside a character class, not escaped."""
    run: list[str] = []
    in_class = False
    i = 0
    while i < len(source):
        ch = source[i]
        han = not in_class and _is_han(ch)
        if han:
            run.append(ch)
        else:
            if len(run) >= 2:
                yield "".join(run)
            run = []
            if ch == "\\":
                i += 1  # the escaped character is no literal of a run
            elif in_class:
                in_class = ch != "]"
            elif ch == "[":
                in_class = True
        i += 1
    if len(run) >= 2:
        yield "".join(run)


class SoundWords:
    """The words a set of patterns names, keyed by how they sound; built once. With
    ``fold``, syllables are compared folded (风向 sounds as 风险 under
    :func:`rules.near_homophones.fold_nasal`) and a clause-final ma is left alone (the
    exact respelling reads it)."""

    def __init__(
        self, patterns: Sequence[str], *, fold: Callable[[str], str] | None = None
    ) -> None:
        from rules.text_index import syllable

        self._fold = fold
        self._words: dict[tuple[str, ...], str] = {}
        for source in patterns:
            for word in literal_runs(source):
                readings = [_readings(c) or (syllable(c),) for c in word]
                combos = 1
                for r in readings:
                    combos *= len(r)
                if combos > _MAX_READINGS:
                    readings = [r[:1] for r in readings]
                for key in itertools.product(*readings):
                    self._words.setdefault(tuple(map(fold, key)) if fold else key, word)
        self._lengths = sorted({len(k) for k in self._words}, reverse=True)
        self._firsts = frozenset(k[0] for k in self._words)
        self._particle = fold is None and any(_PARTICLE in source for source in patterns)

    def __bool__(self) -> bool:
        return bool(self._words) or self._particle

    def respell(self, index: TextIndex) -> str | None:
        """``index``'s normalised text with every homophone of a pattern word written as
        the pattern has it (and a clause-final ma as 吗); None where nothing changes."""
        syllables = tuple(map(self._fold, index.syllables)) if self._fold else index.syllables
        at = index.sq_to_norm
        out = list(index.norm)
        worded: set[int] = set()  # normalised positions inside one of the words
        changed = False
        k = 0
        while k < len(syllables):
            step = 1
            if syllables[k] in self._firsts:
                for n in self._lengths:
                    if k + n > len(syllables):
                        continue
                    word = self._words.get(syllables[k : k + n])
                    if word is None or at[k + n - 1] - at[k] != n - 1:
                        continue  # not one of the words, or broken by punctuation
                    for j, c in enumerate(word):
                        changed |= out[at[k] + j] != c
                        out[at[k] + j] = c
                        worded.add(at[k] + j)
                    step = n
                    break
            k += step
        if self._particle:
            for j, c in enumerate(out):
                if (
                    c in _SOUNDS_LIKE_PARTICLE
                    and j not in worded
                    and (j + 1 == len(out) or out[j + 1] in _CLAUSE_END)
                ):
                    out[j] = _PARTICLE
                    changed = True
        return "".join(out) if changed else None
