"""One transcript as the rules see it: where a phrase set matched (:class:`Hit`), when in
the audio, how sure the recogniser was, and whether a hit lies where a check may look.
Every derived form is computed once per call."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from core.analysis import Evidence
from core.transcript import Transcript
from rules.compiled import CompiledCheck
from rules.matching import Match, PhraseMatcher
from rules.pack import Speaker
from rules.text_index import TextIndex
from rules.word_segmentation import word_span

# A pause this long between two recognised words ends a clause, punctuated or not: the
# recogniser often writes a whole turn as one run (好的赎回已经提交成功扣掉五百…明天到您
# 卡上), and a clause-scoped exclusion (明天: a promise) must not reach across it. On the ua
# recordings the pauses between a written transcript's clauses are 0.3-0.7 s; within a
# phrase the words run on (gaps under 0.1 s), but for numbers in digits (明天下5.|5点).
CLAUSE_PAUSE_S = 0.3


def _in_number(text: str, at: int) -> bool:
    """Whether character ``at`` belongs to a number written in digits: a pause inside
    one (明天下5.|5点) is the recogniser splitting a number, not a clause."""
    return 0 <= at < len(text) and (text[at].isdigit() or text[at] == ".")


@dataclass(frozen=True)
class Hit:
    turn: int
    match: Match
    start: float
    end: float

    @property
    def pos(self) -> tuple[int, int]:
        return (self.turn, self.match.start)

    @property
    def where(self) -> str:
        """'turn 3, 12.4 s', for reasons; a match read through a wildcard says so."""
        wildcard = self.match.wildcard
        note = f", {wildcard.describe()}" if wildcard is not None else ""
        return f"turn {self.turn}, {self.start:.1f} s{note}"


class CallView:
    """One transcript as the rules see it; every derived form is computed once."""

    def __init__(self, transcript: Transcript) -> None:
        self.turns = transcript.turns
        self.speech_end = max((t.end for t in self.turns), default=0.0)
        self._index: dict[int, TextIndex] = {}
        self._hits: dict[tuple[int, bool], list[Hit]] = {}
        self._word_spans: dict[int, list[tuple[int, int, float, float, float]]] = {}
        self.by_speaker: dict[Speaker, list[int]] = {
            "agent": [i for i, t in enumerate(self.turns) if t.speaker == "agent"],
            "customer": [i for i, t in enumerate(self.turns) if t.speaker == "customer"],
            "any": list(range(len(self.turns))),
        }

    def opening(self, speaker: Speaker, n: int) -> list[int]:
        """The speaker's first ``n`` turns, where turns the other side does not break into
        count as one (a recogniser splits one utterance into several turns; a turn spoken
        over the speaker breaks nothing): the agent's first turn ends when the customer
        answers it, so a greeting said only after 喂？… 喂，你好 is not in it."""
        turns = self.by_speaker[speaker]
        if speaker == "any":
            return turns[:n]
        opening: list[int] = []
        runs = 0
        for prev, i in zip([None, *turns], turns, strict=False):
            if prev is None or any(not self.turns[k].overlap for k in range(prev + 1, i)):
                runs += 1
                if runs > n:
                    break
            opening.append(i)
        return opening

    def index(self, i: int) -> TextIndex:
        if i not in self._index:
            spans = self._words(i)
            words = [(w0, w1, p) for w0, w1, _, _, p in spans]
            text = self.turns[i].text
            pauses = [
                nxt[0]
                for word, nxt in itertools.pairwise(spans)
                if nxt[2] - word[3] >= CLAUSE_PAUSE_S
                and not (_in_number(text, word[1] - 1) or _in_number(text, nxt[0]))
            ]
            self._index[i] = TextIndex(self.turns[i].text, words, pauses)
        return self._index[i]

    def hits(self, matcher: PhraseMatcher, speaker: Speaker, *, fuzzy: bool) -> list[Hit]:
        key = (id(matcher), fuzzy)
        if key not in self._hits:
            out = []
            for i in self.by_speaker[speaker]:
                for m in matcher.matches(self.index(i), fuzzy=fuzzy):
                    start, end = self.times(i, m.start, m.end)
                    out.append(Hit(i, m, start, end))
            self._hits[key] = out
        return self._hits[key]

    def times(self, i: int, c0: int, c1: int) -> tuple[float, float]:
        """Audio time of characters ``c0:c1`` of turn ``i``: from the recogniser's word
        timestamps where they line up with the text, else the whole turn's span."""
        turn = self.turns[i]
        spans = self._words(i)
        inside = [(s, e) for w0, w1, s, e, _ in spans if w0 < c1 and w1 > c0]
        if not inside:
            return turn.start, turn.end
        return min(s for s, _ in inside), max(e for _, e in inside)

    def word_probability(self, i: int, c0: int, c1: int) -> float | None:
        """Mean recogniser probability of the words under characters ``c0:c1`` of turn
        ``i``; None where the transcript has no word probabilities (written text)."""
        inside = [p for w0, w1, _, _, p in self._words(i) if w0 < c1 and w1 > c0]
        return sum(inside) / len(inside) if inside else None

    def hit_confidence(self, hit: Hit) -> float:
        """A match's similarity (1 for words as listed or a pattern), lowered where the
        recogniser itself was unsure of the words (their mean probability)."""
        p = self.word_probability(hit.turn, hit.match.start, hit.match.end)
        return hit.match.score * (1.0 if p is None else 0.6 + 0.4 * p)

    def _words(self, i: int) -> list[tuple[int, int, float, float, float]]:
        """(first char, end char, start s, end s, probability) of each recognised word
        found in the turn's text, aligned once per turn."""
        if i not in self._word_spans:
            turn = self.turns[i]
            spans = []
            cursor = 0
            for word in turn.words or ():
                token = word.text.strip()
                at = turn.text.find(token, cursor) if token else -1
                if at < 0:
                    continue  # a word the text clean-up dropped or rewrote: skip it
                spans.append((at, at + len(token), word.start, word.end, word.p))
                cursor = at + len(token)
            self._word_spans[i] = spans
        return self._word_spans[i]

    def evidence(self, hit: Hit) -> Evidence:
        turn = self.turns[hit.turn]
        c0, c1 = word_span(turn.text, hit.match.start, hit.match.end)
        start, end = self.times(hit.turn, c0, c1)
        return Evidence(
            turn=hit.turn,
            start=round(start, 3),
            end=round(end, 3),
            speaker=turn.speaker,
            text=turn.text[c0:c1],
            phrase=_phrase_note(hit.match),
            score=round(hit.match.score, 3),
        )

    def in_scope(self, hit: Hit, cc: CompiledCheck) -> bool:
        turns = self.by_speaker[cc.speaker]
        # A step that belongs to a part of the call is looked for in that part: the
        # opening's 有什么可以帮您 is no closing, however few turns the agent had.
        half = self.speech_end / 2
        if cc.first_turns is not None and (
            hit.turn not in self.opening(cc.speaker, cc.first_turns)
            or (hit.start > half and len(turns) > 1)
        ):
            return False
        if cc.last_turns is not None and (
            hit.turn not in turns[-cc.last_turns :] or (hit.end < half and len(turns) > 1)
        ):
            return False
        window = cc.window
        if window is None:
            return True
        if window.first_s is not None:
            return hit.start < window.first_s
        assert window.last_s is not None  # TimeWindow guarantees one of the two
        return hit.end > self.speech_end - window.last_s


def _phrase_note(match: Match) -> str:
    """The phrase that matched; one read through a wildcard says which unsure word stood
    for which of its characters: '确认 (low-probability word 了 (p 0.53) read as 认)'."""
    if match.wildcard is None:
        return match.phrase
    return f"{match.phrase} ({match.wildcard.describe()})"
