"""Why the customer called: each utterance of the call is matched against the taxonomy's
example utterances by sentence similarity (multilingual-e5-small) plus its keywords, and
the call's drivers are what its telling utterances point at, best first, with evidence.

How a call adds up (tuned on the development calls, calls_ua and calls_uc, never on
calls_ub):

* every utterance of the opening (the first ten telling utterances of each side, where the
  reason is stated; ``DriverSettings.opening_*``) is compared with every example; per
  driver its closest example counts. Later utterances are not embedded, which bounds a
  long call's cost, except the customer's complaint sentences. The taxonomy's
  *background* utterances (greetings, identity answers, goodbyes) compete too, so that
  "嗯，好的" or "尾号六六八二" lends its weight to no driver;
* the per-utterance similarities become a distribution over drivers + background (a
  softmax: e5's cosines are bunched between 0.8 and 0.95, what matters is which is first);
  a driver's keyword said in the first turns of a side (as written, or by its sound for
  recognition errors) adds a vote of its own, because recognised speech embeds far from
  every example;
* an utterance weighs more when the customer says it (agents repeat the reason less
  reliably) and when it comes early (the reason is stated in the first turns); a driver
  the customer names only after naming another is a side question: its keyword votes less;
* a driver the customer names that ``outranks`` the leader in the taxonomy goes first (a
  fraud before the freeze it led to, a closure before the fee that prompted it);
* no driver is given when no utterance is close enough to its examples: the call is
  ``unmatched`` and its telling utterances are kept for clustering (``drivers_suggest``).

A short call's cost is its opening, so the classifier first embeds only the customer's
first two telling utterances and the agent's first (plus complaint sentences); when that
gives one driver whose keyword the customer said, with a third of the weight, and the
customer's opening names no other driver's keyword, that is the answer. Otherwise the whole
opening is embedded (what was already embedded is not embedded again).

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

from core.drivers import CallDrivers, DriverEvidence, DriverHit
from core.textnorm import to_simplified
from core.transcript import Transcript
from models.embeddings import MODEL_NAME, SentenceEncoder
from pipeline.driver_complaints import find_complaint
from pipeline.driver_examples import DriverExamples, embed_examples
from pipeline.driver_scores import (
    cause_first,
    closest_examples,
    echoes_dropped,
    keywords_said,
    per_side_index,
    side_questions,
    softmax,
)
from pipeline.driver_text import Utterance, clean, cut, side, what_happened
from rules.drivers import Taxonomy


@dataclass(frozen=True)
class DriverSettings:
    temperature: float = 0.012  # softmax over the closest-example cosines
    keyword_bonus: float = 0.03  # added to a driver's cosine when one of its keywords is said
    keyword_vote: float = 0.3  # and to its share of the utterance's weight
    keyword_vote_turns: int = 4  # in the first turns of each side
    # a driver the customer names only after naming another (a side question: 到账快吗
    # after asking what a transfer costs) votes with this part of keyword_vote: the reason
    # is what they name first (dev, ua, uc, ud: 0 to 0.7 decide the same)
    side_question_vote: float = 0.5
    agent_weight: float = 0.5
    position_decay: float = 0.12  # weight 1 / (1 + decay * k) for the k-th telling utterance
    min_chars: int = 3  # shorter utterances (嗯, 喂, 好的) tell nothing
    # best evidence below this: unmatched. e5-small bunches: matched calls' evidence sits at
    # 0.89-0.98 (recognised text lower), banking topics the taxonomy lacks at 0.87-0.91
    # (dev + ua, bench_drivers); a keyword (or its sound) lets lower evidence count
    min_similarity: float = 0.905
    # when the evidence also says one of its keywords (recognised speech: 理财 heard as 里才
    # embeds at 0.86-0.88; dev, ua, uc and ua audio)
    min_similarity_keyword: float = 0.86
    # nor a primary driver with less of the call's weight: a call about something the
    # taxonomy lacks spreads its weight over the nearest drivers (0.12-0.15 each, dev + ua
    # with wealth, loans and fees left out), and is left unmatched for clustering
    min_share: float = 0.15
    # unless the customer named the driver by keyword: agent turns dilute a stated reason
    min_share_named: float = 0.12
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
    # A short call costs its opening, most of it: first only the first quick_customer
    # customer and quick_agent agent utterances (and the complaint sentences) are embedded;
    # when the customer said a keyword of the driver they point at, and it holds sure_share
    # of their weight, that is the answer, otherwise the whole opening is (None: always)
    quick_customer: int | None = 2
    quick_agent: int = 1
    sure_share: float = 0.35


def legacy_settings() -> DriverSettings:
    """Every utterance embedded whole: the classifier before the opening was bounded, kept
    for bench/bench_drivers.py's side-by-side."""
    return DriverSettings(
        opening_customer=None, opening_agent=None, max_chars=None, quick_customer=None
    )


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
        self._examples: DriverExamples | None = None
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

    def _ready(self) -> DriverExamples:
        with self._loading:  # two threads classifying at once embed the examples once
            if self._examples is None:
                self._examples = embed_examples(self.taxonomy, self.encoder)
            return self._examples

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
        return [telling[i] for i in self._classified(telling)[1]]

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
        late = [
            i for i, u in enumerate(telling) if i not in chosen and self._complains(u, texts[i])
        ]
        return opening, late[: cfg.opening_customer]  # enough for category and severity

    def _complains(self, u: Utterance, text: str) -> bool:
        """A customer utterance with a complaint keyword."""
        return side(u) == "customer" and any(k in text for k in self._complaint_keywords)

    @functools.cached_property
    def _complaint_keywords(self) -> tuple[str, ...]:
        return tuple(to_simplified(k) for k in self.taxonomy.complaints.keywords)

    def classify(self, utterances: Sequence[Utterance]) -> CallDrivers:
        return self._classified(self._telling(utterances))[0]

    def _classified(self, telling_all: Sequence[Utterance]) -> tuple[CallDrivers, list[int]]:
        """The call's drivers, and which of its telling utterances were embedded."""
        cfg = self.settings
        if not telling_all:
            return CallDrivers(taxonomy=self.taxonomy.label), []
        ex = self._ready()
        texts_all = [clean(u.text) for u in telling_all]
        opening, late = self._selection(telling_all, texts_all)
        vectors: dict[int, np.ndarray] = {}

        def embed(rows: list[int]) -> None:  # one encode call; nothing embedded twice
            missing = [i for i in rows if i not in vectors]
            if missing:
                encoded = self.encoder.encode([cut(texts_all[i], cfg.max_chars) for i in missing])
                vectors.update(zip(missing, encoded, strict=True))

        if cfg.quick_customer is not None:
            quick = self._quick(telling_all, opening)
            # the opening's complaint sentences too, for the complaint and its category
            said = [
                i
                for i in opening
                if i not in quick and self._complains(telling_all[i], texts_all[i])
            ]
            embed(quick + said + late)
            result, sure = self._decide(ex, telling_all, texts_all, quick, said + late, vectors)
            named = self._keyword_drivers(telling_all, texts_all, opening)
            if sure and len(result.drivers) == 1 and named <= {result.drivers[0].driver}:
                return result, sorted(vectors)
        embed(opening + late)
        return self._decide(ex, telling_all, texts_all, opening, late, vectors)[0], sorted(vectors)

    def _keyword_drivers(
        self, telling_all: Sequence[Utterance], texts_all: Sequence[str], rows: Sequence[int]
    ) -> set[str]:
        """The drivers whose keywords the customer says in these utterances (no model), not
        counting echoes of the agent."""
        ex = self._ready()
        customer = [i for i in rows if side(telling_all[i]) == "customer"]
        n = len(self.taxonomy.drivers) + 1
        # as written: two syllables by sound are found inside other words (寄卡 in 借记卡)
        said = keywords_said([texts_all[i] for i in customer], ex, (len(customer), n), False)
        said = echoes_dropped(said, customer, telling_all, texts_all, ex)
        return {self.taxonomy.drivers[c].id for c in np.flatnonzero(said[:, :-1].any(axis=0))}

    def _quick(self, telling: Sequence[Utterance], opening: Sequence[int]) -> list[int]:
        """The first few utterances of each side: where the reason is said first."""
        cfg = self.settings
        limits = {"customer": cfg.quick_customer or 0, "agent": cfg.quick_agent}
        seen = {"customer": 0, "agent": 0}
        quick = []
        for i in opening:
            said_by = side(telling[i])
            if seen[said_by] < limits[said_by]:
                quick.append(i)
            seen[said_by] += 1
        return quick

    def _decide(
        self,
        ex: DriverExamples,
        telling_all: Sequence[Utterance],
        texts_all: Sequence[str],
        chosen: Sequence[int],
        late: Sequence[int],
        vectors: Mapping[int, np.ndarray],
    ) -> tuple[CallDrivers, bool]:
        """The call's drivers judged on the ``chosen`` utterances (indices into
        ``telling_all``, embedded in ``vectors``), its complaint on those and ``late``; and
        whether the primary driver is sure: the customer said one of its keywords and it
        holds ``sure_share`` of the weight, so more utterances would not change it."""
        cfg = self.settings
        telling = [telling_all[i] for i in chosen]
        texts = [texts_all[i] for i in chosen]
        matrix = np.stack([vectors[i] for i in chosen])
        best, best_example = closest_examples(matrix, ex, len(self.taxonomy.drivers) + 1)
        # a keyword only supposed or asked about (如果被盗刷了怎么办) is not why they call
        said_now = keywords_said([what_happened(t) for t in texts], ex, best.shape)
        keyword_said = echoes_dropped(said_now, chosen, telling_all, texts_all, ex)
        boosted = best.copy()
        boosted[keyword_said] += cfg.keyword_bonus
        shares = softmax(boosted / cfg.temperature)
        weights = self._weights(telling)
        # a keyword said also votes on its own: recognised speech embeds far from every
        # example (理财 heard as 里才), where the cosines alone barely move; in the first
        # turns of each side, where the reason is said (later, agents offer other products
        # and customers ask side questions), a side question's at side_question_vote
        early = per_side_index(telling) < cfg.keyword_vote_turns
        voting = keyword_said[:, :-1] & early[:, None]
        customer = np.array([side(u) == "customer" for u in telling])
        vote = np.where(side_questions(voting, customer), cfg.side_question_vote, 1.0)
        votes = voting * vote * cfg.keyword_vote + shares[:, :-1]
        totals = (votes * weights[:, None]).sum(axis=0)
        mass = float(totals.sum()) or 1.0
        ranked = [int(c) for c in np.argsort(-totals)]
        named = (keyword_said[:, :-1] & customer[:, None]).any(axis=0)
        order = cause_first(ranked, ex.outranks, named)
        promoted = order[0] if order[0] != ranked[0] else None  # it needs no share
        # the driver it was put before is its consequence (the freeze of a fraud, the
        # arrears of a loan): part of it, not a second reason
        folded = ex.outranks[promoted] if promoted is not None else frozenset()
        hits: list[DriverHit] = []
        primary = -1  # the driver of hits[0]: order[0] gives way when it has no evidence
        for c in (o for o in order[: cfg.max_drivers] if o not in folded):
            share = float(totals[c]) / mass
            floor = cfg.min_share_named if named[c] else cfg.min_share
            if share < (cfg.secondary_share if hits else floor) and c != promoted:
                break
            # the evidence: the utterance giving the driver most weight among those close
            # enough to its examples (a garbled one may weigh most and still be too far);
            # a driver with none gives way to the next, then judged as the primary
            floors = np.where(keyword_said[:, c], cfg.min_similarity_keyword, cfg.min_similarity)
            contributions = np.where(best[:, c] >= floors, votes[:, c] * weights, -1.0)
            row = int(contributions.argmax())
            if contributions[row] < 0:
                continue
            if not hits:
                primary = c
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
        rows = [*chosen, *late]
        complaint = find_complaint(
            ex,
            self.taxonomy.complaints,
            self._complaint_keywords,
            self.settings.complaint_similarity,
            [telling_all[i] for i in rows],
            [texts_all[i] for i in rows],
            np.stack([vectors[i] for i in rows]),
            said,
        )
        unmatched: tuple[str, ...] = ()
        if not hits:
            ranked = sorted(
                (i for i, u in enumerate(telling) if side(u) == "customer"),
                key=lambda i: -float(1.0 - shares[i, -1]) * float(weights[i]),
            )
            unmatched = tuple(telling[i].text for i in ranked[:3])
        # judged on the driver given first, which is not order[0] when that one had no
        # evidence close enough: the customer must have named the driver that is answered
        sure = bool(hits) and hits[0].score >= cfg.sure_share and bool(named[primary])
        drivers = CallDrivers(
            taxonomy=self.taxonomy.label,
            drivers=tuple(hits),
            complaint=complaint,
            unmatched=unmatched,
        )
        return drivers, sure

    def _weights(self, telling: Sequence[Utterance]) -> np.ndarray:
        cfg = self.settings
        agent = np.array([side(u) == "agent" for u in telling])
        spoken = np.where(agent, cfg.agent_weight, 1.0)
        return (spoken / (1.0 + cfg.position_decay * per_side_index(telling))).astype(np.float32)

    def _evidence(
        self, ex: DriverExamples, u: Utterance, score: float, example: int
    ) -> DriverEvidence:
        return DriverEvidence(
            turn=u.turn,
            start=u.start,
            speaker=side(u),
            text=u.text,
            score=round(float(score), 4),
            example=ex.texts[int(example)],
        )


@functools.lru_cache(maxsize=4)
def load_classifier(taxonomy_path: str | None = None) -> DriverClassifier:
    """One classifier per taxonomy file and process. Only the taxonomy is read here: the
    model and the examples' vectors load when the first call is classified."""
    from rules.drivers import load_taxonomy

    return DriverClassifier(load_taxonomy(taxonomy_path))
