"""Rule packs: the bank's script rules as data, one frozen model per part of the YAML.

A pack is one YAML file (``rules/*.yaml``) with named *events* (phrase sets that say
something happened in the call: a transaction was requested, the agent acted, the customer
complained) and an ordered list of *rules*. A rule applies when its ``applies_when``
condition over events holds (:mod:`rules.conditions`), then either requires phrase checks
(each with a speaker, a time window, an order relative to events or earlier checks),
forbids some, or measures the answer time. ``docs``-style reference: see
``bank_remote_agent.yaml``, which uses every feature.

These models validate one field or one object at a time; :mod:`rules.pack_loading` reads
a file into them and checks what spans the pack (unique ids, references that resolve).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from core.analysis import Tag
from rules.conditions import ID_PATTERN, Condition, maybe_condition
from rules.live_checks import LiveCheck

Speaker = Literal["agent", "customer", "any"]
Severity = Literal["critical", "major", "minor"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Settings(_Model):
    """Pack-wide defaults; a rule or check may override ``threshold``."""

    threshold: float = Field(
        default=0.85, gt=0, le=1, description="pinyin similarity a fuzzy match needs (0..1]"
    )
    fuzzy_min_syllables: int = Field(
        default=4,
        ge=1,
        description="shorter phrases match only as written or as exact homophones: a "
        "near-homophone of a short phrase is too often another phrase (有什么 / 吼什么)",
    )
    homophone_min_syllables: int = Field(
        default=2, ge=1, description="single characters match only as written"
    )
    wildcard_below: float = Field(
        default=0.6,
        ge=0,
        lt=1,
        description="a required check may read one syllable whose recognised word is less"
        " probable than this as any syllable of a phrase (0: never)",
    )
    answer_limit_s: float = Field(default=10, gt=0, description="policy 5.1: answer within")
    max_hotwords: int = Field(default=30, ge=1, le=200)
    review_below: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="an outcome less confident than this is needs_review, not passed/failed/n/a",
    )
    signs_review: float = Field(
        default=0.3,
        gt=0,
        le=5,
        description="a rule's signs adding up to this, its condition unmet: needs_review",
    )
    signs_apply: float = Field(
        default=1.0,
        gt=0,
        le=5,
        description="a rule's signs adding up to this, its condition unmet: the rule applies",
    )

    @model_validator(mode="after")
    def _bands_in_order(self) -> Settings:
        if self.signs_review >= self.signs_apply:
            raise ValueError(
                f"signs_review ({self.signs_review:g}) must be below signs_apply"
                f" ({self.signs_apply:g})"
            )
        return self


class TimeWindow(_Model):
    """Exactly one of: the first ``first_s`` seconds of the recording, or the last
    ``last_s`` seconds of speech."""

    first_s: float | None = Field(default=None, gt=0)
    last_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> TimeWindow:
        if (self.first_s is None) == (self.last_s is None):
            raise ValueError("give exactly one of first_s or last_s")
        return self

    def describe(self) -> str:
        if self.first_s is not None:
            return f"in the first {self.first_s:g} s"
        return f"in the last {self.last_s:g} s"


def _compile_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from None
    return patterns


class PhraseSet(_Model):
    """What to listen for: literal phrases (matched through recognition errors) and
    regular expressions (matched on normalised text: Simplified, lower-case, Chinese
    punctuation ，。？！；：)."""

    label: str = Field(min_length=1, description="a noun phrase for reasons: 'identity check'")
    speaker: Speaker | None = None
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = Field(
        default=(),
        description="regular expressions; a match in the same sentence (or clause) voids "
        "a hit ('如果', '的话', '不确认')",
    )
    exclude_scope: Literal["sentence", "clause"] = Field(
        default="sentence", description="where exclude looks: up to 。？！； or also ，"
    )
    exclude_sentence: tuple[str, ...] = Field(
        default=(),
        description="regular expressions that void a hit anywhere in its sentence, whatever"
        " exclude_scope says: a proposal's question after a comma (给您提交，可以吗), a plan"
        " for later in the next clause (先登记，等系统好了再改)",
    )
    threshold: float | None = Field(default=None, gt=0, le=1)
    exact: bool = Field(default=False, description="characters only: no homophones, no fuzz")

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        blank = [p for p in phrases if not p.strip()]
        if blank:
            raise ValueError("phrases must not be empty strings")
        return phrases

    @field_validator("patterns", "exclude", "exclude_sentence")
    @classmethod
    def _patterns(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return _compile_patterns(patterns)

    @model_validator(mode="after")
    def _something(self) -> PhraseSet:
        if not self.phrases and not self.patterns:
            raise ValueError("needs at least one phrase or pattern")
        return self


class _Ordered(PhraseSet):
    before: str | tuple[str, ...] | None = Field(
        default=None,
        description="an event id or an earlier check's name (or a list of event ids, any of"
        " which counts): this must start before the first occurrence of that",
    )
    after: str | tuple[str, ...] | None = Field(
        default=None,
        description="an event id or an earlier check's name (or a list of event ids): this"
        " must come at or after an occurrence of that",
    )
    within_turns: int | None = Field(
        default=None, ge=0, description="with after: at most N turns after it"
    )

    @model_validator(mode="after")
    def _within(self) -> _Ordered:
        if self.within_turns is not None and self.after is None:
            raise ValueError("within_turns needs after")
        return self


class Event(_Ordered):
    """Something that happened in the call, found anywhere in it (``before``/``after``
    may tie it to another event: an agreement counts only after a proposal)."""

    @model_validator(mode="after")
    def _one_reference(self) -> Event:
        if isinstance(self.before, tuple) or isinstance(self.after, tuple):
            raise ValueError("an event's before/after names one event")
        return self


def references(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """``before``/``after`` as a tuple of names (empty when unset)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


