"""A pack's named word lists (rules/pack_words.py): written once, expanded into every
pattern that names them, and refused with the file and the place when misused."""

from __future__ import annotations

import re

import pytest

from core.errors import RulePackError
from rules import default_pack_path, evaluate, load_pack, parse_pack
from tests.test_rules_engine import call
from tests.test_rules_pack import rules_cli, write

PROMISE = """\
name: words_pack
version: "0.1"
words:
  day: [今天, 明天, '下个?(周|星期)[一二三四五]']
  reply: [回复, 回电话, 联系您]
events:
  complaint:
    label: the complaint
    speaker: customer
    phrases: [投诉]
rules:
  - id: promise
    title: Time promised
    policy_clause: "4.3"
    description: The agent names a day for the reply.
    applies_when: complaint
    speaker: agent
    require:
      - name: time
        label: a day for the reply
        patterns: ['{day}[^。？！]{0,6}{reply}']
        exclude: ['{day}再说']
"""


def outcome(pack, *lines: tuple[str, str]) -> str:
    [result] = evaluate(call(*lines), pack)
    return result.outcome


def test_a_list_stands_wherever_a_pattern_names_it():
    pack = parse_pack(PROMISE)
    [check] = pack.rules[0].require
    # a non-capturing group, so a pattern's own groups keep their numbers; {0,6} stays
    assert check.patterns == (
        "(?:今天|明天|下个?(周|星期)[一二三四五])[^。？！]{0,6}(?:回复|回电话|联系您)",
    )
    assert check.exclude == ("(?:今天|明天|下个?(周|星期)[一二三四五])再说",)
    complaint = ("c", "我要投诉")
    assert outcome(pack, complaint, ("a", "下周三之前给您回电话")) == "passed"
    assert outcome(pack, complaint, ("a", "明天我们再联系您")) == "passed"
    assert outcome(pack, complaint, ("a", "过两天给您回复")) == "failed"
    assert "words" not in pack.model_dump()  # only the expanded expressions are the pack


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "{reply}']",
            "{replies}']",
            "rule 'promise': require[0] 'time': patterns: {replies} names"
            " no word list (the pack's words: day, reply)",
        ),
        ("'{day}再说'", "'{when}再说'", "rule 'promise': require[0] 'time': exclude: {when}"),
        ("reply: [回复, 回电话, 联系您]", "reply: []", "words 'reply': must be a non-empty list"),
        ("reply: [回复, 回电话, 联系您]", "reply: 回复", "words 'reply': must be a non-empty list"),
        (
            "reply: [回复, 回电话, 联系您]",
            "reply: [回复, '(回电']",
            "words 'reply': not a valid regular expression",
        ),
        (
            "reply: [回复, 回电话, 联系您]",
            "Reply: [回复]",
            "words 'Reply': a name is lower_snake_case",
        ),
        (
            "  reply: [回复, 回电话, 联系您]\n",
            "  reply: [回复, 回电话, 联系您]\n  spare: [多余]\n",
            "words spare: used by no pattern",
        ),
    ],
)
def test_a_misused_list_is_refused_naming_the_file_and_the_place(tmp_path, old, new, problem):
    assert old in PROMISE
    path = write(tmp_path, PROMISE.replace(old, new, 1))
    with pytest.raises(RulePackError) as info:
        load_pack(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and problem in message, message


def test_rules_check_refuses_an_unknown_list_with_exit_2(tmp_path):
    path = write(tmp_path, PROMISE.replace("{reply}']", "{replies}']"), "bad.yaml")
    result = rules_cli("check", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr and "{replies} names no word list" in result.stderr


def test_the_bank_pack_decides_its_promise_words_once():
    text = default_pack_path().read_text(encoding="utf-8")
    pack = load_pack(default_pack_path())
    # every list is used, and no pattern still spells one of them out
    for name in ("promise_day", "day_bound", "duration_unit", "reply_verb", "handling_verb"):
        assert text.count("{" + name + "}") >= 3, name
    expanded = [p for r in pack.rules for c in r.checks for p in c.patterns]
    assert not any(re.search(r"\{[a-z_]+\}", p) for p in expanded)
