"""The follow-up convention (issue 9): ``followup_commitment`` is policy 4.1's, an answer to
an enquiry the agent cannot give now. What a complaint's handling owes the customer (its
investigation, its result, the redress) is policy 4.3's and judged by
``complaint_time_commitment`` alone, so a complaint call makes ``followup_commitment``
apply only when an enquiry's answer is put off or sent elsewhere too.

The dialogues are labelled calls of the tuning splits and the development set, judged
from their written text, and the labels of every complaint call are checked against the pack.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from core.transcript import Transcript
from rules.engine import evaluate

DATA = Path(__file__).parent / "data"
# the tuning splits only (ub is held out: never read here)
SPLITS = (DATA / "eval_audio" / "calls_ua.yaml", DATA / "eval_tune" / "calls_uc.yaml",
          DATA / "eval_tune" / "calls_ud.yaml")  # fmt: skip
DEV = DATA / "eval"


def _script_transcript(call_id: str, lines: list[dict[str, str]]) -> Transcript:
    """A script's lines as a written transcript: one turn a line, the agent on channel 0."""
    turns, at = [], 0.8
    for line in lines:
        agent = line["s"] == "a"
        seconds = max(1.0, 0.24 * len(line["t"]))
        turns.append(
            {"speaker": "agent" if agent else "customer", "start": round(at, 2),
             "end": round(at + seconds, 2), "text": line["t"], "channel": 0 if agent else 1,
             "overlap": False, "speaker_label": "ch0" if agent else "ch1"}
        )  # fmt: skip
        at += seconds + 0.6
    return Transcript.from_dict(
        {
            "call_id": call_id,
            "audio": {"duration": round(at, 2), "channels": 2, "sample_rate": 16000},
            "language": "zh",
            "roles": {"method": "external", "confidence": 1.0, "agent": "ch0"},
            "turns": turns,
        }
    )


def _complaint_calls() -> list[tuple[str, Transcript, str]]:
    """(call id, transcript, labelled follow-up outcome) of every labelled complaint call."""
    calls = []
    for split in SPLITS:
        for call_id, call in yaml.safe_load(split.read_text("utf-8"))["calls"].items():
            if call["outcomes"]["complaint_apology"] != "not_applicable":
                transcript = _script_transcript(call_id, call["lines"])
                calls.append((call_id, transcript, call["outcomes"]["followup_commitment"]))
    labels = yaml.safe_load((DEV / "labels.yaml").read_text("utf-8"))["calls"]
    for call_id, label in labels.items():
        if label["outcomes"]["complaint_apology"] != "not_applicable":
            transcript = Transcript.read(DEV / "calls" / f"{call_id}.json")
            calls.append((call_id, transcript, label["outcomes"]["followup_commitment"]))
    return calls


def _followup(transcript: Transcript, pack):
    return next(r for r in evaluate(transcript, pack) if r.id == "followup_commitment")


def _scripted(split: Path, prefix: str) -> Transcript:
    calls = yaml.safe_load(split.read_text("utf-8"))["calls"]
    call_id = next(c for c in calls if c.startswith(prefix))
    return _script_transcript(call_id, calls[call_id]["lines"])


def test_a_complaint_ticket_with_a_callback_owes_no_enquiry_answer(pack):
    """uc01: the annual-fee complaint is logged and 三个工作日之内会有专员给您回复处理结果: the
    complaint's handling, for complaint_time_commitment; the follow-up rule does not apply
    and says what it saw."""
    result = _followup(_scripted(SPLITS[1], "uc01-"), pack)
    assert result.outcome == "not_applicable", result.reason
    assert "seen, not enough" in result.reason and "the complaint" in result.reason


def test_an_enquiry_put_off_beside_a_complaint_is_followed_up(pack):
    """ud01: a complaint about the hotline, and a transfer question the agent cannot answer
    now (我现在没法马上给您答复) with 明天下午五点之前 and the number confirmed."""
    result = _followup(_scripted(SPLITS[2], "ud01-"), pack)
    assert result.outcome == "passed", result.reason


def test_a_question_sent_elsewhere_in_a_complaint_call_fails_the_follow_up(pack):
    """ua30: the customer complains of the agent's manner; the disputed charge is pushed back
    on them (那两千的交易你自己去报警) with nothing owed back: an enquiry brushed off."""
    result = _followup(_scripted(SPLITS[0], "ua30-"), pack)
    assert result.outcome == "failed", result.reason


def test_an_answer_that_cannot_be_given_yet_beside_a_complaint_fails_without_a_time(pack):
    """ue05: the fee complaint is handled properly, but the separate credit-limit question
    gets 这个我暂时给不了您答复，等风控那边有消息了再说吧: an enquiry put off with no time."""
    result = _followup(_scripted(DATA / "eval_audio" / "calls_ue.yaml", "ue05-"), pack)
    assert result.outcome == "failed", result.reason


def test_every_labelled_complaint_call_follows_the_convention(pack):
    calls = _complaint_calls()
    assert len(calls) >= 60
    wrong = [
        (call_id, expected, result.outcome, result.reason)
        for call_id, transcript, expected in calls
        if (result := _followup(transcript, pack)).outcome != expected
    ]
    assert not wrong, wrong
    # both sides of the convention are exercised
    outcomes = {expected for _, _, expected in calls}
    assert outcomes == {"not_applicable", "passed", "failed"}
