"""Words of a Chinese text (jieba, through spaCy's blank Chinese pipeline): whether a
stretch is a frequent word or straddles two words (to reject false homophones), and the
whole words around a match (to quote evidence).

Phrases are *not* added to jieba's dictionary: it is process-wide and the recogniser's
text clean-up shares it. Matching is on characters; jieba only judges and widens.
"""

from __future__ import annotations

import bisect
import functools
import logging
from collections.abc import Callable
from typing import Any

from core.textnorm import to_simplified


@functools.lru_cache(maxsize=8192)
def common_word(text: str) -> bool:
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


def straddles(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is not one word but cuts into a longer word at either
    end: the tail of one word and the head of the next (单笔|最高), or of one word and a
    word of its own (单笔|最|多: jieba does not always join 最多)."""
    edges = _word_edges(text)
    if edges is None:
        return False
    starts, ends = edges
    inside_first = any(s < start < e for s, e in zip(starts, ends, strict=True))
    inside_last = any(s < end < e for s, e in zip(starts, ends, strict=True))
    # jieba counts: 致歉 62 / 之前 8828, 全名 71 / 全民 1326
    return inside_first or inside_last


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
