"""Why the customer called: each utterance of the call is matched against the taxonomy's
example utterances by sentence similarity (multilingual-e5-small) plus its keywords, and
the call's drivers are what its telling utterances point at, best first, with evidence.

How a call adds up (tuned on the development calls and calls_ua, never on calls_ub):

* every utterance is compared with every example; per driver its closest example counts.
  The taxonomy's *background* utterances (greetings, identity answers, goodbyes) compete
  too, so that "嗯，好的" or "尾号六六八二" lends its weight to no driver;
* the per-utterance similarities become a distribution over drivers + background (a
  softmax: e5's cosines are bunched between 0.8 and 0.95, what matters is which is first);
* an utterance weighs more when the customer says it (agents repeat the reason less
  reliably) and when it comes early (the reason is stated in the first turns);
* no driver is given when the best evidence is not close to any example: the call is
  ``unmatched`` and its telling utterances are kept for clustering (``drivers_suggest``).

Complaints: a customer utterance with a complaint keyword, or close to the complaint
examples, makes the call a complaint; its category is the closest complaint category to
those utterances, its severity the taxonomy's cues (regulator, media, lawyer: high).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.drivers import CallDrivers, ComplaintFinding, DriverEvidence, DriverHit, Severity
from core.textnorm import to_simplified
from core.transcript import Transcript
from models.embeddings import SentenceEncoder
from rules.drivers import Taxonomy

_NOT_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class DriverSettings:
    temperature: float = 0.012  # softmax over the closest-example cosines
    keyword_bonus: float = 0.03  # added to a driver's cosine when one of its keywords is said
    agent_weight: float = 0.5
    position_decay: float = 0.12  # weight 1 / (1 + decay * k) for the k-th telling utterance
    min_chars: int = 3  # shorter utterances (嗯, 喂, 好的) tell nothing
    # best evidence below this: unmatched. e5-small bunches: matched calls' evidence sits at
    # 0.89-0.98 (recognised text lower), banking topics the taxonomy lacks at 0.87-0.91
    # (dev + ua, bench_drivers); a keyword (or its sound) lets lower evidence count
    min_similarity: float = 0.905
    min_similarity_keyword: float = 0.88  # when the evidence also says one of its keywords
    min_share: float = 0.15  # nor a primary driver with less of the call's weight
    secondary_share: float = 0.25  # a second driver needs this share of the call's weight
    complaint_similarity: float = 0.95  # e5 barely separates complaints: keywords decide
    max_drivers: int = 3


@dataclass(frozen=True)
class Utterance:
    text: str
    turn: int | None = None
    start: float | None = None
    speaker: str | None = "customer"


class DriverClassifier:
    """The taxonomy's examples embedded once; ``classify`` for calls, ``classify_texts`` for
    survey comments."""

    def __init__(
        self, taxonomy: Taxonomy, encoder: SentenceEncoder, settings: DriverSettings | None = None
    ) -> None:
        self.taxonomy = taxonomy
        self.encoder = encoder
        self.settings = settings or DriverSettings()
        examples: list[str] = []
        owner: list[int] = []  # driver index; len(drivers) = background
        for index, driver in enumerate(taxonomy.drivers):
            examples += driver.examples
            owner += [index] * len(driver.examples)
        examples += taxonomy.background
        owner += [len(taxonomy.drivers)] * len(taxonomy.background)
        self._examples = examples
        self._owner = np.asarray(owner)
        self._vectors = encoder.encode([_clean(e) for e in examples])
        self._keywords = [
            tuple(to_simplified(k).lower() for k in d.keywords) for d in taxonomy.drivers
        ]
        # the same keywords as toneless pinyin: recognition writes 还款 as 环宽, 理财 as 里才
        self._sounds = [
            tuple(p for k in words if len(p := _sound(k)) > len(" a a "))
            for words in self._keywords
        ]
        complaints = taxonomy.complaints
        self._complaint_vectors = encoder.encode([_clean(e) for e in complaints.examples])
        self._complaint_keywords = tuple(to_simplified(k) for k in complaints.keywords)
        self._category_examples: list[tuple[int, str]] = [
            (i, e) for i, c in enumerate(complaints.categories) for e in c.examples
        ]
        self._category_vectors = encoder.encode([_clean(e) for _, e in self._category_examples])

    @property
    def label(self) -> str:
        return f"{self.taxonomy.label}+{self.encoder.name}"

    def classify_transcript(self, transcript: Transcript) -> CallDrivers:
        return self.classify(
            [
                Utterance(text=t.text, turn=i, start=t.start, speaker=t.speaker)
                for i, t in enumerate(transcript.turns)
            ]
        )

    def classify_texts(self, texts: Sequence[str]) -> list[CallDrivers]:
        """Survey comments and other free text: each text is one customer utterance."""
        return [self.classify([Utterance(text=t)]) for t in texts]

    def classify(self, utterances: Sequence[Utterance]) -> CallDrivers:
        cfg = self.settings
        telling = [u for u in utterances if len(_clean(u.text).replace(" ", "")) >= cfg.min_chars]
        if not telling:
            return CallDrivers(taxonomy=self.taxonomy.label)
        texts = [_clean(u.text) for u in telling]
        vectors = self.encoder.encode(texts)
        n_classes = len(self.taxonomy.drivers) + 1
        sims = vectors @ self._vectors.T  # (utterances, examples)
        best = np.full((len(telling), n_classes), -1.0, dtype=np.float32)
        best_example = np.zeros((len(telling), n_classes), dtype=np.int64)
        for c in range(n_classes):
            columns = np.flatnonzero(self._owner == c)
            if columns.size:
                block = sims[:, columns]
                best[:, c] = block.max(axis=1)
                best_example[:, c] = columns[block.argmax(axis=1)]
        boosted = best.copy()
        keyword_said = np.zeros_like(best, dtype=bool)
        for row, text in enumerate(texts):
            lowered, sound = text.lower(), _sound(text)
            for c, words in enumerate(self._keywords):
                if any(w in lowered for w in words) or any(p in sound for p in self._sounds[c]):
                    boosted[row, c] += cfg.keyword_bonus
                    keyword_said[row, c] = True
        shares = _softmax(boosted / cfg.temperature)
        weights = self._weights(telling)
        totals = (shares[:, :-1] * weights[:, None]).sum(axis=0)
        order = [int(c) for c in np.argsort(-totals)]
        mass = float(totals.sum()) or 1.0
        hits: list[DriverHit] = []
        for c in order[: cfg.max_drivers]:
            share = float(totals[c]) / mass
            if share < (cfg.secondary_share if hits else cfg.min_share):
                break
            contributions = shares[:, c] * weights
            row = int(contributions.argmax())
            floor = cfg.min_similarity_keyword if keyword_said[row, c] else cfg.min_similarity
            if best[row, c] < floor:
                continue
            hits.append(
                DriverHit(
                    driver=self.taxonomy.drivers[c].id,
                    score=round(share, 4),
                    evidence=(self._evidence(telling[row], best[row, c], best_example[row, c]),),
                )
            )
        complaint = self._complaint(telling, texts, vectors)
        unmatched: tuple[str, ...] = ()
        if not hits:
            ranked = sorted(
                (i for i, u in enumerate(telling) if u.speaker != "agent"),
                key=lambda i: -float(1.0 - shares[i, -1]) * float(weights[i]),
            )
            unmatched = tuple(telling[i].text for i in ranked[:3])
        return CallDrivers(
            taxonomy=self.taxonomy.label,
            drivers=tuple(hits),
            complaint=complaint,
            unmatched=unmatched,
        )

    def _weights(self, telling: Sequence[Utterance]) -> np.ndarray:
        cfg = self.settings
        weights = np.zeros(len(telling), dtype=np.float32)
        seen = {"customer": 0, "agent": 0}
        for i, u in enumerate(telling):
            side = "agent" if u.speaker == "agent" else "customer"
            k = seen[side]
            seen[side] += 1
            weights[i] = (cfg.agent_weight if side == "agent" else 1.0) / (
                1.0 + cfg.position_decay * k
            )
        return weights

    def _evidence(self, u: Utterance, score: float, example: int) -> DriverEvidence:
        return DriverEvidence(
            turn=u.turn,
            start=u.start,
            speaker="agent" if u.speaker == "agent" else "customer",
            text=u.text,
            score=round(float(score), 4),
            example=self._examples[int(example)],
        )

    def _complaint(
        self, telling: Sequence[Utterance], texts: Sequence[str], vectors: np.ndarray
    ) -> ComplaintFinding | None:
        cfg = self.settings
        rules = self.taxonomy.complaints
        customer = [i for i, u in enumerate(telling) if u.speaker != "agent"]
        if not customer:
            return None
        sims = vectors[customer] @ self._complaint_vectors.T
        closeness = sims.max(axis=1)
        keyworded = [any(k in texts[i] for k in self._complaint_keywords) for i in customer]
        flagged = [
            j
            for j in range(len(customer))
            if keyworded[j] or closeness[j] >= cfg.complaint_similarity
        ]
        if not flagged:
            return None
        rows = [customer[j] for j in flagged]
        category_sims = vectors[rows] @ self._category_vectors.T
        per_category = np.full(len(rules.categories), -1.0)
        for col, (category, _) in enumerate(self._category_examples):
            per_category[category] = max(per_category[category], float(category_sims[:, col].max()))
        category = int(per_category.argmax())
        strongest = max(flagged, key=lambda j: float(closeness[j]) + (0.1 if keyworded[j] else 0))
        said = " ".join(to_simplified(telling[i].text) for i in customer)
        severity, cues = _severity(said, rules.severity_cues, len(flagged))
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


def _severity(
    said: str, cues: Mapping[Severity, tuple[str, ...]], complaint_turns: int
) -> tuple[Severity, tuple[str, ...]]:
    """High when a high cue is said (regulator, media, lawyer, police); medium when a
    medium cue is said or the customer complains in three turns or more; low otherwise."""
    high = tuple(c for c in cues.get("high", ()) if to_simplified(c) in said)
    if high:
        return "high", high
    medium = tuple(c for c in cues.get("medium", ()) if to_simplified(c) in said)
    if medium or complaint_turns >= 3:
        return "medium", medium
    return "low", ()


def _clean(text: str) -> str:
    """Simplified script, punctuation and spaces squeezed: what the model and keywords see."""
    return _NOT_WORDS.sub(" ", to_simplified(text)).strip()


def _sound(text: str) -> str:
    """Toneless pinyin, syllables between spaces (" huan kuan "); other characters dropped."""
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(text, errors="ignore")
    return " " + " ".join(s for s in syllables if s.isascii() and s.isalpha()) + " "


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@functools.lru_cache(maxsize=4)
def load_classifier(taxonomy_path: str | None = None) -> DriverClassifier:
    """One classifier per taxonomy file and process (the examples are embedded once)."""
    from models.embeddings import load_encoder
    from rules.drivers import load_taxonomy

    return DriverClassifier(load_taxonomy(taxonomy_path), load_encoder())
