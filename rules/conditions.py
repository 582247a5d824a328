"""Conditions over a call's events: when a rule applies (``applies_when``).

A condition is an event id, ``{any_of: [...]}``, ``{all_of: [...]}`` or ``{not: ...}``,
nested. Parsed by hand rather than as a pydantic union: a union's errors list every
branch it tried, and a compliance author needs one sentence saying what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
"""Rule, event and check ids: lower_snake_case."""


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
        if not re.match(ID_PATTERN, raw):
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


def maybe_condition(raw: object) -> Condition | None:
    """A rule's ``applies_when``: absent (always applies) or a condition."""
    return None if raw is None else parse_condition(raw)


def describe(condition: Condition, label: Callable[[str], str]) -> str:
    """A condition in words, each event by its ``label``: 'a transaction or a complaint'."""
    if condition.op == "event":
        return label(condition.event or "")
    inner = [describe(c, label) for c in condition.items]
    if condition.op == "not":
        return f"(not {inner[0]})"
    return (" or " if condition.op == "any" else " and ").join(inner)
