"""The hand-labelled evaluation set (tests/data/eval): well-formed, fully labelled, balanced.

The set is what the rule engine and the redactor are scored against, so a broken file or a
label gap must fail here, not skew a score silently. See tests/data/eval/README.md.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from core.transcript import Transcript
from tests.conftest import BANK_RULE_IDS

EVAL = Path(__file__).resolve().parent / "data" / "eval"
CALLS = EVAL / "calls"
RULES = BANK_RULE_IDS
OUTCOMES = {"passed", "failed", "not_applicable"}
ALWAYS_APPLICABLE = ("greeting", "forbidden_language", "closing", "answer_time")
OPERATION_RULES = (
    "identity_verification",
    "risk_disclosure",
    "customer_consent",
    "result_confirmation",
)
COMPLAINT_RULES = ("complaint_apology", "complaint_time_commitment")
MIN_PER_OUTCOME = 5
MIN_CALLS = 48

# Spoken digits as Whisper writes them: Arabic, or Chinese numerals (幺 = 1 on the phone).
_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "幺": "1"}
_DIGIT_CLASS = "0-9零〇一二三四五六七八九幺"
_DIGIT_RUN = re.compile(f"[{_DIGIT_CLASS}](?:[{_DIGIT_CLASS}]| |……)*[{_DIGIT_CLASS}]")


def _digits(text: str) -> str:
    return "".join(_DIGITS.get(c, c) for c in text if c.isdigit() or c in _DIGITS)


@pytest.fixture(scope="module")
def labels() -> dict:
    return yaml.safe_load((EVAL / "labels.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def transcripts() -> dict[str, Transcript]:
    return {p.stem: Transcript.read(p) for p in sorted(CALLS.glob("*.json"))}


def test_enough_calls(transcripts):
    assert len(transcripts) >= MIN_CALLS


@pytest.mark.parametrize("path", sorted(CALLS.glob("*.json")), ids=lambda p: p.stem)
def test_call_is_a_valid_transcript(path):
    t = Transcript.read(path)
    assert t.call_id == path.stem
    assert t.language == "zh"
    assert t.model == "hand-labelled"
    assert t.audio.channels == 2
    assert 6 <= len(t.turns) <= 40
    assert {turn.speaker for turn in t.turns} == {"agent", "customer"}
    starts = [turn.start for turn in t.turns]
    assert all(a < b for a, b in itertools.pairwise(starts)), "starts strictly increase"
    assert max(turn.end for turn in t.turns) <= t.audio.duration
    for turn in t.turns:
        assert turn.text.strip()
        assert turn.end > turn.start
        assert turn.channel == (0 if turn.speaker == "agent" else 1)
    # overlap is flagged on both turns of every cross-talk, and only there
    for i, turn in enumerate(t.turns):
        crossing = [
            o
            for j, o in enumerate(t.turns)
            if j != i and o.speaker != turn.speaker and o.start < turn.end and turn.start < o.end
        ]
        assert turn.overlap == bool(crossing), f"overlap flag of turn {i}"


def test_labels_cover_every_call_and_rule(labels, transcripts):
    assert labels["rules"] == list(RULES)
    assert set(labels["calls"]) == set(transcripts)
    for call_id, label in labels["calls"].items():
        assert set(label["outcomes"]) == set(RULES), call_id
        assert set(label["outcomes"].values()) <= OUTCOMES, call_id
        assert label["sentiment_customer_end"] in {"negative", "neutral", "positive"}, call_id
        assert set(label.get("why", {})) <= set(RULES), call_id
        assert set(label["redaction"]) == {"must_redact", "must_keep"}, call_id


def test_coverage_per_rule(labels):
    counts = {rule: Counter() for rule in RULES}
    for label in labels["calls"].values():
        for rule, outcome in label["outcomes"].items():
            counts[rule][outcome] += 1
    for rule, c in counts.items():
        assert c["passed"] >= MIN_PER_OUTCOME, (rule, dict(c))
        assert c["failed"] >= MIN_PER_OUTCOME, (rule, dict(c))


def test_labels_follow_the_conventions(labels, transcripts):
    limit = labels["answer_limit_s"]
    for call_id, label in labels["calls"].items():
        out = label["outcomes"]
        for rule in ALWAYS_APPLICABLE:
            assert out[rule] != "not_applicable", (call_id, rule)
        # an operation call is judged on all four operation rules, a complaint on both
        assert len({out[r] == "not_applicable" for r in OPERATION_RULES}) == 1, call_id
        assert len({out[r] == "not_applicable" for r in COMPLAINT_RULES}) == 1, call_id
        # answer time: the ring time when the metadata has it (the recording then starts at
        # pick-up), else the start of the agent's first turn in the recording
        first_agent = next(t.start for t in transcripts[call_id].turns if t.speaker == "agent")
        answered = label["metadata"].get("ring_time_s", first_agent)
        expected = "passed" if answered <= limit else "failed"
        assert out["answer_time"] == expected, (call_id, answered)
        assert label["metadata"]["first_agent_word_s"] == pytest.approx(first_agent)
        if out["greeting"] == "passed":
            assert transcripts[call_id].turns[0].start < 20 and first_agent < 20, call_id


def test_redaction_strings_are_in_the_text(labels, transcripts):
    for call_id, label in labels["calls"].items():
        text = "".join(t.text for t in transcripts[call_id].turns)
        for s in label["redaction"]["must_redact"] + label["redaction"]["must_keep"]:
            assert s in text, (call_id, s)
        for s in label["redaction"]["must_redact"]:
            assert not any(s in k or k in s for k in label["redaction"]["must_keep"]), (call_id, s)


def test_sensitive_numbers_are_well_formed(labels):
    """ID numbers pass the GB 11643 checksum, card numbers Luhn, mobiles look like mobiles."""
    from stdnum import luhn
    from stdnum.cn import ric

    kinds = Counter()
    for call_id, label in labels["calls"].items():
        for s in label["redaction"]["must_redact"]:
            raw = _digits(s) + ("X" if s.rstrip().endswith("X") else "")
            if len(raw) == 18:
                assert ric.is_valid(raw), (call_id, s)
                kinds["id"] += 1
            elif len(raw) == 11 and raw.startswith("1"):
                assert re.fullmatch(r"1[3-9]\d{9}", raw), (call_id, s)
                kinds["mobile"] += 1
            elif 15 <= len(raw) <= 19:
                assert luhn.is_valid(raw), (call_id, s)
                kinds["card"] += 1
            else:
                assert len(raw) in (3, 6), (call_id, s)  # CVV or SMS code
                kinds["code"] += 1
    assert all(kinds[k] >= 3 for k in ("id", "mobile", "card", "code")), kinds


def test_every_long_number_is_labelled(labels, transcripts):
    """A run of six or more spoken digits is either to be redacted or explicitly kept."""
    for call_id, label in labels["calls"].items():
        text = "".join(t.text for t in transcripts[call_id].turns)
        known = label["redaction"]["must_redact"] + label["redaction"]["must_keep"]
        for m in _DIGIT_RUN.finditer(text):
            if len(_digits(m.group())) >= 6:
                assert any(m.group() in k or k in m.group() for k in known), (call_id, m.group())
