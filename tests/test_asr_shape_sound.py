"""Rules judged on text in the shape a recogniser gives it (issue 9): same-sounding
characters inside the words a pattern names, the question particle heard as another ma,
and a run-on turn whose clauses only the speaker's pauses separate.

Every sentence here is written in ASR shape (ASCII commas, no full stops, homophones) and
is not taken from the evaluation calls.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from core.transcript import Transcript
from rules import evaluate, parse_pack
from rules.call_view import CLAUSE_PAUSE_S, CallView
from rules.compiled import compile_pack
from rules.matching import PhraseMatcher
from rules.text_index import TextIndex
from tests.test_rules_engine import call

SURE = 0.95
WORD_S = 0.2  # one character a word, spoken back to back
PAUSE_S = 0.5


def heard(transcript: Transcript, pauses: Mapping[int, set[int]] | None = None) -> Transcript:
    """The transcript as a recogniser gives it: one sure word per character, back to back
    but for a pause of ``PAUSE_S`` before each character ``pauses[turn]`` holds."""
    pauses = pauses or {}
    data = transcript.model_dump(mode="json")
    t = 0.5
    for i, turn in enumerate(data["turns"]):
        words = []
        turn["start"] = round(t, 3)
        for k, ch in enumerate(turn["text"]):
            if k in pauses.get(i, set()):
                t += PAUSE_S
            words.append({"start": round(t, 3), "end": round(t + WORD_S, 3), "text": ch, "p": SURE})
            t += WORD_S
        turn["end"] = round(t, 3)
        turn["words"] = words
        t += 0.6
    data["audio"]["duration"] = t + 1
    return Transcript.from_dict(data)


def recognised(text: str) -> TextIndex:
    """A recognised text: one sure word per character, no pauses."""
    return TextIndex(text, [(k, k + 1, SURE) for k in range(len(text))])


def outcomes(pack, transcript: Transcript) -> dict[str, str]:
    return {r.id: r.outcome for r in evaluate(transcript, pack)}


TRANSACTION = (
    "identity_verification",
    "risk_disclosure",
    "customer_consent",
    "result_confirmation",
)


# --- a pattern's words heard as same-sounding characters ----------------------------------

# A password reset whose operation verb 重置 the recogniser wrote as 冲置 every time the
# agent said it: only the pattern's words by sound find the operation.
RESET = (
    ("a", "您好,云川银行,工号3017,很高兴为您服务"),
    ("c", "你好,我手机银行的登录密码忘了,想重置一下"),
    ("a", "好的,请报一下您的姓名和身份证后四位"),
    ("c", "刘洋,后四位6609"),
    ("a", "核对好了,冲置以后原来的密码就不能用了,指纹登录也要重新设"),
    ("a", "那现在这边给您冲置,可以吗"),
    ("c", "可以"),
    ("a", "好,这边给您冲置了,新密码您会收到短信,查收一下"),
    ("c", "收到了"),
    ("a", "请问还有其他可以帮您的吗"),
    ("c", "没有了"),
    ("a", "好的,感谢您的来电,再见"),
)


def test_an_operation_verb_heard_as_a_homophone_still_makes_the_block_apply(pack):
    got = outcomes(pack, heard(call(*RESET)))
    assert {rule: got[rule] for rule in TRANSACTION} == dict.fromkeys(TRANSACTION, "passed")


def test_a_written_transcript_means_what_it_says(pack):
    # the same words as written text: 冲置 is not 重置, and no operation is certain
    got = outcomes(pack, call(*RESET))
    assert all(got[rule] in ("not_applicable", "needs_review") for rule in TRANSACTION), got


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        # two or more characters: each one by sound, the pattern's structure as written
        (
            "(已经|已)(给|为)(您|你)[^，。？！]{0,6}(重置|解锁)",
            "好的已经给您接锁了",
            "已经给您接锁",
        ),
        (
            "(发|报)[^，。？！]{0,10}(验证码|动态码)",
            "我给您手机发了一条验证吗,您念一下",
            "发了一条验证吗",
        ),
        # a single character stays as written: 好 is not 号
        ("(好|行)(的|吧)", "五号的卡", None),
        # the question particle: any ma where a clause ends, not 马上 in mid-clause
        ("(确认|确定)[^。？！]{0,20}(吗|么)", "那确定要关码", "确定要关码"),
        ("(确认|确定)[^。？！]{0,20}(吗|么)", "确定的话马上给您关", None),
        ("(确认|确定)[^。？！]{0,20}(吗|么)", "确定要关马,好", "确定要关马"),
    ],
)
def test_patterns_by_sound(pattern, text, found):
    [match] = PhraseMatcher((), (pattern,)).matches(recognised(text)) or [None]
    assert (match.text if match else None) == found
    assert PhraseMatcher((), (pattern,)).matches(TextIndex(text)) == []  # written: as written


def test_an_exact_phrase_set_takes_no_pattern_by_sound():
    pattern = "(已经|已)(给|为)(您|你)(解锁)"
    assert PhraseMatcher((), (pattern,), exact=True).matches(recognised("已经给您接锁")) == []
    assert PhraseMatcher((), (pattern,)).matches(recognised("已经给您接锁")) != []


RUDE_BY_SOUND = """\
name: sound_pack
version: "0.1"
rules:
  - id: brush_off
    title: Brush-off
    policy_clause: "5.1"
    description: The agent never pushes the customer away.
    speaker: agent
    forbid:
      - name: brush_off
        label: brush-off
        patterns: ['自己看着办']
  - id: look_it_up
    title: Tells where to look
    policy_clause: "4.1"
    description: The agent tells the customer to look it up.
    speaker: agent
    require:
      - name: look
        label: look it up
        patterns: ['自己看着办']
