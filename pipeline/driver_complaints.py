"""Whether a call is a complaint, and its category and severity (pipeline/drivers.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.drivers import ComplaintFinding, DriverEvidence
from pipeline.driver_scores import severity as judge_severity
from pipeline.driver_text import Utterance, side
from rules.drivers import ComplaintRules

if TYPE_CHECKING:
    from pipeline.driver_examples import DriverExamples


def find_complaint(
    ex: DriverExamples,
    rules: ComplaintRules,
    keywords: Sequence[str],
    similarity: float,
    telling: Sequence[Utterance],
    texts: Sequence[str],
    vectors: np.ndarray,
    said: str,
) -> ComplaintFinding | None:
    """A customer utterance with one of the complaint ``keywords``, or at ``similarity``
    of the complaint examples, makes the call a complaint; its category is the closest
    category to those utterances, its severity the taxonomy's cues. ``telling``: what was
    embedded (``vectors``); ``said``: all the customer said."""
    customer = [i for i, u in enumerate(telling) if side(u) == "customer"]
    if not customer:
        return None
    sims = vectors[customer] @ ex.complaint_vectors.T
    closeness = sims.max(axis=1)
    keyworded = [any(k in texts[i] for k in keywords) for i in customer]
    flagged = [j for j in range(len(customer)) if keyworded[j] or closeness[j] >= similarity]
    if not flagged:
        return None
    rows = [customer[j] for j in flagged]
    category_sims = vectors[rows] @ ex.category_vectors.T
    per_category = np.full(len(rules.categories), -1.0)
    for col, category in enumerate(ex.category_owner):
        per_category[category] = max(per_category[category], float(category_sims[:, col].max()))
    category = int(per_category.argmax())
    strongest = max(flagged, key=lambda j: float(closeness[j]) + (0.1 if keyworded[j] else 0))
    severity, cues = judge_severity(said, rules.severity_cues, len(flagged))
    row = customer[strongest]
    return ComplaintFinding(
        category=rules.categories[category].id,
        severity=severity,
        score=round(
            min(1.0, float(closeness[strongest]) + (0.05 if keyworded[strongest] else 0)), 4
        ),
        cues=cues,
        evidence=(
            DriverEvidence(
                turn=telling[row].turn,
                start=telling[row].start,
                speaker="customer",
                text=telling[row].text,
                score=round(float(closeness[strongest]), 4),
            ),
        ),
    )
