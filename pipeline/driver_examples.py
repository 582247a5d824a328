"""The taxonomy as the driver classifier compares with it (pipeline/drivers.py): the
examples' vectors, the keywords and their sounds, the complaint examples and categories."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.textnorm import to_simplified
from models.embeddings import SentenceEncoder
from pipeline.driver_text import clean, sound
from rules.drivers import Taxonomy


@dataclass(frozen=True)
class DriverExamples:
    """The taxonomy as the classifier compares with it: example vectors and keywords."""

    texts: tuple[str, ...]
    owner: np.ndarray  # driver index per example; len(drivers) = background
    vectors: np.ndarray
    keywords: tuple[tuple[str, ...], ...]
    sounds: tuple[tuple[str, ...], ...]
    complaint_vectors: np.ndarray
    category_owner: tuple[int, ...]
    category_vectors: np.ndarray
    outranks: tuple[frozenset[int], ...]  # per driver, the drivers it goes before


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
        # the keywords as toneless pinyin: recognition writes 还款 as 环宽, 理财 as 里才
        sounds=tuple(
            tuple(p for k in words if len(p := sound(k)) > len(" a a ")) for words in keywords
        ),
        complaint_vectors=vectors[n : n + m],
        category_owner=tuple(i for i, _ in categories),
        category_vectors=vectors[n + m :],
        outranks=tuple(
            frozenset(i for i, other in enumerate(taxonomy.drivers) if other.id in d.outranks)
            for d in taxonomy.drivers
        ),
    )
