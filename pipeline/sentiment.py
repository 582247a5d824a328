"""Sentiment of a call: per turn, per speaker, the customer's trajectory and the agent's tone.

``call_sentiment(transcript, model)`` labels every turn negative/neutral/positive with a
score in -1..+1 (from ``models.sentiment``), then summarises the call:

* per speaker: mean score and label counts over the turns the model scored;
* the customer's trajectory: mean score over the first and the last third of the
  customer's scored turns (or the first/last N), their difference, and ``calmed_down``:
  True when the customer started negative and ended neutral or positive, False when they
  started and ended negative, None when they did not start negative (or said too little);
* the agent's tone: mean score and the share of the agent's scored turns that are negative.

Backchannels (嗯, 好的, 对对对, 是的…) and one-character turns carry no sentiment worth a
model run: they are labelled neutral with score 0 and left out of every average.
The summary is a JSON-serialisable dict with stable snake_case keys (docs: its keys below).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from core.analysis import CallSentiment, SpeakerSentiment, Tone, TurnSentiment
from core.errors import ConfigError
from core.transcript import Transcript, Turn
from pipeline.redact.options import PLACEHOLDERS

if TYPE_CHECKING:
    from models.sentiment import SentimentModel

__all__ = ["BACKCHANNELS", "SentimentOptions", "call_sentiment", "is_backchannel"]

Speaker = Literal["agent", "customer"]

# Words that acknowledge or hold the floor without saying how the speaker feels.
BACKCHANNELS: frozenset[str] = frozenset(
    {
        "嗯", "恩", "啊", "阿", "哦", "噢", "喔", "呃", "额", "欸", "诶", "哎", "嗯哼", "哈",
        "喂", "好", "好的", "好嘞", "行", "对", "对的", "是", "是的", "嗯嗯", "没错", "可以",
        "明白", "明白了", "知道", "知道了", "了解", "收到", "清楚", "您好", "你好", "在", "在的",
        "ok", "okay", "嗯啊", "然后", "那个", "就是", "吧", "呢", "了", "啦", "呀", "嘛",
        # the answer to "anything else?" and a bare goodbye say nothing of the mood
        "没了", "没有了", "没有", "没事", "沒了", "沒有了", "沒有", "沒事", "再见", "再見",
        "拜拜", "bye",
    }
)  # fmt: skip
# The agent's answer to thanks: 不客气 follows 谢谢 as 再见 follows 再见.
THANKS_REPLIES: tuple[str, ...] = ("不客气", "不用谢", "不用客气", "别客气", "不謝", "不用謝")
_NON_WORD = re.compile(r"[\s\W_]+", re.UNICODE)
# the redactor's placeholders, and a run of its mask character (＊)
_PLACEHOLDER = re.compile("|".join([*(re.escape(p) for p in PLACEHOLDERS.values()), "＊+"]))


@dataclass(frozen=True)
class SentimentOptions:
    """How a call's turns become sentiment. Built once where configuration comes in.

    ``min_chars``: turns with fewer word characters (punctuation and spaces removed) are
    not scored. ``backchannels``: a turn made only of these words is not scored.
    ``trajectory_share``: the share of the customer's scored turns that make "start" and
    "end" (at least one turn each); ``trajectory_turns``, when set, uses the first and
    last N turns instead. ``negative_below``: a start or end mean below this is negative
    (means are milder than single turns, so this sits inside the model's neutral band).
    ``min_customer_turns``: fewer scored customer turns give no trajectory.
    ``thanks_replies``: an agent's answer to thanks (不客气); said after the customer's end
    window began, it shows the customer thanked, and an end that reads no worse than
    ``negative_below`` and below ``thanked_end`` is raised to ``thanked_end`` (positive): on
    a recording the thanks itself is the word most often lost or garbled (收到了，接下 for
    收到了，谢谢), and on written calls a flat 好的谢谢 reads neutral. Empty: off.
    """

    min_chars: int = 2
    backchannels: frozenset[str] = field(default=BACKCHANNELS)
    trajectory_share: float = 1 / 3
    trajectory_turns: int | None = None
    negative_below: float = -0.2
    min_customer_turns: int = 2
    thanks_replies: tuple[str, ...] = THANKS_REPLIES
    thanked_end: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.trajectory_share <= 0.5:
            raise ConfigError(
                f"sentiment trajectory_share={self.trajectory_share!r}: expected a share in"
                " (0, 0.5], e.g. 0.33 for the first and last third of the customer's turns"
            )
        if self.trajectory_turns is not None and self.trajectory_turns < 1:
            raise ConfigError(
                f"sentiment trajectory_turns={self.trajectory_turns!r}: expected a count >= 1"
                " or None (use trajectory_share)"
            )
        if not 0 < self.thanked_end <= 1:
            raise ConfigError(
                f"sentiment thanked_end={self.thanked_end!r}: expected a score in (0, 1]"
            )
        if not -1 < self.negative_below <= 0:
            raise ConfigError(
                f"sentiment negative_below={self.negative_below!r}: expected a score in (-1, 0]"
            )
        if self.min_customer_turns < 2:
            raise ConfigError(
                f"sentiment min_customer_turns={self.min_customer_turns!r}: a trajectory needs"
                " at least 2 turns"
            )


def is_backchannel(text: str, options: SentimentOptions = SentimentOptions()) -> bool:
    """Whether a turn is too short, or only acknowledgement words, to carry sentiment."""
    rest = _NON_WORD.sub("", text).lower()
    if len(rest) < options.min_chars:
        return True
    longest = max(map(len, options.backchannels), default=0)
    while rest:
        for size in range(min(longest, len(rest)), 0, -1):
            if rest[:size] in options.backchannels:
                rest = rest[size:]
                break
        else:
            return False
    return True


def _without_placeholders(text: str) -> str:
    """The turn without the redactor's placeholders ([电话], [卡号]…): a number read out
    carries no mood, but the model reads the bracketed word as a complaint."""
    return _PLACEHOLDER.sub("", text)


def call_sentiment(
    transcript: Transcript,
    model: SentimentModel,
    options: SentimentOptions = SentimentOptions(),
) -> CallSentiment:
    """Per-turn sentiment of a call and its summary (one batched model run)."""
    turns = transcript.turns
    texts = [_without_placeholders(turn.text) for turn in turns]
    scored = [i for i, text in enumerate(texts) if not is_backchannel(text, options)]
    predictions = dict(zip(scored, model.predict([texts[i] for i in scored]), strict=True))
    results = tuple(
        TurnSentiment(
            turn=i,
            speaker=turn.speaker,
            label=predictions[i][0] if i in predictions else "neutral",
            score=predictions[i][1] if i in predictions else 0.0,
        )
        for i, turn in enumerate(turns)
    )
    by_speaker: dict[Speaker, list[TurnSentiment]] = {"agent": [], "customer": []}
    for result in results:
        if result.turn in predictions:
            by_speaker[result.speaker].append(result)

    customer = by_speaker["customer"]
    agent = by_speaker["agent"]
    start, end, window = _trajectory(customer, options)
    thanked = _thanks_answered(turns, customer, window, options)
    lifted = end is not None and options.negative_below <= end < options.thanked_end
    if thanked is not None and lifted:
        end = options.thanked_end
    calmed: bool | None = None
    if start is not None and end is not None and start < options.negative_below:
        calmed = end >= options.negative_below
    lowest = min(customer, key=lambda r: r.score, default=None)
    agent_mean = _mean(agent)
    return CallSentiment(
        model=getattr(model, "name", type(model).__name__),
        turns_scored=len(predictions),
        turns_skipped=len(turns) - len(predictions),
        speakers={
            speaker: _speaker_summary(results, speaker, by_speaker[speaker])
            for speaker in ("agent", "customer")
        },
        customer_mean=_mean(customer),
        customer_start=start,
        customer_end=end,
        customer_delta=None if start is None or end is None else round(end - start, 3),
        customer_trajectory_turns=window,
        customer_thanked_turn=thanked,
        calmed_down=calmed,
        customer_most_negative_turn=None if lowest is None else lowest.turn,
        customer_most_negative_score=None if lowest is None else lowest.score,
        agent_mean=agent_mean,
        agent_tone=None if agent_mean is None else _tone(agent_mean, options),
        agent_negative_share=(
            round(sum(r.label == "negative" for r in agent) / len(agent), 3) if agent else None
        ),
        turns=results,
    )


def _trajectory(
    customer: Sequence[TurnSentiment], options: SentimentOptions
) -> tuple[float | None, float | None, int | None]:
    if len(customer) < options.min_customer_turns:
        return None, None, None
    if options.trajectory_turns is not None:
        window = min(options.trajectory_turns, len(customer) // 2)
    else:
        window = max(1, int(len(customer) * options.trajectory_share))
    return _mean(customer[:window]), _mean(customer[-window:]), window


def _thanks_answered(
    turns: Sequence[Turn],
    customer: Sequence[TurnSentiment],
    window: int | None,
    options: SentimentOptions,
) -> int | None:
    """The agent turn that answers the customer's thanks (不客气) within the customer's
    end window (from its first turn on), or None."""
    if window is None or not options.thanks_replies:
        return None
    first = customer[-window].turn
    for i in range(first + 1, len(turns)):
        if turns[i].speaker == "agent" and any(r in turns[i].text for r in options.thanks_replies):
            return i
    return None


def _speaker_summary(
    results: Sequence[TurnSentiment], speaker: Speaker, scored: Sequence[TurnSentiment]
) -> SpeakerSentiment:
    return SpeakerSentiment(
        turns=sum(r.speaker == speaker for r in results),
        scored=len(scored),
        mean=_mean(scored),
        negative=sum(r.label == "negative" for r in scored),
        neutral=sum(r.label == "neutral" for r in scored),
        positive=sum(r.label == "positive" for r in scored),
    )


def _mean(results: Sequence[TurnSentiment]) -> float | None:
    return round(sum(r.score for r in results) / len(results), 3) if results else None


def _tone(mean: float, options: SentimentOptions) -> Tone:
    if mean < options.negative_below:
        return "negative"
    return "positive" if mean > -options.negative_below else "neutral"
