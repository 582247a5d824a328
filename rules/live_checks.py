"""Checks that only make sense while a call is on (issue 12): the pack's ``live_checks``.

Most live alerts reuse a batch rule marked ``live: true`` (its outcome on the rolling
transcript); these checks have no batch counterpart because they watch the call as it
unfolds rather than judge the finished transcript:

* ``customer_sentiment``: the customer's last ``turns`` scored turns average at or below
  ``below`` on the sentiment model's -1..+1 scale (anger rising);
* ``silence``: nobody has spoken for ``max_s`` seconds while the call is open (a long
  hold or dead air).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rules.conditions import ID_PATTERN

LiveKind = Literal["customer_sentiment", "silence"]


class LiveCheck(BaseModel):
    """One live-only check, alerting at most once per call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str = Field(min_length=1)
    policy_clause: str = Field(min_length=1)
    description: str = Field(min_length=1)
    severity: Literal["critical", "major", "minor"] = "major"
    kind: LiveKind
    below: float | None = Field(
        default=None, gt=-1, lt=0, description="customer_sentiment: the mean that alerts"
    )
    turns: int = Field(default=2, ge=1, description="customer_sentiment: scored turns averaged")
    max_s: float | None = Field(default=None, gt=0, description="silence: seconds that alert")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> LiveCheck:
        if self.kind == "customer_sentiment" and self.below is None:
            raise ValueError("a customer_sentiment check needs 'below' (e.g. -0.5)")
        if self.kind == "silence" and self.max_s is None:
            raise ValueError("a silence check needs 'max_s' (seconds)")
        return self
