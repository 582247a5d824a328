"""The policy file: the bank's [X] numbers, score weights and critical rules, validated."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from callqa.errors import ConfigError

DEFAULT_POLICY = Path(__file__).with_name("policy.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreWeights(_Strict):
    rules: float = Field(0.70, ge=0)
    service: float = Field(0.15, ge=0)
    sentiment: float = Field(0.15, ge=0)

    @model_validator(mode="after")
    def _sum(self) -> ScoreWeights:
        if abs(self.rules + self.service + self.sentiment - 1.0) > 1e-6:
            raise ValueError("rules + service + sentiment weights must add up to 1")
        return self


class CallScore(_Strict):
    pass_mark: float = Field(80, ge=0, le=100)
    weights: ScoreWeights = ScoreWeights()
    rule_weights: dict[str, float] = Field(default_factory=dict)
    critical_rules: tuple[str, ...] = ()


class ServiceTargets(_Strict):
    response_latency_p90_s: float = Field(4.0, gt=0)
    silence_share: float = Field(0.15, ge=0, le=1)
    agent_interruptions: int = Field(2, ge=0)


class SentimentFlags(_Strict):
    customer_end_flag_below: float = Field(-0.3, ge=-1, le=1)
    agent_negative_share_flag: float = Field(0.2, ge=0, le=1)


class Policy(_Strict):
    name: str
    version: str
    answer_limit_s: float = Field(10, gt=0)
    accuracy_target: float = Field(0.95, ge=0, le=1)
    satisfaction_target: float = Field(0.90, ge=0, le=1)
    failing_cycles_before_action: int = Field(3, ge=1)
    call_score: CallScore = CallScore()
    service_targets: ServiceTargets = ServiceTargets()
    sentiment: SentimentFlags = SentimentFlags()
    digest: str = Field("", description="content hash: part of every result's provenance")


def load_policy(path: str | Path | None = None) -> Policy:
    path = Path(path or DEFAULT_POLICY)
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the policy file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a policy file is a YAML mapping of settings")
    try:
        return Policy.model_validate({**data, "digest": hashlib.sha256(raw).hexdigest()[:16]})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
