"""What the analysis of one call produces: rule outcomes with evidence, sentiment, service
metrics, redactions, the score and why the call is flagged. ``callqa analyze --json``
prints exactly this (frozen, validated, JSON-serialisable)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Redaction(_Frozen):
    turn: int
    kind: Literal["id_number", "card_number", "phone", "security_code", "otp"]
    start: float | None = Field(description="audio time span to silence; None if unknown")
    end: float | None = None
    chars: tuple[int, int] = Field(description="character span in the turn's original text")


class CallAnalysis(_Frozen):
    call_id: str
    rules: tuple[RuleResult, ...]
    sentiment: dict[str, object]
    metrics: dict[str, object]
    score: float
    score_breakdown: dict[str, object] = Field(
        default_factory=dict, description="each part of the score and what it is made of"
    )
    flags: tuple[str, ...]
    redactions: tuple[Redaction, ...] = ()
    rule_pack: str | None = None
    policy: str | None = None
