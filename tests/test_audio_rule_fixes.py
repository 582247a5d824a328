"""Rules that survive telephone recognition (issue 9, item 3): what the recordings of the
tuning split showed going wrong, each fixed as a rule of the language or of recognition.

- a noun is no deed: 办法 / 办事 / 办公 after 给您 make no operation (an operation found
  where none was done makes identity, risk and consent look late);
- a deed said with a perfective 了 (给您调成每天两千了) is done, whatever is asked after it;
- a pattern's word misheard by -n/-ng (风险 as 风向) is read through the pattern's context,
  on recognised text only and for required steps only;
- a recogniser's comma, a garbled verb or a homophone no longer hides a required step.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from core.transcript import Transcript
from rules.matching import PhraseMatcher
from rules.near_homophones import fold_nasal
from rules.text_index import TextIndex
from tests.test_rules_engine import CLOSING, GREETING, call, results
from tests.test_wildcards import heard, index

# a limit change done right: verify, explain, ask, consent, act, confirm
VERIFY, RISK, ASK, CONSENT, ACT = 2, 4, 5, 6, 7
LIMIT_CHANGE = (
    ("a", GREETING),
    ("c", "你好，我想把网银的转账限额调低一点。"),
    ("a", "好的，先核实一下您的身份，请报一下姓名和身份证后四位。"),
    ("c", "周丽，后四位0415。"),
    ("a", "核实通过。调低以后单笔超过限额的转账就不能做了。"),
    ("a", "那我帮您把限额调成每天五千，您确认吗？"),
    ("c", "确认。"),
    ("a", "好的，已经为您调整成功了。"),
    *CLOSING,
)


def with_turns(**replaced: str) -> list[tuple[str, str]]:
    """LIMIT_CHANGE with the agent's or customer's words of some turns replaced
    (``t4="..."`` replaces turn 4)."""
    turns = list(LIMIT_CHANGE)
    for key, text in replaced.items():
        i = int(key[1:])
        turns[i] = (turns[i][0], text)
    return turns


def outcomes(pack, transcript: Transcript) -> dict[str, str]:
    return {k: r.outcome for k, r in results(pack, transcript).items()}


def test_the_call_itself_passes_every_transaction_rule(pack):
    got = outcomes(pack, call(*LIMIT_CHANGE))
    for rule_id in ("identity_verification", "risk_disclosure", "customer_consent"):
        assert got[rule_id] == "passed", rule_id


# --- what is no operation ----------------------------------------------------------------


@pytest.mark.parametrize("noun", ["想个办法", "联系办公室"])
def test_a_noun_after_gei_nin_is_no_operation(pack, noun):
    # an enquiry: nothing is done on the account, so the transaction rules do not apply
    turns = (
        ("a", GREETING),
        ("c", "你好，我转账一直失败，怎么回事？"),
        ("a", f"您别急，我先给您{noun}。"),
        ("c", "好的。"),
        ("a", "可能是网络的原因，您换个网络再试一下。"),
        *CLOSING,
    )
    assert outcomes(pack, call(*turns))["identity_verification"] == "not_applicable"


def test_a_deed_with_perfective_le_is_done_before_the_question_after_it(pack):
    # consent asked only after the limit was already changed: too late
    turns = with_turns(
        t5="好，给您调成每天五千了……这样可以吧？", t6="行吧。", t7="嗯，调整成功，每天最多转五千。"
    )
    r = results(pack, call(*turns))["customer_consent"]
    assert r.outcome == "failed", r.reason
    assert "only after the operation" in r.reason


# --- required steps through recognition ----------------------------------------------------


def test_a_pattern_word_misheard_by_ng_is_read_in_the_patterns_context():
    matcher = PhraseMatcher(
        ["风险"], ["(有|存在|承担)[^，。？！]{0,6}风险"], wildcard_below=0.6, threshold=0.85
    )
    text = "这个操作存在一定的风向，您考虑一下。"
    [m] = matcher.matches(index(text, {}))
    assert m.text == "存在一定的风向" and m.kind == "fuzzy"
    assert 0.85 <= m.score < 1
    # 风向 alone is another word; a written transcript means what it says; and an event
    # (no wildcards) takes no such guess
    assert not matcher.matches(index("今天的风向变了。", {}))
    assert not matcher.matches(TextIndex(text))
    events = PhraseMatcher(["风险"], ["(有|存在|承担)[^，。？！]{0,6}风险"], threshold=0.85)
    assert not events.matches(index(text, {}))


def test_fold_nasal_folds_only_ng():
    assert [fold_nasal(s) for s in ("xiang", "jing", "feng", "xian", "ba")] == [
        "xian",
        "jin",
        "fen",
        "xian",
        "ba",
    ]


def test_risk_misheard_by_ng_passes_from_the_recording_only(pack):
    turns = with_turns(t4="核实通过。调低这个限额存在一定的风向，您要注意。")
    assert outcomes(pack, heard(call(*turns), {}))["risk_disclosure"] == "passed"
    assert outcomes(pack, call(*turns))["risk_disclosure"] == "failed"


@pytest.mark.parametrize(
    "explanation",
    [
        "核实通过。调低后，单笔大额的转账都停掉。",  # a recogniser's comma after 后
        "核实通过。调低以后赶上转大钱的时候，忘了调就会转不出去。",
        "核实通过。审批通过前原来的限额还会保留一天。",
        "核实通过。要是一天转的超过五千，那笔转账会被拒绝。",
    ],
)
def test_consequences_in_other_words_are_a_disclosure(pack, explanation):
    assert outcomes(pack, call(*with_turns(t4=explanation)))["risk_disclosure"] == "passed"
    assert outcomes(pack, call(*with_turns(t4="核实通过。")))["risk_disclosure"] == "failed"


def test_the_last_digits_of_any_number_but_the_cards_verify_the_person(pack):
    told = "好的。调低以后单笔超过限额的转账就不能做了。"  # no 核实通过 said
    asked = with_turns(t2="好的，先对一下，您手机号后四位？", t4=told)
    assert outcomes(pack, call(*asked))["identity_verification"] == "passed"
    card = with_turns(t2="好的，您卡号后四位？", t4=told)
    assert outcomes(pack, call(*card))["identity_verification"] == "failed"
    # by sound on a recording: 后思维 is 后四位
    misheard = with_turns(t2="好的，手机号后思维？", t4=told)
    assert outcomes(pack, heard(call(*misheard), {}))["identity_verification"] == "passed"


def test_a_consent_request_with_any_verb_between(pack):
    turns = with_turns(t5="那确定要把限额往下调吧。")
    assert outcomes(pack, call(*turns))["customer_consent"] == "passed"


def test_a_verb_said_over_and_over_is_consent_by_sound(pack):
    # 盖盖 sounds as 改改; a written 盖盖 is what it says
    turns = with_turns(t6="改改改，快点。")
    assert outcomes(pack, call(*turns))["customer_consent"] == "passed"
    misheard = with_turns(t6="盖盖盖，快点。")
    assert outcomes(pack, heard(call(*misheard), {}))["customer_consent"] == "passed"
    assert outcomes(pack, call(*misheard))["customer_consent"] == "failed"


@pytest.mark.parametrize(
    "result", ["好的，已经给您调整，明天零点起按新限额。", "好的，已经为您办好，每天最多五千。"]
)
def test_a_result_said_for_the_customer(pack, result):
    assert outcomes(pack, call(*with_turns(t7=result)))["result_confirmation"] == "passed"


def test_sending_the_customer_to_the_police_alone_is_dismissive(pack):
    turns = (
        ("a", GREETING),
        ("c", "你好，我被人骗了两千块。"),
        ("a", "这种事你自己去报警。"),
        *CLOSING,
    )
    assert outcomes(pack, call(*turns))["forbidden_language"] == "failed"
    polite = (turns[0], turns[1], ("a", "建议您尽快报警，我们这边也会配合。"), *CLOSING)
    assert outcomes(pack, call(*polite))["forbidden_language"] == "passed"
