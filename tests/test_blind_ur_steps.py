"""Taiwan usage found on the blind split calls_ur (a thirteenth writer who had not seen the
pack, judged before tuning): the identity check asked as 身分證字號末四碼 is the mainland's
身份证号后四位, while the tail of a number to call back (明天打末四碼六二八一這支,
來電顯示末四碼) is no identity check, in either usage; asking what the customer wants to
apply for (您是想申请…对吧) submits nothing; a result named at length in the deed's own turn
(已经帮您把卡片后四位…的海外交易开通了) and a lock lifted (已經解除鎖定) are read back;
三個工作天內…回覆您 is a handling time; Confirm is consent, confirm一下 is not.
Each has its counter-case.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from rules.text_index import TextIndex
from tests.test_blind_split_fixes import outcomes
from tests.test_rules_engine import CLOSING, GREETING

RISK = ("a", "跟您說明，解鎖之後舊密碼就不能用了，要重新設定。")
CONSENT = (("a", "那我現在幫您解除鎖定，可以嗎？"), ("c", "可以。"))
DEED = ("a", "已經幫您解除鎖定了，臨時密碼發到您手機，十分鐘內有效。")


@pytest.mark.parametrize(
    "ask",
    [
        "先跟您核對身分，請告訴我身分證字號末四碼和生日。",
        "麻煩您說一下身分證末六碼。",
        "请报一下身份证末四位。",
    ],
)
def test_the_identity_asked_in_taiwan_words_is_an_identity_check(pack, ask):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "我網銀密碼打錯太多次被鎖住了。"),
        ("a", ask),
        ("c", "七七零二，生日三月二號。"),
        RISK,
        *CONSENT,
        DEED,
        *CLOSING,
    )
    assert got["identity_verification"] == "passed"


def test_without_any_identity_question_the_deed_still_fails_identity(pack):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "我網銀密碼打錯太多次被鎖住了。"),
        RISK,
        *CONSENT,
        DEED,
        *CLOSING,
    )
    assert got["identity_verification"] == "failed"


@pytest.mark.parametrize(
    "callback",
    [
        "明天上午十一點以前打末四碼六二八一這支，到時候請把身分證準備好。",
        "我這邊來電顯示末四碼是六二八一，打這支可以嗎？",
        "明天上午打您后四位六二八一这个号码可以吗？",
    ],
)
def test_the_tail_of_a_number_to_call_back_is_no_identity_check(pack, callback):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "我想把預留手機改成新的號碼。"),
        ("a", "變更要先做視訊核身，系統今天在維護，明天我打給您再辦。"),
        ("a", callback),
        ("c", "好，知道了。"),
        *CLOSING,
    )
    assert {got[r] for r in ("identity_verification", "customer_consent")} == {"not_applicable"}


def test_taiwan_words_keep_every_offset_of_the_original():
    index = TextIndex("請提供身分證字號末四碼。")
    assert index.norm == "请提供身份证字号后四位。"
    assert len(index.norm_to_orig) == len(index.norm)
    assert index.original[index.norm_to_orig[8]] == "末"


# --- what the customer wants is no submission ---------------------------------------------

RECALL_RISK = ("a", "跟您讲清楚：钱已经到了对方账户，对方不同意就退不回来。")
RECALL_CONSENT = (("a", "那我现在给您提交这笔退回申请，您确认吗？"), ("c", "确认。"))
RECALL_DONE = ("a", "好的，已经提交了，三个工作日内联系收款人。")


def _recall(pack, agent_first: str) -> dict[str, str]:
    return outcomes(
        pack,
        ("a", GREETING),
        ("c", "我转错账了，八千块转给了不认识的人。"),
        ("a", agent_first),
        ("c", "对，能退回来吗？"),
        RECALL_RISK,
        *RECALL_CONSENT,
        RECALL_DONE,
        *CLOSING,
    )


def test_asking_what_the_customer_wants_to_apply_for_is_no_submission(pack):
    got = _recall(pack, "好的，身份刚才同事核实过了。您是想申请把这笔钱退回来对吧？")
    assert (got["risk_disclosure"], got["customer_consent"]) == ("passed", "passed")


def test_an_application_made_before_the_risk_is_told_is_still_one(pack):
    got = _recall(pack, "好的，身份刚才同事核实过了。我给您申请把这笔钱退回来，")
    assert got["risk_disclosure"] == "failed"


# --- the result named at length in the deed's own turn ------------------------------------


def _overseas(pack, *agent_after_risk: tuple[str, str]) -> dict[str, str]:
    return outcomes(
        pack,
        ("a", GREETING),
        ("c", "我下礼拜去日本，卡要先开通海外交易吗？"),
        ("a", "先核对身份，请告诉我身份证后四位。"),
        ("c", "三九零八。"),
        ("a", "开通后在国外刷卡会收百分之一点五的服务费。"),
        ("c", "好。"),
        *agent_after_risk,
        *CLOSING,
    )


def test_a_result_named_at_length_in_the_deeds_turn_is_read_back(pack):
    got = _overseas(
        pack,
        (
            "a",
            "已经帮您把卡片后四位六二零一的海外交易开通了，期间是从今天到下个月十号，这样可以吗？",
        ),
        ("c", "可以可以。"),
    )
    assert (got["result_confirmation"], got["customer_consent"]) == ("passed", "failed")


def test_a_deed_done_without_a_word_of_its_result_is_not_read_back(pack):
    got = _overseas(
        pack,
        ("a", "那我现在给您开通海外交易，可以吗？"),
        ("c", "可以可以。"),
        ("a", "好的，请稍等。"),
        ("a", "好，这边操作了。"),
    )
    assert got["result_confirmation"] == "failed"


# --- a handling time in Taiwan words -------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("這部分我幫您立案，三個工作天內以簡訊或電話回覆您。", "passed"),
        ("這部分我幫您立案，會盡快以簡訊回覆您。", "failed"),
    ],
)
def test_a_handling_time_in_working_days_and_a_reply_in_taiwan_words(pack, reply, expected):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "我想反映一下，你們說每月十次免手續費，結果每次都被扣十五塊。"),
        ("a", "真的很抱歉造成您的困擾。"),
        ("a", reply),
        ("c", "好。"),
        *CLOSING,
    )
    assert got["complaint_time_commitment"] == expected


@pytest.mark.parametrize(
    ("read_back", "expected"),
    [
        ("好了，您的網路銀行已經解除鎖定，臨時密碼十分鐘內有效。", "passed"),
        ("好了，這邊處理了一下。", "failed"),
    ],
)
def test_a_lock_lifted_is_read_back_as_lifted(pack, read_back, expected):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "我網銀密碼打錯太多次被鎖住了。"),
        ("a", "先跟您核對身分，請告訴我身分證字號末四碼。"),
        ("c", "五零二七。"),
        RISK,
        *CONSENT,
        ("a", "好，現在幫您解除鎖定。"),
        ("a", read_back),
        *CLOSING,
    )
    assert got["result_confirmation"] == expected


# --- consent given in English ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Confirm，设吧。", "passed"),
        ("等下，我先confirm一下余额。", "failed"),
    ],
)
def test_consent_said_in_english(pack, answer, expected):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "我想设个自动还款，省得老忘。"),
        ("a", "先核对一下身份，麻烦报一下身份证后四位。"),
        ("c", "八幺幺零。"),
        ("a", "提醒您，如果还款日卡里余额不够，剩下的还是算逾期，会影响征信。"),
        ("a", "那我帮您设置为全额自动还款，您confirm一下？"),
        ("c", answer),
        ("a", "好，已经设置好了，每月二十五号从工资卡全额扣款。"),
        *CLOSING,
    )
    assert got["customer_consent"] == expected
