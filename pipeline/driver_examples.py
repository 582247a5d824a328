"""The taxonomy as the driver classifier compares with it (pipeline/drivers.py): the
examples' vectors, the keywords and their sounds, the complaint examples and categories."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.textnorm import to_simplified
from models.embeddings import SentenceEncoder
from pipeline.driver_sounds import SoundKeywords
from pipeline.driver_text import clean
from rules.drivers import Taxonomy


@dataclass(frozen=True)
class DriverExamples:
    """The taxonomy as the classifier compares with it: example vectors and keywords."""

    texts: tuple[str, ...]
    owner: np.ndarray  # driver index per example; len(drivers) = background
    vectors: np.ndarray
    keywords: tuple[tuple[str, ...], ...]
    sounds: SoundKeywords  # the keywords as heard (recognition errors)
    # per driver, its keywords as one pattern ("额度~降": 额度, then 降 a few characters on)
    patterns: tuple[re.Pattern[str] | None, ...]
    complaint_vectors: np.ndarray
    category_owner: tuple[int, ...]
    category_vectors: np.ndarray
    outranks: tuple[frozenset[int], ...]  # per driver, the drivers it goes before


# "额度~降" finds 额度 and then 降 within this many characters: said in one clause, the
# words' order varies (额度降了, 额度怎么被降了, 额度从五万降到一万) where a phrase list
# would need each wording
KEYWORD_GAP = 8


# "分#期" finds 分期 with a number between: 分三期, 分十二期, 分几期
NUMBER = "[0-9零一二三四五六七八九十百两几]{1,3}"


def keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for a driver's keywords; ``~`` between two words: both, in this order,
    at most ``KEYWORD_GAP`` characters apart; ``#``: a number."""
    if not words:
        return None
    gap = f".{{0,{KEYWORD_GAP}}}"

    def one(word: str) -> str:
        return gap.join(NUMBER.join(map(re.escape, p.split("#"))) for p in word.split("~"))

    return re.compile("|".join(one(w) for w in words))


def embed_examples(taxonomy: Taxonomy, encoder: SentenceEncoder) -> DriverExamples:
    """The taxonomy's examples embedded in one encode call (kept on disk), its keywords
    and their sounds."""
    texts: list[str] = []
    owner: list[int] = []
    for index, driver in enumerate(taxonomy.drivers):
        texts += driver.examples
        owner += [index] * len(driver.examples)
    texts += taxonomy.background
    owner += [len(taxonomy.drivers)] * len(taxonomy.background)
    complaints = taxonomy.complaints
    categories = [(i, e) for i, c in enumerate(complaints.categories) for e in c.examples]
    every = [clean(e) for e in [*texts, *complaints.examples, *(e for _, e in categories)]]
    vectors = encoder.encode_kept(every)  # one encode call for all three lists
    n, m = len(texts), len(complaints.examples)
    keywords = tuple(tuple(to_simplified(k).lower() for k in d.keywords) for d in taxonomy.drivers)
    return DriverExamples(
        texts=tuple(texts),
        owner=np.asarray(owner),
        vectors=vectors[:n],
        keywords=keywords,
        # the keywords as heard: recognition writes 还款 as 环宽, 理财 as 里才
        sounds=SoundKeywords(keywords),
        patterns=tuple(keyword_pattern(words) for words in keywords),
        complaint_vectors=vectors[n : n + m],
        category_owner=tuple(i for i, _ in categories),
        category_vectors=vectors[n + m :],
        outranks=tuple(
            frozenset(i for i, other in enumerate(taxonomy.drivers) if other.id in d.outranks)
            for d in taxonomy.drivers
        ),
    )
