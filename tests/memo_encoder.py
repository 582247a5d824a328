"""A sentence encoder that embeds each distinct text once, for tests that classify the same
calls with two classifier settings and compare them: the model is the real one, each
utterance simply goes through it once instead of once per classifier and per question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class MemoEncoder:
    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder
        self._seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if missing:
            self._seen.update(zip(missing, self._encoder.encode(missing, batch), strict=True))
        if not texts:
            return self._encoder.encode([])
        return np.stack([self._seen[t] for t in texts])

    def __getattr__(self, name: str) -> Any:  # name, dim, identity, encode_kept
        return getattr(self._encoder, name)
