"""Matching that generalises past the pack's phrase lists (issue 9, item 3): an identity
check that never completed, an offer the customer declined, a proposal whose question
follows a comma, a result read back in the very words of the deed, an apology only for
the hold, complaints and rude remarks in wording classes rather than listed phrases.

Every call here is new wording, not a sentence of the evaluation sets."""

from __future__ import annotations

import pytest

from core.errors import RulePackError
from rules import parse_pack
from tests.test_rules_confidence import OPERATION_RULES, SMALL
from tests.test_rules_engine import CLOSING, GREETING, call, results


def _code_call(answer: str) -> list[tuple[str, str]]:
    return [
        ("a", GREETING),
        ("c", "你好，我想把信用卡的自动还款关掉。"),
        ("a", "好的，我往您预留的手机上发一个验证码，您念给我听。"),
        ("c", answer),
        ("a", "关掉以后每月要您自己手动还款，忘记的话会逾期。确认要关吗？"),
        ("c", "确认。"),
        ("a", "好的，自动还款已经关闭成功了。"),
        *CLOSING,
    ]


def test_a_code_that_never_arrived_is_no_identity_check(pack):
    given = results(pack, call(*_code_call("四八二九一七。")))
    missing = results(pack, call(*_code_call("嗯……等了半天也没收到啊。")))
    assert given["identity_verification"].outcome == "passed"
    failed = missing["identity_verification"]
    assert failed.outcome == "failed", failed.reason
    # the rest of the block is judged as before: the check's void touches identity only
    assert missing["customer_consent"].outcome == "passed"


def _offer_call(reply: str) -> list[tuple[str, str]]:
    return [
        ("a", GREETING),
        ("c", "你好，我钱包找不到了，卡可能丢了。"),
        ("a", "需要的话我现在可以帮您临时挂失，挂失后卡暂时不能用。要办吗？"),
        ("c", reply),
        ("a", "好的，那您先找一找。"),
        *CLOSING,
    ]


def test_a_declined_offer_weighs_against_the_transaction(pack):
    declined = results(pack, call(*_offer_call("先不用了，我回家再找找。")))
    unanswered = results(pack, call(*_offer_call("嗯……我想一下。")))
    for rule_id in OPERATION_RULES:
        assert declined[rule_id].outcome == "not_applicable", declined[rule_id].reason
        # without the refusal the same signs still ask a QA lead to look
        assert unanswered[rule_id].outcome == "needs_review", unanswered[rule_id].reason


def test_a_submission_asked_about_after_a_comma_is_a_proposal_not_the_deed(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "你好，我昨天转账转错了一个人，两千块。"),
            ("a", "先核实一下身份，请说一下姓名和身份证后四位。"),
            ("c", "李梅，后四位五五一二。"),
            ("a", "核实通过。提交以后要收款方同意才能退回，有可能退不回来。"),
            ("a", "我给您提交一个退回申请，可以吗？"),
            ("c", "可以。"),
            ("a", "退回申请已经提交成功了。"),
            *CLOSING,
        ),
    )
    for rule_id in OPERATION_RULES:
        assert out[rule_id].outcome == "passed", (rule_id, out[rule_id].reason)


def test_a_bare_done_is_the_deed_but_no_result_read_back(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "你好，我要把网银登录密码重置一下。"),
            ("a", "好的，请说一下身份证后四位。"),
            ("c", "七七零一。"),
            ("a", "重置以后原来的密码就失效了。给您重置，可以吗？"),
            ("c", "可以。"),
            ("a", "好，我这边操作了，您过一会儿再登录看看。"),
            *CLOSING,
        ),
    )
    assert out["identity_verification"].outcome == "passed"
    assert out["result_confirmation"].outcome == "failed", out["result_confirmation"].reason


def _complaint_call(apology: str) -> list[tuple[str, str]]:
    return [
        ("a", GREETING),
        ("c", "你们这个月怎么扣了我两次年费？我根本没开通过这个服务！"),
        ("a", apology),
        ("a", "我给您登记一下，三个工作日内给您回复处理结果。"),
        *CLOSING,
    ]


def test_a_complaint_in_new_words_applies_and_a_sorry_for_the_hold_is_no_apology(pack):
    for_the_hold = results(pack, call(*_complaint_call("抱歉让您久等了，我查一下。")))
    for_the_charge = results(pack, call(*_complaint_call("真的很抱歉，给您添麻烦了。")))
    assert for_the_hold["complaint_time_commitment"].outcome == "passed"
    assert for_the_hold["complaint_apology"].outcome == "failed"
    assert for_the_charge["complaint_apology"].outcome == "passed"


def test_an_enquiry_about_a_fee_is_no_complaint(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "你好，我想问一下跨行转账收不收手续费？"),
            ("a", "手机银行转账是免费的。"),
            *CLOSING,
        ),
    )
    assert out["complaint_apology"].outcome == "not_applicable"


@pytest.mark.parametrize(
    "remark",
    [
        "这么简单的操作都弄不明白啊？",  # sarcasm
        "这能怪谁，肯定是您自己输错了。",  # blaming
        "行了行了，您不用说那么多。",  # cutting the customer off
        "那是别的部门的事，跟我们这边没关系。",  # pushing away
        "您这个岁数，还是让孩子帮您弄吧。",  # condescension
    ],
)
def test_rude_remarks_without_a_listed_phrase_fail(pack, remark):
    out = results(
        pack, call(("a", GREETING), ("c", "我登录不了手机银行。"), ("a", remark), *CLOSING)
    )
    assert out["forbidden_language"].outcome == "failed", remark


def test_firm_but_polite_stays_clean(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "我帮我妈查一下她卡里的余额。"),
            ("a", "不好意思，账户信息只能告诉持卡人本人，这是为了保护她的资金安全，还请理解。"),
            *CLOSING,
        ),
    )
    assert out["forbidden_language"].outcome == "passed", out["forbidden_language"].reason


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("phrases: [好的]}]\n", "phrases: [好的]}]\n    signs: {asked: 0}\n", "must not be 0"),
        (
            "phrases: [好的]}]",
            "phrases: [好的], voided_by: nowhere}]",
            "voided_by refers to unknown event 'nowhere'",
        ),
    ],
)
def test_bad_counter_signs_and_voids_are_refused(old, new, problem):
    text = SMALL.replace(old, new)
    with pytest.raises(RulePackError) as err:
        parse_pack(text, source="bad.yaml")
    assert "bad.yaml" in str(err.value)
    assert problem in str(err.value)


def test_a_broken_sentence_exclusion_is_refused():
    text = SMALL.replace("phrases: [我要挂失]}", "phrases: [我要挂失], exclude_sentence: ['(']}")
    with pytest.raises(RulePackError) as err:
        parse_pack(text, source="bad.yaml")
    assert "not a valid regular expression" in str(err.value)
