"""Service metrics of one call (policy §5.1): how fast the agent answers and responds, who
talks how much, silence, talking over each other, speaking rate.

Everything is computed from turn times (and the first agent word's time), in pure Python
over the turns: a ten-minute call takes well under a millisecond. Keys are stable
snake_case with the unit in the name; a metric that the call cannot define (no agent
speech, no customer turn answered) is ``None``.

Conventions:

* Time 0 is the start of the recording. If the recording starts before pick-up (ringing
  is recorded), pass ``ring_time_s``: ``first_agent_word_s`` is then measured from pick-up
  (first word time - ring time, never below 0) and silence shares are of the call after
  pick-up. Without it, pick-up is assumed at 0.
* Talk time is the union of a party's turn spans (pauses inside a turn count as talk).
* A *backchannel* is a turn lying entirely inside the other party's turn ("嗯", "对"
  while the other talks). It is neither an answer nor a customer turn to answer.
* Response latency: after the customer yields (one or more customer turns in a row, not
  backchannels), the time from the end of the customer's speech to the start of the
  agent's next turn. An agent who starts before the customer has finished has latency 0
  (clamped); talking over the customer is counted as an interruption instead.
* Interruption: a party starts while the other is speaking and the other keeps talking for
  at least ``interruption_min_overlap_s``; a short backchannel is not an interruption.
* Silence: a gap between speech (anyone's) longer than ``silence_gap_s``; lead-in before
  the first word and tail after the last are not silence (the first is
  ``first_agent_word_s``).
* Speaking rate: Chinese characters plus digits plus Latin words (one unit each) per
  minute of the party's talk time; punctuation does not count.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.analysis import CallMetrics
from core.transcript import Transcript, Turn

Interval = tuple[float, float]

METRIC_KEYS = tuple(CallMetrics.model_fields)
"""The metrics' stable names, in the order they are stored."""

