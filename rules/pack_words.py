"""A rule pack's named word lists: written once, used in many patterns.

The same alternatives recur across a pack's regular expressions (the days a promise can
name, the verbs that say what will be done by then). A pack lists each once under
``words``, and a pattern says ``{name}`` where any of them may stand::

    words:
      day: [今天, 明天, 后天, 本周, 月底]
      reply: [回复, 答复, 回电, 联系]
    ...
        patterns: ['{day}(之内|以内|前)[^。？！]{0,16}{reply}']

Loading expands every placeholder into a non-capturing group, ``(?:今天|明天|…)``, before
the pack is validated, so the compiled pack (and its content hash) knows only the plain
expressions, and an alternative may itself be a regular expression (``这个?(礼拜|星期)``).
Only lower_snake_case names in braces are placeholders: ``{0,16}`` stays a quantifier.
A placeholder naming no list, a list that is empty, not a list of strings or not a valid
expression, or a list no pattern uses is refused with the file and where it was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.errors import RulePackError

NAME = r"[a-z][a-z0-9_]*"
PLACEHOLDER = re.compile(r"\{(" + NAME + r")\}")
# the fields of an event or a check that hold regular expressions
_EXPRESSION_FIELDS = ("patterns", "exclude", "exclude_sentence")


def expand_words(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``data`` (a parsed pack) without its ``words``, every ``{name}`` in its patterns
    replaced by the named list as a group; data without ``words`` comes back as it was."""
    out = dict(data)
    words = _word_groups(out.pop("words", None), source)
    used: set[str] = set()
    events = out.get("events")
    if isinstance(events, Mapping):
        out["events"] = {
            name: _expand_entry(entry, words, used, f"{source}: event '{name}'")
            for name, entry in events.items()
        }
    rules = out.get("rules")
    if isinstance(rules, list):
        out["rules"] = [_expand_rule(rule, words, used, source) for rule in rules]
    unused = sorted(set(words) - used)
    if unused:
        raise RulePackError(
            f"{source}: words {', '.join(unused)}: used by no pattern"
            " (say {name} in a pattern, or remove the list)"
        )
    return out


def _word_groups(words: object, source: str) -> dict[str, str]:
    if words is None:
        return {}
    if not isinstance(words, Mapping):
        raise RulePackError(f"{source}: words must map a name to a list of alternatives")
    groups = {}
    for name, alternatives in words.items():
        where = f"{source}: words '{name}'"
        if not isinstance(name, str) or not re.fullmatch(NAME, name):
            raise RulePackError(f"{where}: a name is lower_snake_case, like 'reply_verbs'")
        if (
            not isinstance(alternatives, list)
            or not alternatives
            or not all(isinstance(a, str) and a.strip() for a in alternatives)
        ):
            raise RulePackError(f"{where}: must be a non-empty list of non-empty strings")
        group = "(?:" + "|".join(alternatives) + ")"
        try:
            re.compile(group)
        except re.error as exc:
            raise RulePackError(f"{where}: not a valid regular expression ({exc})") from exc
        groups[name] = group
    return groups


def _expand_rule(rule: object, words: Mapping[str, str], used: set[str], source: str) -> object:
    if not isinstance(rule, Mapping):
        return rule
    out = dict(rule)
    for kind in ("require", "forbid"):
        checks = out.get(kind)
        if isinstance(checks, list):
            out[kind] = [
                _expand_entry(check, words, used, _check_where(source, rule, kind, i, check))
                for i, check in enumerate(checks)
            ]
    return out


def _check_where(source: str, rule: Mapping[str, Any], kind: str, i: int, check: object) -> str:
    """'rules/x.yaml: rule 'closing': require[0] 'offer'': how errors name a check."""
    name = check.get("name") if isinstance(check, Mapping) else None
    return f"{source}: rule '{rule.get('id', '?')}': {kind}[{i}]" + (f" '{name}'" if name else "")


def _expand_entry(entry: object, words: Mapping[str, str], used: set[str], where: str) -> object:
    if not isinstance(entry, Mapping):
        return entry
    out = dict(entry)
    for field in _EXPRESSION_FIELDS:
        value = out.get(field)
        if isinstance(value, list):
            out[field] = [_expand(p, words, used, f"{where}: {field}") for p in value]
    return out


def _expand(pattern: object, words: Mapping[str, str], used: set[str], where: str) -> object:
    if not isinstance(pattern, str):
        return pattern  # the schema says what is wrong with it

    def group(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in words:
            known = ", ".join(sorted(words)) or "none defined"
            raise RulePackError(
                f"{where}: {{{name}}} names no word list (the pack's words: {known})"
            )
        used.add(name)
        return words[name]

    return PLACEHOLDER.sub(group, pattern)
