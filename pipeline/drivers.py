"""Why the customer called: each utterance of the call is matched against the taxonomy's
example utterances by sentence similarity (multilingual-e5-small) plus its keywords, and
the call's drivers are what its telling utterances point at, best first, with evidence.

How a call adds up (tuned on the development calls and calls_ua, never on calls_ub):

* every utterance of the opening (the first ten telling utterances of each side, where the
  reason is stated; ``DriverSettings.opening_*``) is compared with every example; per
  driver its closest example counts. Later utterances are not embedded, which bounds a
  long call's cost, except the customer's complaint sentences. The taxonomy's
  *background* utterances (greetings, identity answers, goodbyes) compete too, so that
  "嗯，好的" or "尾号六六八二" lends its weight to no driver;
* the per-utterance similarities become a distribution over drivers + background (a
  softmax: e5's cosines are bunched between 0.8 and 0.95, what matters is which is first);
* an utterance weighs more when the customer says it (agents repeat the reason less
  reliably) and when it comes early (the reason is stated in the first turns);
* no driver is given when the best evidence is not close to any example: the call is
  ``unmatched`` and its telling utterances are kept for clustering (``drivers_suggest``).

Complaints: a customer utterance with a complaint keyword (anywhere in the call), or one
of the opening close to the complaint examples, makes the call a complaint; its category
is the closest complaint category to those utterances, its severity the taxonomy's cues
(regulator, media, lawyer: high).

Nothing is loaded until a call is classified; the examples' vectors are then kept on disk
(``SentenceEncoder.encode_kept``), so each new process reads them instead of embedding.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.drivers import CallDrivers, ComplaintFinding, DriverEvidence, DriverHit, Severity
from core.textnorm import to_simplified
from core.transcript import Transcript
from models.embeddings import MODEL_NAME, SentenceEncoder
from pipeline.driver_text import Utterance, clean, cut, side, sound
from rules.drivers import Taxonomy


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
    # What goes through e5, whose cost is its tokens (1-3 ms each on 2 shared cores): the
    # opening, where the reason is stated (the first telling utterances of each side; None:
    # all), each cut to max_chars, and every later customer utterance with a complaint
    # keyword. 10 + 10 decides every dev, ua and ua-audio call as the whole call did (fewer
    # moves some: the shares are of the embedded utterances' weight); a 10-minute call then
    # costs what a 2-minute one does
    opening_customer: int | None = 10
    opening_agent: int | None = 10
    max_chars: int | None = 60


def legacy_settings() -> DriverSettings:
    """Every utterance embedded whole: the classifier before the opening was bounded, kept
    for bench/bench_drivers.py's side-by-side."""
    return DriverSettings(opening_customer=None, opening_agent=None, max_chars=None)


@dataclass(frozen=True)
class _Examples:
    """The taxonomy as the classifier compares with it: example vectors and keywords."""

    texts: tuple[str, ...]
    owner: np.ndarray  # driver index per example; len(drivers) = background
    vectors: np.ndarray
    keywords: tuple[tuple[str, ...], ...]
    sounds: tuple[tuple[str, ...], ...]
    complaint_vectors: np.ndarray
    category_owner: tuple[int, ...]
    category_vectors: np.ndarray


