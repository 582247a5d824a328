"""rules: the bank's script rules as data, and the engine that checks a call against them.

- :func:`load_pack` / :func:`default_pack_path` / :func:`parse_pack`: read and validate a
  rule pack (YAML) into a frozen :class:`RulePack`; problems raise
  :class:`~core.errors.RulePackError` naming the file, the rule id and the problem.
- :func:`evaluate`: every rule of a pack on one :class:`~core.transcript.Transcript`,
  as :class:`~core.analysis.RuleResult` (passed / failed / not_applicable, evidence,
  reason), in the pack's order.
- :func:`find`: recognition-tolerant phrase search (Simplified/Traditional, homophones,
  near-homophones in pinyin) with character spans and similarity.
- :func:`hotwords`: the agent-side phrases the recogniser should be biased towards.

Importing this package is cheap; spaCy/jieba load on the first evaluation.
"""

from rules.compiled import compile_pack
from rules.engine import evaluate
from rules.hotword_selection import hotwords
from rules.matching import Match, find
from rules.pack import Check, Event, Rule, RulePack, Settings
from rules.pack_loading import default_pack_path, load_pack, parse_pack

__all__ = [
    "Check",
    "Event",
    "Match",
    "Rule",
    "RulePack",
    "Settings",
    "compile_pack",
    "default_pack_path",
    "evaluate",
    "find",
    "hotwords",
    "load_pack",
    "parse_pack",
]
