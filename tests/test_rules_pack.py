"""Rule packs: the bundled bank pack loads, and a broken pack says where and what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.errors import CallqaError, RulePackError
from rules import default_pack_path, hotwords, load_pack, parse_pack
from tests.conftest import BANK_RULE_IDS, ROOT

RULE_IDS = BANK_RULE_IDS

SMALL = """\
name: small_pack
version: "0.1"
events:
  complaint:
    label: the complaint
    speaker: customer
    phrases: [投诉]
rules:
  - id: greeting
    title: Greeting
    policy_clause: "4.1"
    description: The agent greets.
    speaker: agent
    time_window: {first_s: 20}
    require:
      - name: hello
        label: salutation
        phrases: [您好]
  - id: apology
    title: Apology
    policy_clause: "4.3"
    description: The agent apologises after a complaint.
    applies_when: complaint
    require:
      - name: sorry
        label: apology
        speaker: agent
        after: complaint
        phrases: [抱歉]
"""


def write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def broken(tmp_path: Path, old: str, new: str) -> str:
    """The message of loading SMALL with one edit."""
    assert old in SMALL
    path = write(tmp_path, SMALL.replace(old, new, 1))
    with pytest.raises(RulePackError) as info:
        load_pack(path)
    message = str(info.value)
    assert message.startswith(str(path)), message  # every message names the file
    return message


# --- the bundled pack ----------------------------------------------------------------------


def test_bundled_pack_loads_with_the_stable_rule_ids_in_order():
    pack = load_pack(default_pack_path())
    assert pack.name == "bank_remote_agent"
    assert pack.version
    assert tuple(rule.id for rule in pack.rules) == RULE_IDS
    assert {"transaction_requested", "operation_performed", "complaint", "cannot_answer"} <= set(
        pack.events
    )
    assert pack.settings.answer_limit_s == 10
    by_id = {rule.id: rule for rule in pack.rules}
    assert by_id["identity_verification"].critical
    assert by_id["identity_verification"].policy_clause == "4.2"
    assert not by_id["closing"].critical


def test_content_hash_ignores_layout_but_not_content(tmp_path):
    pack = load_pack(default_pack_path())
    assert len(pack.content_hash) == 64
    assert load_pack(default_pack_path()).content_hash == pack.content_hash
    # the same content in another layout (no comments, flow style, other key order)
    data = yaml.safe_load(default_pack_path().read_text(encoding="utf-8"))
    relaid = write(tmp_path, yaml.safe_dump(data, allow_unicode=True, sort_keys=True))
    assert load_pack(relaid).content_hash == pack.content_hash
    changed = pack.with_settings(answer_limit_s=15)
    assert changed.settings.answer_limit_s == 15
    assert changed.content_hash != pack.content_hash
    assert pack.label.startswith("bank_remote_agent@")


def test_hotwords_are_a_short_list_of_agent_script_phrases():
    pack = load_pack(default_pack_path())
    words = hotwords(pack)
    assert 10 <= len(words) <= 30
    assert len(set(words)) == len(words)
    assert {"您好", "工号"} <= set(words)
    forbidden = set(pack.rule("forbidden_language").forbid[0].phrases)
    assert not forbidden & set(words)  # never bias the recogniser towards violations
    customer_only = set(pack.events["complaint"].phrases)
    assert not customer_only & set(words)
    explicit = parse_pack(SMALL + "hotwords: [您好, 工号, 您好]\n")
    assert hotwords(explicit) == ("您好", "工号")


# --- validation errors: file, rule id, problem ------------------------------------------


def test_unknown_event_reference_names_rule_and_event(tmp_path):
    message = broken(tmp_path, "applies_when: complaint", "applies_when: complaints")
    assert "rule 'apology'" in message
    assert "unknown event 'complaints'" in message
    assert "complaint" in message.split("events:")[-1]  # lists what exists


def test_unknown_order_reference(tmp_path):
    message = broken(tmp_path, "after: complaint", "after: greeted")
    assert "rule 'apology'" in message
    assert "'greeted'" in message and "after" in message


def test_bad_time_window(tmp_path):
    message = broken(tmp_path, "first_s: 20", "first_s: 0")
    assert "rule 'greeting'" in message
    assert "time_window.first_s must be > 0" in message
    both = broken(tmp_path, "{first_s: 20}", "{first_s: 20, last_s: 30}")
    assert "rule 'greeting'" in both and "exactly one of first_s or last_s" in both


def test_duplicate_rule_id(tmp_path):
    message = broken(tmp_path, "  - id: apology", "  - id: greeting")
    assert "rule 'greeting'" in message
    assert "duplicate rule id" in message


def test_unknown_key(tmp_path):
    message = broken(
        tmp_path, "    speaker: agent\n    time_window", "    speakr: agent\n    time_window"
    )
    assert "rule 'greeting'" in message
    assert "unknown key 'speakr'" in message
    nested = broken(
        tmp_path, "        phrases: [抱歉]", "        phrases: [抱歉]\n        befor: x"
    )
    assert "rule 'apology'" in nested and "unknown key 'befor' in require[0]" in nested


def test_bad_yaml_gives_line(tmp_path):
    message = broken(tmp_path, "    phrases: [投诉]", "    phrases: [投诉")
    assert "not valid YAML" in message
    assert "line" in message


def test_duplicate_yaml_key_is_not_silently_dropped(tmp_path):
    message = broken(
        tmp_path, "    speaker: customer\n", "    speaker: customer\n    speaker: agent\n"
    )
    assert "duplicate key 'speaker'" in message


def test_bad_values(tmp_path):
    regex = broken(tmp_path, "phrases: [抱歉]", "patterns: ['(抱歉']")
    assert "rule 'apology'" in regex and "not a valid regular expression" in regex
    speaker = broken(tmp_path, "speaker: agent\n    time_window", "speaker: boss\n    time_window")
    assert "rule 'greeting'" in speaker and "speaker" in speaker and "boss" in speaker
    threshold = broken(
        tmp_path, "    applies_when: complaint", "    applies_when: complaint\n    threshold: 1.5"
    )
    assert "rule 'apology'" in threshold and "threshold must be <= 1" in threshold
    empty = broken(tmp_path, "        phrases: [您好]", "        phrases: []")
    assert "rule 'greeting'" in empty and "at least one phrase or pattern" in empty
    missing = broken(tmp_path, "    title: Apology\n", "")
    assert "rule 'apology'" in missing and "missing required key 'title'" in missing
    no_id = broken(tmp_path, "  - id: apology\n    title", "  - title")
    assert "rule #2 (no id)" in no_id


def test_event_order_must_resolve_without_circles(tmp_path):
    ordered = SMALL.replace(
        "    phrases: [投诉]\n",
        "    phrases: [投诉]\n    after: sorry_said\n",
    )
    path = write(tmp_path, ordered)
    with pytest.raises(RulePackError, match="event 'complaint': after refers to unknown event"):
        load_pack(path)
    circle = SMALL.replace(
        "    phrases: [投诉]\n",
        "    phrases: [投诉]\n    after: again\n"
        "  again:\n    label: again\n    phrases: [又来]\n    after: complaint\n",
    )
    with pytest.raises(RulePackError, match="in a circle"):
        load_pack(write(tmp_path, circle))


def test_require_mode_and_scopes_are_validated(tmp_path):
    mode = broken(
        tmp_path, "    speaker: agent\n    time_window", "    require_mode: some\n    time_window"
    )
    assert "rule 'greeting'" in mode and "require_mode" in mode
    scope = broken(
        tmp_path, "        phrases: [您好]", "        phrases: [您好]\n        exclude_scope: word"
    )
    assert "exclude_scope" in scope
    turns = broken(tmp_path, "    time_window: {first_s: 20}", "    last_turns: 0")
    assert "last_turns must be >= 1" in turns


def test_rule_pack_error_is_a_callqa_error(tmp_path):
    with pytest.raises(CallqaError):
        load_pack(tmp_path / "missing.yaml")
    with pytest.raises(RulePackError, match="a rule pack is a mapping"):
        parse_pack("- just\n- a list\n", source="list.yaml")


# --- the command ---------------------------------------------------------------------------


def rules_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callqa.cli", "rules", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )


def test_cli_check_good_pack():
    result = rules_cli("check", str(default_pack_path()))
    assert result.returncode == 0, result.stderr
    assert "11 rules" in result.stdout
    for rule_id in RULE_IDS:
        assert rule_id in result.stdout


def test_cli_check_bad_pack_exits_2_naming_file_rule_and_problem(tmp_path):
    path = write(tmp_path, SMALL.replace("first_s: 20", "first_s: -5"), "bad.yaml")
    result = rules_cli("check", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr
    assert "rule 'greeting'" in result.stderr
    assert "time_window.first_s must be > 0" in result.stderr


def test_cli_list():
    result = rules_cli("list", "--json")
    assert result.returncode == 0, result.stderr
    assert all(rule_id in result.stdout for rule_id in RULE_IDS)
    table = rules_cli("list")
    assert table.returncode == 0 and "greeting" in table.stdout