class DriverClassifier:
    """``classify`` for calls, ``classify_texts`` for survey comments. Nothing is loaded
    until the first call is classified: then the model, and the taxonomy's examples
    embedded once per process (kept on disk, so a new process reads them)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        encoder: SentenceEncoder | None = None,
        settings: DriverSettings | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.settings = settings or DriverSettings()
        self._encoder = encoder
        self._examples: _Examples | None = None
        self._loading = threading.Lock()

    @property
    def label(self) -> str:
        return f"{self.taxonomy.label}+{MODEL_NAME}"

    @property
    def loaded(self) -> bool:
        """Whether the model and the examples have been loaded (by a classification)."""
        return self._examples is not None

    @property
    def encoder(self) -> SentenceEncoder:
        if self._encoder is None:
            from models.embeddings import load_encoder

            self._encoder = load_encoder()
        return self._encoder

    def _ready(self) -> _Examples:
        with self._loading:  # two threads classifying at once embed the examples once
            if self._examples is None:
                self._examples = self._embed_examples()
            return self._examples

    def _embed_examples(self) -> _Examples:
        taxonomy, encoder = self.taxonomy, self.encoder
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
        keywords = tuple(
            tuple(to_simplified(k).lower() for k in d.keywords) for d in taxonomy.drivers
        )
        return _Examples(
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
        )

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

    def embedded(self, utterances: Sequence[Utterance]) -> list[Utterance]:
        """The utterances ``classify`` puts through the model, in call order."""
        telling = self._telling(utterances)
        opening, late = self._selection(telling, [clean(u.text) for u in telling])
        return [telling[i] for i in sorted(opening + late)]

    def _telling(self, utterances: Sequence[Utterance]) -> list[Utterance]:
        floor = self.settings.min_chars
        return [u for u in utterances if len(clean(u.text).replace(" ", "")) >= floor]

    def _selection(
        self, telling: Sequence[Utterance], texts: Sequence[str]
    ) -> tuple[list[int], list[int]]:
        """Indices into ``telling``: the opening (the first telling utterances of each side,
        which the drivers are judged on) and the customer's later complaint sentences."""
        cfg = self.settings
        limits = {"customer": cfg.opening_customer, "agent": cfg.opening_agent}
        seen = {"customer": 0, "agent": 0}
        opening = []
        for i, u in enumerate(telling):
            said_by = side(u)
            limit = limits[said_by]
            if limit is None or seen[said_by] < limit:
                opening.append(i)
            seen[said_by] += 1
        chosen = set(opening)
        keywords = self._complaint_keywords
        late = [
            i
            for i, u in enumerate(telling)
            if i not in chosen and side(u) == "customer" and any(k in texts[i] for k in keywords)
        ]
        return opening, late[: cfg.opening_customer]  # enough for category and severity

    @functools.cached_property
    def _complaint_keywords(self) -> tuple[str, ...]:
        return tuple(to_simplified(k) for k in self.taxonomy.complaints.keywords)

    def classify(self, utterances: Sequence[Utterance]) -> CallDrivers:
        cfg = self.settings
        telling_all = self._telling(utterances)
        if not telling_all:
            return CallDrivers(taxonomy=self.taxonomy.label)
        ex = self._ready()
        texts_all = [clean(u.text) for u in telling_all]
        opening, late = self._selection(telling_all, texts_all)
        rows = opening + late
        vectors_all = self.encoder.encode([cut(texts_all[i], cfg.max_chars) for i in rows])
        telling = [telling_all[i] for i in opening]
        texts = [texts_all[i] for i in opening]
        vectors = vectors_all[: len(opening)]
        best, best_example = _closest_examples(vectors, ex, len(self.taxonomy.drivers) + 1)
        keyword_said = _keywords_said(texts, ex, best.shape)
        boosted = best.copy()
        boosted[keyword_said] += cfg.keyword_bonus
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
                    evidence=(
                        self._evidence(ex, telling[row], best[row, c], best_example[row, c]),
                    ),
                )
            )
        said = " ".join(to_simplified(u.text) for u in telling_all if side(u) == "customer")
        complaint = self._complaint(
            ex, [telling_all[i] for i in rows], [texts_all[i] for i in rows], vectors_all, said
        )
        unmatched: tuple[str, ...] = ()
        if not hits:
            ranked = sorted(
                (i for i, u in enumerate(telling) if side(u) == "customer"),
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
            said_by = side(u)
            k = seen[said_by]
            seen[said_by] += 1
            weights[i] = (cfg.agent_weight if said_by == "agent" else 1.0) / (
                1.0 + cfg.position_decay * k
            )
        return weights

    def _evidence(self, ex: _Examples, u: Utterance, score: float, example: int) -> DriverEvidence:
        return DriverEvidence(
            turn=u.turn,
            start=u.start,
            speaker=side(u),
            text=u.text,
            score=round(float(score), 4),
            example=ex.texts[int(example)],
        )

    def _complaint(
        self,
        ex: _Examples,
        telling: Sequence[Utterance],
        texts: Sequence[str],
        vectors: np.ndarray,
        said: str,
    ) -> ComplaintFinding | None:
        """``telling``: what was embedded (``vectors``); ``said``: all the customer said."""
        cfg = self.settings
        rules = self.taxonomy.complaints
        customer = [i for i, u in enumerate(telling) if side(u) == "customer"]
        if not customer:
            return None
        sims = vectors[customer] @ ex.complaint_vectors.T
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
        category_sims = vectors[rows] @ ex.category_vectors.T
        per_category = np.full(len(rules.categories), -1.0)
        for col, category in enumerate(ex.category_owner):
            per_category[category] = max(per_category[category], float(category_sims[:, col].max()))
        category = int(per_category.argmax())
        strongest = max(flagged, key=lambda j: float(closeness[j]) + (0.1 if keyworded[j] else 0))
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


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@functools.lru_cache(maxsize=4)
def load_classifier(taxonomy_path: str | None = None) -> DriverClassifier:
    """One classifier per taxonomy file and process. Only the taxonomy is read here: the
    model and the examples' vectors load when the first call is classified."""
    from rules.drivers import load_taxonomy

    return DriverClassifier(load_taxonomy(taxonomy_path))


def _closest_examples(vectors: np.ndarray, ex: _Examples, n: int) -> tuple[np.ndarray, ...]:
    """Per utterance and class: the best similarity to one of its examples, and which."""
    sims = vectors @ ex.vectors.T  # (utterances, examples)
    best = np.full((len(vectors), n), -1.0, dtype=np.float32)
    best_example = np.zeros((len(vectors), n), dtype=np.int64)
    for c in range(n):
        columns = np.flatnonzero(ex.owner == c)
        if columns.size:
            block = sims[:, columns]
            best[:, c] = block.max(axis=1)
            best_example[:, c] = columns[block.argmax(axis=1)]
    return best, best_example


def _keywords_said(texts: Sequence[str], ex: _Examples, shape: tuple[int, ...]) -> np.ndarray:
    """Per utterance and class: a keyword said, as written or by sound (for ASR errors)."""
    said = np.zeros(shape, dtype=bool)
    for row, text in enumerate(texts):
        lowered, heard = text.lower(), sound(text)
        for c, words in enumerate(ex.keywords):
            if any(w in lowered for w in words) or any(p in heard for p in ex.sounds[c]):
                said[row, c] = True
    return said
