"""Text clean-up after recognition: script conversion and the repetition-loop guard."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

Script = Literal["simplified", "traditional", "as_recognised"]
T = TypeVar("T")

# Whisper's well-known inventions on silence and music (subtitle credits, video outros).
# A segment that is nothing but one of these is dropped.
SILENCE_HALLUCINATIONS = (
    "字幕由amara.org社区提供",
    "请不吝点赞订阅转发打赏支持明镜与点点栏目",
    "优优独播剧场",
    "谢谢观看",
    "感谢观看",
    "中文字幕",
    "字幕志愿者",
    "thankyouforwatching",
    "thanksforwatching",
    "pleasesubscribe",
)
_NON_WORD = re.compile(r"[\s\W_]+", re.UNICODE)

# What a writer or a recogniser puts between clauses, in Chinese and ASCII punctuation (a
# recogniser writes ASCII commas): a phrase matched by its sound does not run across one,
# and a driver keyword heard by sound stays within one clause.
CLAUSE_MARKS = "，。？！；：、,.?!;:…"


@functools.cache
def script_converter(script: Script) -> Callable[[str], str]:
    """A function converting Chinese text to ``script`` (OpenCC tables)."""
    if script == "as_recognised":
        return lambda text: text
    from opencc import OpenCC  # opencc-python-reimplemented: pure Python, same tables

    return OpenCC("t2s" if script == "simplified" else "s2t").convert


def to_simplified(text: str) -> str:
    return script_converter("simplified")(text)


def is_silence_hallucination(text: str) -> bool:
    """A segment that is (mostly) one of Whisper's stock inventions, never a short real
    word that happens to occur inside one ("谢谢" inside "谢谢观看")."""
    squashed = _squash(to_simplified(text))
    if not squashed:
        return False
    for phrase in map(_squash, SILENCE_HALLUCINATIONS):
        if phrase in squashed and len(phrase) >= 0.6 * len(squashed):
            return True
    return False


def _squash(text: str) -> str:
    return _NON_WORD.sub("", text).lower()


def collapse_repeats(
    items: Sequence[T], key: Callable[[T], str], max_repeats: int, max_unit: int = 8
) -> list[T]:
    """Cut runs where a unit of 1..max_unit items repeats more than ``max_repeats`` times.

    Greedy decoding sometimes loops ("好的好的好的好的..."): keep the first occurrence of
    a unit that repeats more often than a person plausibly would, drop the rest.
    """
    keys = [_squash(key(item)) for item in items]
    kept: list[T] = []
    i = 0
    while i < len(items):
        unit, runs = _longest_run(keys, i, max_unit)
        if runs > max_repeats:
            kept.extend(items[i : i + unit])
            i += unit * runs
        else:
            kept.append(items[i])
            i += 1
    return kept


def _longest_run(keys: Sequence[str], start: int, max_unit: int) -> tuple[int, int]:
    """The unit length (in items) and repeat count of the longest loop starting at ``start``."""
    best_unit, best_runs = 1, 1
    for unit in range(1, max_unit + 1):
        pattern = keys[start : start + unit]
        if len(pattern) < unit or not "".join(pattern):
            break
        runs = 1
        while keys[start + runs * unit : start + (runs + 1) * unit] == pattern:
            runs += 1
        if runs * unit > best_runs * best_unit:
            best_unit, best_runs = unit, runs
    return best_unit, best_runs