"""


def test_a_same_sounding_word_asks_for_review_never_fails_the_agent():
    # 砍 sounds as 看: enough to find a required step; for forbidden wording only enough to
    # ask a QA lead to listen (needs_review leaning failed), never a violation alone
    sound_pack = parse_pack(RUDE_BY_SOUND)
    transcript = heard(call(("a", "那你自己砍着办吧"), ("c", "好吧")))
    got = outcomes(sound_pack, transcript)
    assert got == {"brush_off": "needs_review", "look_it_up": "passed"}
    [brush_off] = [r for r in evaluate(transcript, sound_pack) if r.id == "brush_off"]
    assert brush_off.leaning == "failed" and "砍着办" in brush_off.reason
    said = outcomes(sound_pack, heard(call(("a", "那你自己看着办吧"), ("c", "好吧"))))
    assert said["brush_off"] == "failed"
    written = outcomes(sound_pack, call(("a", "那你自己砍着办吧"), ("c", "好吧")))
    assert written["brush_off"] == "passed"  # a written transcript means what it says


def test_the_workload_excuse_heard_with_a_homophone_goes_to_review(pack):
    # 各个 (gege) for 个个: the recogniser's spelling of 哪能个个都记得
    excuse = (
        ("a", "您好，华信银行"),
        ("c", "你们答应过的"),
        ("a", "我们每天电话那么多,哪能各个都记得"),
    )
    [rude] = [r for r in evaluate(heard(call(*excuse)), pack) if r.id == "forbidden_language"]
    assert (rude.outcome, rude.leaning) == ("needs_review", "failed")
    [clean] = [
        r
        for r in evaluate(
            heard(call(*excuse[:2], ("a", "我们每天电话那么多,各个都会记下来"))), pack
        )
        if r.id == "forbidden_language"
    ]
    assert clean.outcome == "passed"


# --- a run-on turn: the speaker's pauses are its clauses ---------------------------------

# An unfreeze whose result the recogniser wrote as one run, no punctuation: 明天 (a promise
# for later, which excludes an operation in its clause) belongs to the next clause.
UNFREEZE = (
    ("a", "您好,云川银行,工号3017,很高兴为您服务"),
    ("c", "你好我的卡被冻了想解冻"),
    ("a", "好的请报一下您的姓名和身份证后四位"),
    ("c", "陈静后四位3318"),
    ("a", "核对好了解冻以后卡就恢复交易了"),
    ("a", "好的这边已经给您解冻好了您明天上午再刷卡试试"),
    ("c", "好的谢谢"),
    ("a", "请问还有其他可以帮您的吗"),
    ("c", "没有了"),
    ("a", "好的感谢您的来电再见"),
)
RESULT_TURN = 5
AFTER_DONE = UNFREEZE[RESULT_TURN][1].index("您明天")


def deeds(pack, transcript: Transcript) -> list[str]:
    """The agent's words the pack reads as an operation carried out."""
    _, matcher = compile_pack(pack).events["operation_performed"]
    return [hit.match.text for hit in CallView(transcript).hits(matcher, "agent", fuzzy=True)]


def test_a_pause_ends_a_clause_the_recogniser_did_not_punctuate(pack):
    assert deeds(pack, heard(call(*UNFREEZE))) == []  # the deed is lost in the run
    paused = heard(call(*UNFREEZE), {RESULT_TURN: {AFTER_DONE}})
    assert deeds(pack, paused) == ["已经给您解冻好了"]
    got = outcomes(pack, paused)
    assert got["identity_verification"] == got["result_confirmation"] == "passed"


def test_an_operation_is_found_by_sound_only_in_recognised_text(pack):
    assert deeds(pack, call(*RESET)) == []
    assert deeds(pack, heard(call(*RESET))) == ["这边给您冲置"]


def test_a_pause_reads_as_a_comma_and_quotes_still_index_the_text():
    view = CallView(heard(call(("a", "已经给您解冻好了您明天再试试")), {0: {8}}))
    index = view.index(0)
    assert index.norm == "已经给您解冻好了，您明天再试试"
    assert index.squashed == "已经给您解冻好了您明天再试试"  # phrases see no comma
    assert index.span_from_norm(8, 11) == (8, 10)  # the comma quotes as the word after it
    assert PAUSE_S >= CLAUSE_PAUSE_S


def test_a_pause_inside_a_number_is_no_clause():
    view = CallView(heard(call(("a", "明天下午5.5点前给您回电")), {0: {6}}))
    assert "，" not in view.index(0).norm


def test_a_pause_after_punctuation_adds_nothing():
    view = CallView(heard(call(("a", "好的,已经给您解冻了")), {0: {3}}))
    assert view.index(0).norm == "好的，已经给您解冻了"
