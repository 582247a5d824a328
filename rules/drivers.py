"""The call-driver taxonomy (rules/drivers.yaml): why customers call, and what their
complaints are about, as data. Loading checks what the classifier relies on and refuses a
bad taxonomy with the file, the id and the problem, e.g.
``rules/drivers.yaml: driver 'fees': examples is empty (a driver needs example utterances)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from core.errors import RulePackError

Severity = Literal["low", "medium", "high"]


class TaxonomyError(RulePackError):
    """A driver taxonomy cannot be loaded; the message names the file, the id and the problem."""


@dataclass(frozen=True)
class Group:
    id: str
    zh: str
    en: str


@dataclass(frozen=True)
class Driver:
    """One reason to call: its labels, its group, what customers say, words that give it away."""

    id: str
    zh: str
    en: str
    group: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    # drivers this one goes before when the customer names both: the cause before the
    # action it led to (a fraud before the card's freeze), the request before its reason
    outranks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComplaintCategory:
    id: str
    zh: str
    en: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class ComplaintRules:
    """How a complaint is recognised, categorised and judged (§4.3)."""

    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    categories: tuple[ComplaintCategory, ...]
    severity_cues: Mapping[Severity, tuple[str, ...]]


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: str
    groups: tuple[Group, ...]
    drivers: tuple[Driver, ...]
    background: tuple[str, ...]
    complaints: ComplaintRules
    source: str = "<taxonomy>"

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def driver(self, driver_id: str) -> Driver | None:
        return next((d for d in self.drivers if d.id == driver_id), None)

    def category(self, category_id: str) -> ComplaintCategory | None:
        return next((c for c in self.complaints.categories if c.id == category_id), None)


def default_taxonomy_path() -> Path:
    return Path(__file__).with_name("drivers.yaml")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy; every problem is a :class:`TaxonomyError`."""
    path = Path(path) if path else default_taxonomy_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"{path}: cannot read the driver taxonomy ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML ({exc})") from exc
    return parse_taxonomy(data, source=str(path))


def parse_taxonomy(data: Any, *, source: str = "<taxonomy>") -> Taxonomy:
    if not isinstance(data, Mapping):
        raise TaxonomyError(f"{source}: a taxonomy is a mapping with groups, drivers, complaints")
    groups = tuple(
        Group(
            id=_text(g, "id", source, "group"),
            zh=_text(g, "zh", source, f"group {g.get('id')!r}"),
            en=_text(g, "en", source, f"group {g.get('id')!r}"),
        )
        for g in _entries(data, "groups", source)
    )
    _unique([g.id for g in groups], source, "group")
    group_ids = {g.id for g in groups}
    drivers = tuple(_driver(d, source, group_ids) for d in _entries(data, "drivers", source))
    _unique([d.id for d in drivers], source, "driver")
    for d in drivers:
        if unknown := set(d.outranks) - {other.id for other in drivers}:
            raise TaxonomyError(
                f"{source}: driver {d.id!r}: outranks unknown driver(s) "
                f"{', '.join(sorted(unknown))}"
            )
    complaints = _complaints(data.get("complaints"), source)
    background = _strings(data.get("background", []), source, "background")
    return Taxonomy(
        name=str(data.get("name") or "drivers"),
        version=str(data.get("version") or "0"),
        groups=groups,
        drivers=drivers,
        background=background,
        complaints=complaints,
        source=source,
    )


def _driver(entry: Mapping[str, Any], source: str, group_ids: set[str]) -> Driver:
    driver_id = _text(entry, "id", source, "driver")
    where = f"driver {driver_id!r}"
    group = _text(entry, "group", source, where)
    if group not in group_ids:
        raise TaxonomyError(
            f"{source}: {where}: unknown group {group!r} (groups: {', '.join(sorted(group_ids))})"
        )
    examples = _strings(entry.get("examples"), source, f"{where}: examples")
    if not examples:
        raise TaxonomyError(
            f"{source}: {where}: examples is empty (a driver needs example utterances)"
        )
    known = {"id", "zh", "en", "group", "examples", "keywords", "outranks"}
    if extra := set(entry) - known:
        raise TaxonomyError(f"{source}: {where}: unknown key(s) {', '.join(sorted(extra))}")
    return Driver(
        id=driver_id,
        zh=_text(entry, "zh", source, where),
        en=_text(entry, "en", source, where),
        group=group,
        examples=examples,
        keywords=_strings(entry.get("keywords", []), source, f"{where}: keywords"),
        outranks=_strings(entry.get("outranks", []), source, f"{where}: outranks"),
    )


def _complaints(data: Any, source: str) -> ComplaintRules:
    if not isinstance(data, Mapping):
        raise TaxonomyError(f"{source}: complaints: missing (detect_examples, categories)")
    categories = []
    for entry in _entries(data, "categories", source, where="complaints"):
        category_id = _text(entry, "id", source, "complaint category")
        where = f"complaint category {category_id!r}"
        examples = _strings(entry.get("examples"), source, f"{where}: examples")
        if not examples:
            raise TaxonomyError(f"{source}: {where}: examples is empty")
        categories.append(
            ComplaintCategory(
                id=category_id,
                zh=_text(entry, "zh", source, where),
                en=_text(entry, "en", source, where),
                examples=examples,
            )
        )
    _unique([c.id for c in categories], source, "complaint category")
    examples = _strings(data.get("detect_examples"), source, "complaints: detect_examples")
    if not examples:
        raise TaxonomyError(f"{source}: complaints: detect_examples is empty")
    severity = data.get("severity") or {}
    if not isinstance(severity, Mapping) or set(severity) - {"high", "medium"}:
        raise TaxonomyError(f"{source}: complaints: severity takes 'high' and 'medium' cue lists")
    cues: dict[Severity, tuple[str, ...]] = {
        "high": _strings(severity.get("high", []), source, "complaints: severity.high"),
        "medium": _strings(severity.get("medium", []), source, "complaints: severity.medium"),
    }
    return ComplaintRules(
        keywords=_strings(data.get("detect_keywords", []), source, "complaints: detect_keywords"),
        examples=examples,
        categories=tuple(categories),
        severity_cues=cues,
    )


def _entries(
    data: Mapping[str, Any], key: str, source: str, where: str = "taxonomy"
) -> list[Mapping[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError(f"{source}: {where}: {key} must be a non-empty list")
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise TaxonomyError(f"{source}: {where}: each of {key} is a mapping (got {entry!r})")
    return entries


def _text(entry: Mapping[str, Any], key: str, source: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str | int) or not str(value).strip():
        raise TaxonomyError(f"{source}: {where}: {key} is missing or empty")
    return str(value).strip()


def _strings(values: Any, source: str, where: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list):
        raise TaxonomyError(f"{source}: {where} must be a list of strings")
    texts = tuple(str(v).strip() for v in values if v is not None)
    if any(not t for t in texts) or len(texts) != len(values):
        raise TaxonomyError(f"{source}: {where}: an entry is empty")
    return texts


def _unique(ids: list[str], source: str, kind: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise TaxonomyError(f"{source}: {kind} {item!r}: duplicate id")
        seen.add(item)
