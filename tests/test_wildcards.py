"""Low-probability words count as wildcards in phonetic matching (issue 9, item 3): a
syllable whose recognised word the recogniser was unsure of may stand for one syllable of
a required check's phrase, limited, said in the evidence, and with its confidence lowered.

The sentences are written for these tests; the word probabilities are what a recogniser
could report for them (one unsure character, the rest sure)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from core.errors import RulePackError
from core.transcript import Transcript
from rules import evaluate, parse_pack
from rules.matching import PhraseMatcher
from rules.text_index import TextIndex
from tests.test_rules_engine import CLOSING, GREETING, call

SURE = 0.95
UNSURE = 0.4

CARD_LOSS = (
    ("a", GREETING),
    ("c", "你好，我的银行卡丢了，想挂失。"),
    ("a", "好的，请报一下您的姓名和身份证后四位。"),
    ("c", "李明，后四位5821。"),
    ("a", "核对好了。挂失以后这张卡就不能再用了，补卡要收十元工本费。"),
    ("a", "现在给您办理挂失，您确认吗？"),
    ("c", "缺的。"),  # 确定 (or 确认), the second syllable misheard
    ("a", "好的，已经为您挂失成功了。"),
    *CLOSING,
)
REPLY_TURN = 6


def heard(transcript: Transcript, unsure: Mapping[tuple[int, int], float]) -> Transcript:
    """The transcript as a recogniser gives it: one word per character, evenly timed, each
    sure but for ``unsure`` ((turn, character) -> probability)."""
    data = transcript.model_dump(mode="json")
    for i, turn in enumerate(data["turns"]):
        text = turn["text"]
        step = (turn["end"] - turn["start"]) / len(text)
        turn["words"] = [
            {
                "start": round(turn["start"] + k * step, 3),
                "end": round(turn["start"] + (k + 1) * step, 3),
                "text": ch,
                "p": unsure.get((i, k), SURE),
            }
            for k, ch in enumerate(text)
        ]
    return Transcript.from_dict(data)


def results(pack, transcript: Transcript) -> dict:
    return {r.id: r for r in evaluate(transcript, pack)}


def index(text: str, unsure: Mapping[int, float]) -> TextIndex:
    """A recognised text: one word per character, sure but for ``unsure``."""
    return TextIndex(text, [(k, k + 1, unsure.get(k, SURE)) for k in range(len(text))])


# --- a short reply through an unsure word: review, with the evidence saying why ---------


def test_an_unsure_word_in_a_short_reply_reads_as_consent_and_asks_for_review(pack):
    transcript = heard(call(*CARD_LOSS), {(REPLY_TURN, 1): UNSURE})
    r = results(pack, transcript)["customer_consent"]
    # one syllable of two heard for sure: too little to pass on, too much to fail on
    assert r.outcome == "needs_review", r.reason
    assert r.leaning == "passed"
    assert r.confidence < pack.settings.review_below
    assert "low-probability word 的 (p 0.40) read as" in r.reason
    [evidence] = [e for e in r.evidence if e.turn == REPLY_TURN]
    assert evidence.text == "缺的" and evidence.speaker == "customer"
    assert evidence.phrase is not None and evidence.phrase.split(" ")[0] in ("确认", "确定")
    assert "low-probability word 的 (p 0.40) read as" in evidence.phrase
    words = transcript.turns[REPLY_TURN].words or ()
    assert (evidence.start, evidence.end) == (words[0].start, words[1].end)
    assert evidence.score == 0.5


def test_written_text_and_sure_words_take_no_wildcard(pack):
    written = call(*CARD_LOSS)  # no word probabilities
    sure = heard(call(*CARD_LOSS), {})
    for transcript in (written, sure):
        r = results(pack, transcript)["customer_consent"]
        assert r.outcome == "failed", r.reason
        assert "no explicit consent" in r.reason


def test_wildcard_below_zero_turns_them_off(pack):
    transcript = heard(call(*CARD_LOSS), {(REPLY_TURN, 1): UNSURE})
    off = pack.with_settings(wildcard_below=0.0)
    assert results(off, transcript)["customer_consent"].outcome == "failed"


# --- a long phrase with one unsure word passes, still saying so ----------------------------


def test_a_long_phrase_with_one_unsure_word_passes(pack):
    turns = (
        ("a", GREETING),
        ("c", "你好，问一下网点几点关门。"),
        ("a", "下午五点关门。"),
        ("a", "请问还有其他可以帮您的吗？"),
        ("c", "没有了。"),
        ("a", "好的，感动您的来电。"),  # 感谢您的来电, 谢 misheard as 动
    )
    unsure = heard(call(*turns), {(5, 4): 0.3})
    r = results(pack, unsure)["closing"]
    assert r.outcome == "passed", r.reason
    assert pack.settings.review_below <= r.confidence < 0.9
    assert "low-probability word 动 (p 0.30) read as 谢" in r.reason
    assert any(e.text == "感动您的来电" and "read as 谢" in (e.phrase or "") for e in r.evidence)
    # the same words heard for sure: another word, and the closing has no thanks
    assert results(pack, heard(call(*turns), {}))["closing"].outcome == "failed"


def test_a_sure_match_is_quoted_before_an_earlier_unsure_one(pack):
    # 家午好 (上午好, 家 unsure) comes first, but the plain 您好 after it decides the
    # salutation: the introduction (客服热线 as 克服了线, 了 unsure) alone is read through a
    # wildcard, and a four-syllable phrase with one unsure word is enough to pass.
    opening = call(("a", "家午好，云川克服了线，您好。"), ("c", "你好，问个事。"), *CLOSING)
    r = results(pack, heard(opening, {(0, 0): 0.2, (0, 8): 0.3}))["greeting"]
    assert r.outcome == "passed", r.reason
    assert "read as 热" in r.reason and "read as 上" not in r.reason
    assert any(e.phrase == "您好" for e in r.evidence)


# --- the limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "text", "unsure", "found"),
    [
        # a short phrase through a wildcard only as a clause of its own (a particle aside)
        ("风险", "到险。", {0: 0.3}, "到险"),
        ("风险", "到险吧。", {0: 0.3}, "到险"),
        ("风险", "我们到险那边再看。", {2: 0.3}, None),
        # one unsure word per match: a second one leaves too little heard for sure
        ("感谢您的来电", "感动您的来电", {1: 0.3}, "感动您的来电"),
        ("感谢您的来电", "感动您的来电", {1: 0.3, 4: 0.3}, None),
        # the unsure word must be unsure: below the threshold (0.6 here)
        ("感谢您的来电", "感动您的来电", {1: 0.7}, None),
        # what was written is a frequent word of its own: 确实 is not 确认
        ("确认", "确实。", {1: 0.3}, None),
        # a single character matches only as written
        ("好", "号。", {0: 0.3}, None),
    ],
)
def test_wildcard_limits(phrase, text, unsure, found):
    matcher = PhraseMatcher([phrase], wildcard_below=0.6)
    matches = matcher.matches(index(text, unsure))
    assert [m.text for m in matches] == ([found] if found else [])
    for m in matches:
        assert m.kind == "wildcard" and m.wildcard is not None
        assert m.wildcard.p < 0.6 and m.wildcard.written in text
    # only the fuzzy pass reads through unsure words, never the cheap one
    assert not matcher.matches(index(text, unsure), fuzzy=False)


def test_a_wildcard_never_makes_a_violation_or_an_event(pack):
    # 你自己想办法 (forbidden) through an unsure 说 would be a violation; a guess may
    # rescue what was said, never accuse an agent.
    said = "这个你自己想说法。"
    matcher = PhraseMatcher(["你自己想办法"], wildcard_below=0.6)
    assert matcher.matches(index(said, {6: 0.2}))  # the phrase could be read into it
    transcript = heard(call(("a", GREETING), ("c", "你好。"), ("a", said), *CLOSING), {(2, 6): 0.2})
    out = results(pack, transcript)
    assert out["forbidden_language"].outcome == "passed", out["forbidden_language"].reason


def test_a_pack_refuses_a_wildcard_threshold_out_of_range():
    from tests.test_rules_pack import SMALL

    with pytest.raises(RulePackError, match="wildcard_below"):
        parse_pack(SMALL + "settings: {wildcard_below: 1.5}\n", source="odd.yaml")
    assert parse_pack(SMALL + "settings: {wildcard_below: 0}\n").settings.wildcard_below == 0
