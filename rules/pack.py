"""Rule packs: the bank's script rules as data, validated on load.

A pack is one YAML file (``rules/*.yaml``) with named *events* (phrase sets that say
something happened in the call: a transaction was requested, the agent acted, the customer
complained) and an ordered list of *rules*. A rule applies when its ``applies_when``
condition over events holds, then either requires phrase checks (each with a speaker,
a time window, an order relative to events or earlier checks), forbids some, or measures
the answer time. ``docs``-style reference: see ``bank_remote_agent.yaml``, which uses
every feature.

Loading turns every problem into one :class:`~core.errors.RulePackError` naming the
file, the rule id and the problem, e.g.
``rules/x.yaml: rule 'greeting': time_window.first_s must be > 0 (got 0)``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from core.analysis import Tag
from core.errors import RulePackError

Speaker = Literal["agent", "customer", "any"]
Severity = Literal["critical", "major", "minor"]
_ID = r"^[a-z][a-z0-9_]*$"


# --- conditions ---------------------------------------------------------------------------
# Parsed by hand rather than as a pydantic union: a union's errors list every branch it
# tried, and a compliance author needs one sentence saying what is wrong.


@dataclass(frozen=True)
class Condition:
    """``event`` (an event id), ``any``/``all`` (of ``items``) or ``not`` (``items[0]``)."""

    op: Literal["event", "any", "all", "not"]
    event: str | None = None
    items: tuple[Condition, ...] = ()

    def events(self) -> Iterator[str]:
        if self.event is not None:
            yield self.event
        for item in self.items:
            yield from item.events()

    def holds(self, present: frozenset[str] | set[str]) -> bool:
        if self.op == "event":
            return self.event in present
        if self.op == "any":
            return any(item.holds(present) for item in self.items)
        if self.op == "all":
            return all(item.holds(present) for item in self.items)
        return not self.items[0].holds(present)


def parse_condition(raw: object) -> Condition:
    """``"event_id"``, ``{any_of: [...]}``, ``{all_of: [...]}`` or ``{not: ...}``, nested."""
    if isinstance(raw, Condition):
        return raw
    if isinstance(raw, str):
        if not re.match(_ID, raw):
            raise ValueError(f"event reference {raw!r} is not an event id (lower_snake_case)")
        return Condition("event", event=raw)
    if isinstance(raw, Mapping) and len(raw) == 1:
        ((key, value),) = raw.items()
        if key in ("any_of", "all_of"):
            if not isinstance(value, list) or not value:
                raise ValueError(f"{key} needs a non-empty list of conditions")
            op: Literal["any", "all"] = "any" if key == "any_of" else "all"
            return Condition(op, items=tuple(parse_condition(v) for v in value))
        if key == "not":
            return Condition("not", items=(parse_condition(value),))
    raise ValueError(
        f"a condition is an event id, {{any_of: [...]}}, {{all_of: [...]}} or {{not: ...}}"
        f" (got {raw!r})"
    )


def _maybe_condition(raw: object) -> Condition | None:
    return None if raw is None else parse_condition(raw)


# --- schema ------------------------------------------------------------------------------


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
    threshold: float | None = Field(default=None, gt=0, le=1)
    exact: bool = Field(default=False, description="characters only: no homophones, no fuzz")

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        blank = [p for p in phrases if not p.strip()]
        if blank:
            raise ValueError("phrases must not be empty strings")
        return phrases

    @field_validator("patterns", "exclude")
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

    name: Annotated[str, Field(pattern=_ID)]
    time_window: TimeWindow | None = None
    first_turns: int | None = Field(
        default=None, ge=1, description="only the speaker's first N turns ('as first words')"
    )
    last_turns: int | None = Field(
        default=None, ge=1, description="only the speaker's last N turns ('at the end')"
    )


class AnswerTime(_Model):
    """Policy 5.1: time to answer. From call metadata when the recording starts at pick-up
    (the ring is not in the audio), else from the agent's first speech."""

    metadata_key: str = "ring_time_s"
    limit_s: float | None = Field(default=None, gt=0, description="default: settings")


