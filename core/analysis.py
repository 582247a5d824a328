"""What the analysis of one call produces: rule outcomes with evidence, sentiment, service
metrics, redactions, the score and why the call is flagged. ``callqa analyze --json``
prints exactly this (frozen, validated, JSON-serialisable)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.drivers import CallDrivers

Outcome = Literal["passed", "failed", "not_applicable", "needs_review"]
Decided = Literal["passed", "failed", "not_applicable"]
"""What a rule would say if it were sure: ``needs_review`` outcomes carry one as ``leaning``."""
SCORED: tuple[Outcome, ...] = ("passed", "failed")
"""The outcomes a score counts: not_applicable never, needs_review not until a QA lead decides."""


Tag = Literal["answers_enquiry", "language_breach"]
"""What a rule's outcome feeds beyond its own row: ``answers_enquiry`` (a pass means the
customer's enquiry was answered, policy §7.1's answer rate) and ``language_breach`` (a
failure counts as forbidden language, §7.2).
Rules carry them in the pack, so a rule may be renamed without the appraisal losing it."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """Where in the call a rule found (or missed) what it looks for."""

    turn: int | None = Field(description="index into the transcript's turns; None = whole call")
    start: float | None = None
    end: float | None = None
    speaker: Literal["agent", "customer"] | None = None
    text: str = Field(description="the matched words as said (redacted), or why nothing matched")
    phrase: str | None = Field(default=None, description="the rule phrase or pattern that matched")
    score: float | None = Field(default=None, description="match similarity 0..1 (1 = exact)")


class RuleResult(_Frozen):
    id: str
    outcome: Outcome
    evidence: tuple[Evidence, ...] = ()
    reason: str = Field(description="one sentence a QA lead can read: why this outcome")
    critical: bool = False
    confidence: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="how sure the outcome is, applicability included (0..1); below the"
        " pack's review_below the outcome is needs_review",
    )
    leaning: Decided | None = Field(
        default=None, description="for needs_review: the outcome the rule would have given"
    )
    tags: tuple[Tag, ...] = Field(
        default=(), description="what the outcome feeds beyond its own row (see Tag)"
    )


class TurnSentiment(_Frozen):
    turn: int
    speaker: Literal["agent", "customer"]
    label: Literal["negative", "neutral", "positive"]
    score: float = Field(description="-1 (negative) .. +1 (positive)")


Tone = Literal["negative", "neutral", "positive"]


class SpeakerSentiment(_Frozen):
    """One side of the call: how many turns it had, how many were scored, and their mood."""

    turns: int
    scored: int
    mean: float | None = None
    negative: int = 0
    neutral: int = 0
    positive: int = 0


class CallSentiment(_Frozen):
    """The call's mood: per turn, per speaker, and the customer's trajectory (start, end,
    whether they calmed down). The store keeps it without ``turns`` (those go on the turn
    rows); ``from_stored`` reads that back."""

    model: str = ""
    turns_scored: int = 0
    turns_skipped: int = 0
    speakers: dict[Literal["agent", "customer"], SpeakerSentiment] = Field(default_factory=dict)
    customer_mean: float | None = None
    customer_start: float | None = None
    customer_end: float | None = Field(
        default=None, description="-1..+1 over the customer's last turns; None: too few"
    )
    customer_delta: float | None = None
    customer_trajectory_turns: int | None = None
    customer_thanked_turn: int | None = Field(
        default=None,
        description="the agent turn that answered the customer's thanks (不客气) near the end;"
        " a neutral end is then read as positive",
    )
    calmed_down: bool | None = None
    customer_most_negative_turn: int | None = None
    customer_most_negative_score: float | None = None
    agent_mean: float | None = None
    agent_tone: Tone | None = None
    agent_negative_share: float | None = None
    turns: tuple[TurnSentiment, ...] = ()

    def stored(self) -> dict[str, object]:
        """What the store keeps on the call row (the turns go on the turn rows)."""
        return self.model_dump(mode="json", exclude={"turns"})

    @classmethod
    def from_stored(cls, data: Mapping[str, object] | None) -> CallSentiment:
        """A stored summary read back; keys an older release wrote and this one does not
        know are left out rather than refused (the row is history, not input)."""
        known = {k: v for k, v in (data or {}).items() if k in cls.model_fields}
        return cls.model_validate(known)


class Redaction(_Frozen):
    turn: int
    kind: Literal["id_number", "card_number", "phone", "security_code", "otp"]
    start: float | None = Field(description="audio time span to silence; None if unknown")
    end: float | None = None
    chars: tuple[int, int] = Field(description="character span in the turn's original text")


Number = int | float
"""A metric's value as computed: an int stays an int in the stored JSON, a float a float."""


class CallMetrics(BaseModel, Mapping[str, Number | None]):
    """The service metrics of one call (policy §5.1; ``pipeline.metrics`` says how each is
    measured). Frozen and typed, and read-only as a mapping keyed by the stable names
    (iteration gives the names in this order), so that stored JSON and the store's
    ``calls.metrics`` column keep their shape. ``None``: the call cannot define the metric
    (no agent speech, no customer turn answered), or an analysis stored before it existed."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    duration_s: Number | None = None
    ring_time_s: Number | None = None
    first_agent_word_s: Number | None = None
    agent_talk_s: Number | None = None
    customer_talk_s: Number | None = None
    talk_ratio_agent: Number | None = None
    response_count: int | None = None
    response_latency_median_s: Number | None = None
    response_latency_p90_s: Number | None = None
    response_latency_max_s: Number | None = None
    silence_count: int | None = None
    silence_total_s: Number | None = None
    silence_share: Number | None = None
    overtalk_s: Number | None = None
    agent_interruption_count: int | None = None
    customer_interruption_count: int | None = None
    agent_chars_per_min: Number | None = None
    customer_chars_per_min: Number | None = None

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # a mapping's keys
        return iter(type(self).model_fields)

    def __getitem__(self, key: str) -> Number | None:
        if key not in type(self).model_fields:
            raise KeyError(key)
        value: Number | None = getattr(self, key)
        return value

    def __len__(self) -> int:
        return len(type(self).model_fields)


class CallAnalysis(_Frozen):
    call_id: str
    rules: tuple[RuleResult, ...]
    sentiment: CallSentiment
    metrics: CallMetrics
    score: float
    score_breakdown: dict[str, object] = Field(
        default_factory=dict, description="each part of the score and what it is made of"
    )
    flags: tuple[str, ...]
    redactions: tuple[Redaction, ...] = ()
    rule_pack: str | None = None
    policy: str | None = None
    drivers: CallDrivers | None = Field(
        default=None, description="why the customer called, and the complaint (issue 12)"
    )
