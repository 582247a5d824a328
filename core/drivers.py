"""What driver classification says about one call (issue 12, policy §5.3/§6.3): why the
customer called (one or more drivers, each with the utterance that shows it), and, when the
customer complained, what about and how seriously (§4.3). Frozen and JSON-serialisable like
the rest of :class:`core.analysis.CallAnalysis`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["low", "medium", "high"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DriverEvidence(_Frozen):
    """The utterance that gave a driver (or a complaint) away."""

    turn: int | None = None
    start: float | None = Field(default=None, description="seconds into the call")
    speaker: Literal["agent", "customer"] | None = None
    text: str
    score: float = Field(description="sentence similarity to the closest example (0..1)")
    example: str | None = Field(default=None, description="the taxonomy example it matched")


class DriverHit(_Frozen):
    driver: str = Field(description="the taxonomy's driver id")
    score: float = Field(description="the call's weight for this driver (0..1 of the total)")
    evidence: tuple[DriverEvidence, ...] = ()


class ComplaintFinding(_Frozen):
    category: str = Field(description="the taxonomy's complaint category id")
    severity: Severity
    score: float = Field(description="how clearly the customer complained (0..1)")
    cues: tuple[str, ...] = Field(default=(), description="words that set the severity")
    evidence: tuple[DriverEvidence, ...] = ()


class CallDrivers(_Frozen):
    """Drivers best first; none when nothing in the call matched the taxonomy well enough
    (``unmatched``: the utterances kept for clustering into suggested new drivers)."""

    taxonomy: str
    drivers: tuple[DriverHit, ...] = ()
    complaint: ComplaintFinding | None = None
    unmatched: tuple[str, ...] = Field(
        default=(), description="the customer's telling utterances when no driver fits"
    )

    @property
    def primary(self) -> str | None:
        return self.drivers[0].driver if self.drivers else None
