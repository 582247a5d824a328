"""What the analysis of one call produces: rule outcomes with evidence, sentiment, service
metrics, redactions, the score and why the call is flagged. ``callqa analyze --json``
prints exactly this (frozen, validated, JSON-serialisable)."""

from __future__ import annotations

from collections.abc import Mapping
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


class CallAnalysis(_Frozen):
    call_id: str
    rules: tuple[RuleResult, ...]
    sentiment: CallSentiment
    metrics: dict[str, object]
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
