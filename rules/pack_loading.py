"""Loading a rule pack: read the YAML, validate it into a :class:`~rules.pack.RulePack`,
and check what no single field can (unique ids, references that resolve, no circles).

Loading turns every problem into one :class:`~core.errors.RulePackError` naming the
file, the rule id and the problem, e.g.
``rules/x.yaml: rule 'greeting': time_window.first_s must be > 0 (got 0)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.errors import RulePackError
from rules.pack import RulePack, references
from rules.pack_words import expand_words


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
    data = expand_words(data, source)
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
                if check.voided_by is not None and check.voided_by not in pack.events:
                    raise RulePackError(
                        f"{where}: {kind}[{i}] '{check.name}': voided_by refers to unknown"
                        f" event '{check.voided_by}' (events: {known_events})"
                    )
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
    for live_check in pack.live_checks:
        if live_check.id in seen:
            raise RulePackError(
                f"{source}: live check '{live_check.id}': its id is already used"
                " (rule and live check ids must be unique)"
            )
        seen.add(live_check.id)
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
