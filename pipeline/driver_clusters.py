"""Suggested new drivers: calls that fit no driver of the taxonomy, grouped by sentence
similarity (multilingual-e5-small vectors, agglomerative clustering on cosine distance),
each group with its most typical utterances (closest to the group's centre), for the
compliance team to name and add to rules/drivers.yaml."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.embeddings import SentenceEncoder


@dataclass(frozen=True)
class Suggestion:
    size: int  # calls in the group
    typical: tuple[str, ...]  # its most typical utterances, best first
    call_ids: tuple[str, ...]
    cohesion: float  # mean cosine similarity of the calls to the group's centre


def suggest_drivers(
    calls: Sequence[tuple[str, Sequence[str]]],
    encoder: SentenceEncoder,
    *,
    distance: float = 0.05,
    min_calls: int = 2,
    typical: int = 3,
) -> list[Suggestion]:
    """``calls``: (call id, its telling utterances). A call is the mean of its utterances'
    vectors; groups closer than ``distance`` (1 - cosine, average linkage) merge; groups of
    fewer than ``min_calls`` calls are left out. Largest groups first."""
    kept = [(cid, [u for u in said if u.strip()]) for cid, said in calls]
    kept = [(cid, said) for cid, said in kept if said]
    if len(kept) < max(2, min_calls):
        return []
    texts = [u for _, said in kept for u in said]
    vectors = encoder.encode(texts)
    owner = np.repeat(np.arange(len(kept)), [len(said) for _, said in kept])
    centres = np.vstack([vectors[owner == i].mean(axis=0) for i in range(len(kept))])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    ).fit_predict(centres)
    out = []
    for label in set(labels.tolist()):
        members = np.flatnonzero(labels == label)
        if len(members) < min_calls:
            continue
        centre = centres[members].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        in_group = np.flatnonzero(np.isin(owner, members))
        closeness = vectors[in_group] @ centre
        order = in_group[np.argsort(-closeness)]
        seen: list[str] = []
        for index in order:
            if texts[index] not in seen:
                seen.append(texts[index])
            if len(seen) == typical:
                break
        out.append(
            Suggestion(
                size=len(members),
                typical=tuple(seen),
                call_ids=tuple(kept[i][0] for i in members),
                cohesion=round(float((centres[members] @ centre).mean()), 4),
            )
        )
    out.sort(key=lambda s: (-s.size, -s.cohesion))
    return out
