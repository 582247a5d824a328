"""The policy file: the bank's [X] numbers, score weights and critical rules, validated."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError

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


class GroupWeights(_Strict):
    """§7.1: how the three KPI groups make up an agent's monthly total (they add up to 1)."""

    business: float = Field(0.30, ge=0)
    service: float = Field(0.30, ge=0)
    compliance: float = Field(0.40, ge=0)

    @model_validator(mode="after")
    def _sum(self) -> GroupWeights:
        if abs(self.business + self.service + self.compliance - 1.0) > 1e-6:
            raise ValueError("business + service + compliance weights must add up to 1")
        return self


class BusinessItems(_Strict):
    """Weights of the business items inside their group (they add up to 1)."""

    volume: float = Field(0.20, ge=0)
    accuracy: float = Field(0.50, ge=0)
    enquiry_answer_rate: float = Field(0.30, ge=0)

    @model_validator(mode="after")
    def _sum(self) -> BusinessItems:
        if abs(self.volume + self.accuracy + self.enquiry_answer_rate - 1.0) > 1e-6:
            raise ValueError("volume + accuracy + enquiry_answer_rate weights must add up to 1")
        return self


class ServiceItems(_Strict):
    """Weights of the service items inside their group (they add up to 1)."""

    satisfaction: float = Field(0.40, ge=0)
    response_time: float = Field(0.30, ge=0)
    attitude: float = Field(0.30, ge=0)

    @model_validator(mode="after")
    def _sum(self) -> ServiceItems:
        if abs(self.satisfaction + self.response_time + self.attitude - 1.0) > 1e-6:
            raise ValueError("satisfaction + response_time + attitude weights must add up to 1")
        return self


class ComplianceItems(_Strict):
    """Weights of the compliance items inside their group (they add up to 1)."""

    adherence: float = Field(0.60, ge=0)
    critical_failures: float = Field(0.40, ge=0)

    @model_validator(mode="after")
    def _sum(self) -> ComplianceItems:
        if abs(self.adherence + self.critical_failures - 1.0) > 1e-6:
            raise ValueError("adherence + critical_failures weights must add up to 1")
        return self


class ItemWeights(_Strict):
    business: BusinessItems = BusinessItems()
    service: ServiceItems = ServiceItems()
    compliance: ComplianceItems = ComplianceItems()


class AppraisalTargets(_Strict):
    """What an agent's month is measured against. accuracy and satisfaction targets are the
    policy's top-level §5.1 numbers; these are the rest."""

    monthly_calls: int = Field(150, ge=1)
    enquiry_answer_rate: float = Field(0.90, gt=0, le=1)
    response_time: float = Field(0.90, gt=0, le=1)
    attitude: float = Field(0.95, gt=0, le=1)
    adherence: float = Field(0.95, gt=0, le=1)
    max_critical_failures: int = Field(1, ge=0)


class Appraisal(_Strict):
    """§7: monthly agent scorecards, quarterly roll-up, standard and coaching."""

    weights: GroupWeights = GroupWeights()
    items: ItemWeights = ItemWeights()
    targets: AppraisalTargets = AppraisalTargets()
    critical_failure_penalty: float = Field(25, ge=0, le=100)
    standard: float = Field(70, ge=0, le=100)
    coaching_threshold: float = Field(75, ge=0, le=100)


class Retention(_Strict):
    """§6.2: how long the store keeps each kind of record, in days (storage/retention.py).

    The policy names no period (it asks for confidentiality and regular backups): these
    defaults are callqa's until Compliance sets the bank's own.
    """

    results_days: int = Field(1825, ge=1, description="a call's results: 5 years")
    transcripts_days: int = Field(365, ge=1, description="the words said: 1 year")
    audit_days: int = Field(2555, ge=1, description="audit-log rows: 7 years")

    @model_validator(mode="after")
    def _order(self) -> Retention:
        if self.transcripts_days > self.results_days:
            raise ValueError(
                "transcripts_days cannot exceed results_days: a call's transcript goes with "
                "its results"
            )
        return self


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
    appraisal: Appraisal = Appraisal()
    retention: Retention = Retention()
    digest: str = Field("", description="content hash: part of every result's provenance")

    @property
    def label(self) -> str:
        """``name@digest``: what results record as the policy used."""
        return f"{self.name}@{self.digest}"


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
        return Policy.model_validate({**data, "digest": _digest(raw, data)})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc


def _digest(raw: bytes, data: dict[str, object]) -> str:
    """The policy's content hash, part of every result's provenance. Retention periods do
    not change what an analysis finds: a file with them is hashed without them (in a
    canonical form), so that changing a period does not re-analyse every call. A file
    without them keeps the hash of its bytes, as before retention existed."""
    if "retention" not in data:
        return hashlib.sha256(raw).hexdigest()[:16]
    analysed = {k: v for k, v in data.items() if k != "retention"}
    canonical = yaml.safe_dump(analysed, sort_keys=True, allow_unicode=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