class Rule(_Model):
    id: Annotated[str, Field(pattern=_ID)]
    title: str = Field(min_length=1)
    policy_clause: str = Field(min_length=1, description="the policy section, e.g. '4.2'")
    description: str = Field(min_length=1)
    severity: Severity = "major"
    applies_when: Annotated[Condition | None, BeforeValidator(_maybe_condition)] = None
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
    signs: dict[Annotated[str, Field(pattern=_ID)], Annotated[float, Field(gt=0, le=1)]] = Field(
        default={},
        description="events that suggest the rule applies although applies_when does not"
        " hold, with a weight each: the weights of those present add up to a needs_review"
        " (settings.signs_review) or to applying the rule (settings.signs_apply)",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        phrase_checks = bool(self.require or self.forbid)
        if phrase_checks == (self.answer_time is not None):
            raise ValueError("give require and/or forbid checks, or answer_time (not both)")
        return self

    @property
    def critical(self) -> bool:
        return self.severity == "critical"

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.require + self.forbid


class RulePack(_Model):
    name: Annotated[str, Field(pattern=_ID)]
    version: str = Field(min_length=1)
    description: str = ""
    policy: str = ""
    language: str = "zh"
    settings: Settings = Settings()
    events: dict[Annotated[str, Field(pattern=_ID)], Event] = {}
    rules: tuple[Rule, ...] = Field(min_length=1)
    hotwords: tuple[str, ...] | None = Field(
        default=None, description="transcription hotwords; default: derived from the rules"
    )

    @property
    def content_hash(self) -> str:
        """SHA-256 of the validated content: stable across YAML layout and comments, so
        results can say exactly which rules produced them (idempotency keys)."""
        canonical = json.dumps(
            self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
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

    def with_settings(self, **changes: object) -> RulePack:
        """A copy with some settings changed (e.g. the bank fixes ``answer_limit_s``);
        validated, and with its own content hash."""
        settings = Settings.model_validate({**self.settings.model_dump(), **changes})
        return self.model_copy(update={"settings": settings})


# --- loading -----------------------------------------------------------------------------


def default_pack_path() -> Path:
    """The bundled pack for the bank's remote-agent policy."""
    return Path(__file__).with_name("bank_remote_agent.yaml")


def load_pack(path: str | Path) -> RulePack:
    """Read, validate and cross-check a pack; every problem is a :class:`RulePackError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(f"{path}: cannot read the rule pack ({exc})") from exc
    return parse_pack(text, source=str(path))


def parse_pack(text: str | Mapping[str, Any], *, source: str = "<rule pack>") -> RulePack:
    """Validate a pack given as YAML text or as already-parsed data."""
    data = _read_yaml(text, source) if isinstance(text, str) else text
    if not isinstance(data, Mapping):
        raise RulePackError(
            f"{source}: a rule pack is a mapping with name, version, events and rules "
            f"(got {type(data).__name__})"
        )
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        raise RulePackError(_describe_errors(exc, data, source)) from exc
    _check_references(pack, source)
    return pack


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a pack must not lose an event."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)  # merge keys (<<: *anchor)
    return dict(loader.construct_pairs(node))


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _read_yaml(text: str, source: str) -> object:
    try:
        return yaml.load(
            text, Loader=_UniqueKeyLoader
        )  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulePackError(f"{source}: not valid YAML{where}: {problem}") from exc


def _describe_errors(exc: ValidationError, data: Mapping[str, Any], source: str) -> str:
    """One line per problem (at most five): file, rule id, field path, what is wrong."""
    lines = []
    for err in exc.errors()[:5]:
        loc = list(err["loc"])
        where = source
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            where += f": rule {_rule_id(data, loc[1])}"
            loc = loc[2:]
        elif len(loc) >= 2 and loc[0] == "events":
            where += f": event '{loc[1]}'"
            loc = loc[2:]
        lines.append(f"{where}: {_problem(err, loc)}")
    more = len(exc.errors()) - len(lines)
    return "\n".join(lines) + (f"\n(and {more} more problems)" if more > 0 else "")


def _rule_id(data: Mapping[str, Any], index: int) -> str:
    rules = data.get("rules")
    if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], Mapping):
        rule_id = rules[index].get("id")
        if isinstance(rule_id, str):
            return f"'{rule_id}'"
    return f"#{index + 1} (no id)"


def _path(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (isinstance(part, str) and (part[:1].isupper() or "[" in part)):
            # pydantic adds type names (``function-before[...]``) to union locations
            out += ("." if out else "") + str(part)
    return out


def _problem(err: Any, loc: list[Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    given = err.get("input")
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'" + (f" in {_path(loc[:-1])}" if loc[:-1] else "")
    if kind == "missing":
        return f"missing required key '{loc[-1]}'" + (f" in {_path(loc[:-1])}" if loc[:-1] else "")
    field = _path(loc) or "(pack)"
    bounds = {
        "greater_than": ">",
        "greater_than_equal": ">=",
        "less_than": "<",
        "less_than_equal": "<=",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"{field} must be {bounds[kind]} {limit} (got {given!r})"
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        return f"{field}: {message}" if field != "(pack)" else message
    if kind == "string_pattern_mismatch":
        return f"{field} must be lower_snake_case, like 'identity_check' (got {given!r})"
    return f"{field}: {err['msg'][:1].lower()}{err['msg'][1:]} (got {given!r})"


def _check_references(pack: RulePack, source: str) -> None:
    """What a schema cannot say: ids are unique and every reference resolves."""
    seen: set[str] = set()
    known_events = ", ".join(sorted(pack.events)) or "none defined"
    _check_event_order(pack, source, known_events)
    for rule in pack.rules:
        where = f"{source}: rule '{rule.id}'"
        if rule.id in seen:
            raise RulePackError(f"{where}: duplicate rule id (rule ids must be unique)")
        seen.add(rule.id)
        if rule.applies_when is not None:
            for event in rule.applies_when.events():
                if event not in pack.events:
                    raise RulePackError(
                        f"{where}: applies_when refers to unknown event '{event}'"
                        f" (events: {known_events})"
                    )
        if rule.signs and rule.applies_when is None:
            raise RulePackError(f"{where}: signs need an applies_when (they stand in for it)")
        for event in rule.signs:
            if event not in pack.events:
                raise RulePackError(
                    f"{where}: signs refer to unknown event '{event}' (events: {known_events})"
                )
        names: set[str] = set()
        for kind, checks in (("require", rule.require), ("forbid", rule.forbid)):
            for i, check in enumerate(checks):
                if check.name in names:
                    raise RulePackError(f"{where}: {kind}[{i}]: duplicate check name")
                refs = [("before", r) for r in references(check.before)]
                refs += [("after", r) for r in references(check.after)]
                for ref_kind, ref in refs:
                    if ref in pack.events:
                        continue
                    if ref in names and ref in {c.name for c in rule.require}:
                        continue
                    raise RulePackError(
                        f"{where}: {kind}[{i}] '{check.name}': {ref_kind} refers to '{ref}',"
                        f" which is neither an event ({known_events}) nor an earlier required"
                        " check of this rule"
                    )
                names.add(check.name)
    if pack.hotwords is not None and any(not h.strip() for h in pack.hotwords):
        raise RulePackError(f"{source}: hotwords must not contain empty strings")


def _check_event_order(pack: RulePack, source: str, known: str) -> None:
    """Events may be ordered after or before other events, never in a circle."""
    for name, event in pack.events.items():
        refs = [("before", r) for r in references(event.before)]
        refs += [("after", r) for r in references(event.after)]
        for ref_kind, ref in refs:
            if ref not in pack.events:
                raise RulePackError(
                    f"{source}: event '{name}': {ref_kind} refers to unknown event '{ref}'"
                    f" (events: {known})"
                )

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = " -> ".join((*path[path.index(name) :], name))
            raise RulePackError(f"{source}: event '{name}': events ordered in a circle ({cycle})")
        event = pack.events[name]
        for ref in references(event.before) + references(event.after):
            visit(ref, (*path, name))

    for name in pack.events:
        visit(name, ())


# --- hotwords ----------------------------------------------------------------------------


def hotwords(pack: RulePack) -> tuple[str, ...]:
    """The agent-side phrases worth biasing recognition towards (at most
    ``settings.max_hotwords``): the pack's own list, else round-robin over the agent's
    required checks and agent events, first-listed (canonical script) phrases first.
    Forbidden phrases are left out: biasing towards them would invent violations."""
    limit = pack.settings.max_hotwords
    if pack.hotwords is not None:
        return tuple(dict.fromkeys(pack.hotwords))[:limit]
    checks: list[tuple[str, ...]] = [
        check.phrases
        for rule in pack.rules
        for check in rule.require
        if (check.speaker or rule.speaker or "any") in ("agent", "any")
    ]
    events = [e.phrases for e in pack.events.values() if e.speaker == "agent"]
    chosen: dict[str, None] = {}
    # The script's own wording first; events (what the agent does) only fill what is left.
    for sources in (checks, events):
        depth = max((len(s) for s in sources), default=0)
        for i in range(depth):
            for phrases in sources:
                # 2..12 characters: distinctive, yet said as one stretch
                if i < len(phrases) and 2 <= len(phrases[i]) <= 12:
                    chosen.setdefault(phrases[i], None)
                    if len(chosen) >= limit:
                        return tuple(chosen)
    return tuple(chosen)