class Check(_Ordered):
    """One thing a rule requires (or forbids). ``speaker``, ``time_window``,
    ``first_turns``, ``last_turns`` and ``threshold`` default to the rule's."""

    name: Annotated[str, Field(pattern=ID_PATTERN)]
    time_window: TimeWindow | None = None
    first_turns: int | None = Field(
        default=None,
        ge=1,
        description="only the speaker's first N turns ('as first words'); turns the other"
        " side does not speak between count as one",
    )
    last_turns: int | None = Field(
        default=None, ge=1, description="only the speaker's last N turns ('at the end')"
    )
    voided_by: str | None = Field(
        default=None,
        description="an event that undoes a hit when it follows within voided_within_turns"
        " turns: a code sent but not received (没收到) is no identity check",
    )
    voided_within_turns: int = Field(default=2, ge=1)


class AnswerTime(_Model):
    """Policy 5.1: time to answer. From call metadata when the recording starts at pick-up
    (the ring is not in the audio), else from the agent's first speech."""

    metadata_key: str = "ring_time_s"
    limit_s: float | None = Field(default=None, gt=0, description="default: settings")


class Rule(_Model):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str = Field(min_length=1)
    policy_clause: str = Field(min_length=1, description="the policy section, e.g. '4.2'")
    description: str = Field(min_length=1)
    severity: Severity = "major"
    applies_when: Annotated[Condition | None, BeforeValidator(maybe_condition)] = None
    applies_label: str | None = Field(
        default=None, description="what applies_when means, for reasons: 'a transaction'"
    )
    speaker: Speaker | None = None
    time_window: TimeWindow | None = None
    first_turns: int | None = Field(default=None, ge=1)
    last_turns: int | None = Field(default=None, ge=1)
    threshold: float | None = Field(default=None, gt=0, le=1)
    require: tuple[Check, ...] = ()
    require_mode: Literal["all", "any"] = Field(
        default="all", description="all required checks must be found, or any one of them"
    )
    forbid: tuple[Check, ...] = ()
    answer_time: AnswerTime | None = None
    tags: tuple[Tag, ...] = Field(
        default=(),
        description="what the outcome feeds beyond its own row: answers_enquiry (§7.1), "
        "language_breach (§7.2)",
    )
    signs: dict[Annotated[str, Field(pattern=ID_PATTERN)], Annotated[float, Field(ge=-1, le=1)]] = (
        Field(
            default={},
            description="events that suggest the rule applies although applies_when does not"
            " hold, with a weight each: the weights of those present add up to a needs_review"
            " (settings.signs_review) or to applying the rule (settings.signs_apply); a"
            " negative weight is a counter-sign (the customer declined the offer)",
        )
    )

    @field_validator("signs")
    @classmethod
    def _no_zero_sign(cls, signs: dict[str, float]) -> dict[str, float]:
        zero = [event for event, weight in signs.items() if weight == 0]
        if zero:
            raise ValueError(f"a sign's weight must not be 0 ({', '.join(zero)})")
        return signs

    live: bool = Field(
        default=False,
        description="also evaluated while the call is on (callqa live): alerts when it fails",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        phrase_checks = bool(self.require or self.forbid)
        if phrase_checks == (self.answer_time is not None):
            raise ValueError("give require and/or forbid checks, or answer_time (not both)")
        if self.live and self.answer_time is not None:
            raise ValueError("an answer_time rule cannot be live (it reads the ring time)")
        return self

    @property
    def critical(self) -> bool:
        return self.severity == "critical"

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.require + self.forbid


class RulePack(_Model):
    name: Annotated[str, Field(pattern=ID_PATTERN)]
    version: str = Field(min_length=1)
    description: str = ""
    policy: str = ""
    language: str = "zh"
    settings: Settings = Settings()
    events: dict[Annotated[str, Field(pattern=ID_PATTERN)], Event] = {}
    rules: tuple[Rule, ...] = Field(min_length=1)
    hotwords: tuple[str, ...] | None = Field(
        default=None, description="transcription hotwords; default: derived from the rules"
    )
    live_checks: tuple[LiveCheck, ...] = Field(
        default=(), description="checks run only while a call is on (rules.live_checks)"
    )

    @property
    def content_hash(self) -> str:
        """SHA-256 of the validated content: stable across YAML layout and comments, so
        results can say exactly which rules produced them (idempotency keys). What only the
        live path reads (``live`` flags, ``live_checks``) is left out: it changes no batch
        result, so marking a rule live must not make every stored call look stale."""
        batch_only = self.model_dump(
            mode="json", exclude={"live_checks": True, "rules": {"__all__": {"live"}}}
        )
        canonical = json.dumps(
            batch_only, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        """``name@version+hash12``: what results record as the rule pack used."""
        return f"{self.name}@{self.version}+{self.content_hash[:12]}"

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def live_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.live)

    def with_settings(self, **changes: object) -> RulePack:
        """A copy with some settings changed (e.g. the bank fixes ``answer_limit_s``);
        validated, and with its own content hash."""
        settings = Settings.model_validate({**self.settings.model_dump(), **changes})
        return self.model_copy(update={"settings": settings})