# One speaking unit: a CJK character, a digit, or a Latin word (with inner ' or -).
_UNITS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\d|[A-Za-z]+(?:['’-][A-Za-z]+)*")


@dataclass(frozen=True)
class MetricsOptions:
    """Thresholds of the service metrics (seconds)."""

    silence_gap_s: float = 3.0
    """A gap longer than this with nobody speaking counts as silence."""
    interruption_min_overlap_s: float = 0.5
    """The interrupted party must keep talking at least this long after the other starts."""
    backchannel_max_s: float = 1.0
    """A turn shorter than this inside the other's turn is a backchannel, not an interruption."""
    latency_quantile: float = 0.9
    """The high quantile reported as ``response_latency_p90_s``."""
    decimals: int = 3


def service_metrics(
    transcript: Transcript,
    options: MetricsOptions = MetricsOptions(),
    *,
    ring_time_s: float | None = None,
) -> CallMetrics:
    """The §5.1 service metrics of one call (frozen; read as a mapping keyed as in
    ``METRIC_KEYS``)."""
    turns = transcript.turns
    agent = [t for t in turns if t.speaker == "agent"]
    customer = [t for t in turns if t.speaker == "customer"]
    agent_talk = _union((t.start, t.end) for t in agent)
    customer_talk = _union((t.start, t.end) for t in customer)
    agent_s, customer_s = _length(agent_talk), _length(customer_talk)

    ring = max(ring_time_s, 0.0) if ring_time_s is not None else None
    last_end = max((t.end for t in turns), default=0.0)
    duration = transcript.audio.duration or last_end
    call_s = max(duration - (ring or 0.0), 0.0)

    latencies = _response_latencies(turns)
    silences = _silences(_union((t.start, t.end) for t in turns), options.silence_gap_s)
    silence_total = sum(silences, 0.0)
    r = options.decimals

    def rnd(value: float | None) -> float | None:
        return None if value is None else round(value, r)

    return CallMetrics(
        duration_s=rnd(duration),
        ring_time_s=rnd(ring),
        first_agent_word_s=rnd(_first_agent_word(agent, ring)),
        agent_talk_s=rnd(agent_s),
        customer_talk_s=rnd(customer_s),
        talk_ratio_agent=rnd(agent_s / (agent_s + customer_s)) if agent_s + customer_s else None,
        response_count=len(latencies),
        response_latency_median_s=rnd(_quantile(latencies, 0.5)),
        response_latency_p90_s=rnd(_quantile(latencies, options.latency_quantile)),
        response_latency_max_s=rnd(max(latencies)) if latencies else None,
        silence_count=len(silences) if turns else None,
        silence_total_s=rnd(silence_total) if turns else None,
        silence_share=rnd(silence_total / call_s) if turns and call_s > 0 else None,
        overtalk_s=rnd(_overlap(agent_talk, customer_talk)),
        agent_interruption_count=_interruptions(agent, customer, options),
        customer_interruption_count=_interruptions(customer, agent, options),
        agent_chars_per_min=rnd(_rate(agent, agent_s)),
        customer_chars_per_min=rnd(_rate(customer, customer_s)),
    )


def speaking_units(text: str) -> int:
    """Characters of Chinese, digits and Latin words (one each) in ``text``."""
    return len(_UNITS.findall(text))


# --- pieces ------------------------------------------------------------------------


def _first_agent_word(agent: Sequence[Turn], ring: float | None) -> float | None:
    if not agent:
        return None
    first = agent[0]
    at = first.words[0].start if first.words else first.start
    return max(at - ring, 0.0) if ring is not None else at


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _length(intervals: Sequence[Interval]) -> float:
    return sum(end - start for start, end in intervals)


def _overlap(a: Sequence[Interval], b: Sequence[Interval]) -> float:
    """Total time both interval lists cover (both merged and sorted)."""
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _silences(speech: Sequence[Interval], gap_s: float) -> list[float]:
    return [nxt[0] - cur[1] for cur, nxt in itertools.pairwise(speech) if nxt[0] - cur[1] > gap_s]


class _Spans:
    """One party's turns, for 'which turn is speaking at time t' look-ups."""

    def __init__(self, turns: Sequence[Turn]) -> None:
        self.turns = sorted(turns, key=lambda t: t.start)
        self.starts = [t.start for t in self.turns]
        # running maximum of ends: any turn before index i that is still going at t
        self.max_end: list[float] = []
        running = float("-inf")
        for t in self.turns:
            running = max(running, t.end)
            self.max_end.append(running)

    def covering(self, start: float, end: float) -> Turn | None:
        """A turn that starts at or before ``start`` and ends at or after ``end``."""
        i = bisect.bisect_right(self.starts, start)
        for k in range(i - 1, -1, -1):
            if self.max_end[k] < end:
                break
            if self.turns[k].end >= end:
                return self.turns[k]
        return None

    def speaking_at(self, t: float) -> Turn | None:
        """The turn (longest-running) that started strictly before ``t`` and ends after it."""
        i = bisect.bisect_left(self.starts, t)
        best: Turn | None = None
        for k in range(i - 1, -1, -1):
            if self.max_end[k] <= t:
                break
            turn = self.turns[k]
            if turn.end > t and (best is None or turn.end > best.end):
                best = turn
        return best


def _response_latencies(turns: Sequence[Turn]) -> list[float]:
    spans = {
        "agent": _Spans([t for t in turns if t.speaker == "agent"]),
        "customer": _Spans([t for t in turns if t.speaker == "customer"]),
    }
    latencies: list[float] = []
    waiting_since: float | None = None  # end of the customer speech not yet answered
    for turn in turns:
        other = spans["customer" if turn.speaker == "agent" else "agent"]
        if other.covering(turn.start, turn.end) is not None:
            continue  # a backchannel inside the other's turn
        if turn.speaker == "customer":
            waiting_since = turn.end if waiting_since is None else max(waiting_since, turn.end)
        elif waiting_since is not None:
            latencies.append(max(turn.start - waiting_since, 0.0))
            waiting_since = None
    return latencies


def _interruptions(starters: Sequence[Turn], others: Sequence[Turn], o: MetricsOptions) -> int:
    spans = _Spans(others)
    count = 0
    for turn in starters:
        speaking = spans.speaking_at(turn.start)
        if speaking is None or speaking.start >= turn.start:
            continue
        if min(turn.end, speaking.end) - turn.start < o.interruption_min_overlap_s:
            continue
        backchannel = turn.end <= speaking.end and turn.end - turn.start < o.backchannel_max_s
        if not backchannel:
            count += 1
    return count


def _rate(turns: Sequence[Turn], talk_s: float) -> float | None:
    if talk_s <= 0:
        return None
    return sum(speaking_units(t.text) for t in turns) / (talk_s / 60.0)


def _quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default ``linear`` method)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


__all__ = ["METRIC_KEYS", "CallMetrics", "MetricsOptions", "service_metrics", "speaking_units"]
