"""Script steps in words the pack did not list, found on the blind split calls_uo (a tenth
writer who had not seen the pack): blame and belittling without stock phrases (这种…您也信,
一般人都不在乎, 反正也就…), a check ticket that is no operation (核查单, 征信异议), a record
read out that is no deed (我看到了，…扣款成功), a sorry that opens a refusal (很抱歉，…没办法
告诉您), a grievance told as a contradiction (明明按时还了) or as what the machine kept back,
a video identity check, the deed's own verb as consent (解吧), and what the agent cannot do
now owed for later. Each has its counter-case.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import agent_says, outcomes
from tests.test_plain_spoken_steps import CONSENT, DONE, IDENTITY, RISK, reset_call
from tests.test_rules_engine import CLOSING, GREETING

# --- agent language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "remark",
    [
        "这种电话您也信啊，哪有银行打电话要密码的。",
        "年费一年几十块，一般人都不在乎这点。",
        "又不是什么大事，过两天再办也行。",
        "反正也就五块钱，退不退都差不多。",
        "您就等着吧，后台会弄的。",
        "是您自己把验证码告诉别人的。",
        "您证件找好了再说吧。",
    ],
)
def test_blame_and_belittling_without_stock_phrases_are_cold(pack, remark):
    assert agent_says(pack, remark) == "failed"


@pytest.mark.parametrize(
    "kind",
    [
        "是您本人操作的就没问题，我再帮您看看。",
        "您慢慢找，不着急。",
        "这种情况一般人都会紧张，您别担心。",
    ],
)
def test_a_condition_or_patience_is_not_cold(pack, kind):
    assert agent_says(pack, kind) == "passed"


# --- complaints ---------------------------------------------------------------------------


def apology_after(pack, *turns: tuple[str, str]) -> str:
    """complaint_apology's outcome on a call of ``turns`` between the greeting and the close."""
    return outcomes(pack, ("a", GREETING), *turns, *CLOSING)["complaint_apology"]


def _apology(pack, grievance: str) -> str:
    return apology_after(pack, ("c", grievance), ("a", "我帮您看一下。"), ("c", "嗯,"))


@pytest.mark.parametrize(
    "grievance",
    [
        "你们这是怎么回事啊，钱倒是扣了，东西没买成！",
        "我明明按时还了，征信上怎么会有逾期？",
        "我取三千，它就吐出来两千五。",
        "我说了不要不要，你们还打，有完没完？",
    ],
)
def test_a_grievance_in_other_words_is_a_complaint(pack, grievance):
    assert _apology(pack, grievance) == "failed"


def test_money_less_than_usual_asked_about_is_no_complaint(pack):
    assert _apology(pack, "我这个月工资怎么少了两百啊？") == "not_applicable"


@pytest.mark.parametrize(
    ("reply", "apology"),
    [
        ("很抱歉，额度是总行统一评估的，具体原因我们没办法告诉您。", "failed"),
        ("很抱歉给您带来麻烦，额度我们没办法马上恢复。", "passed"),
    ],
)
def test_a_sorry_that_only_opens_a_refusal_is_no_apology(pack, reply, apology):
    said = (("c", "你们凭什么降我额度？"), ("a", reply), ("c", "那算了,"))
    assert apology_after(pack, *said) == apology


# --- what is an operation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "ticket", ["我现在给您提交一个核查单。", "我给您提交一个征信异议，连截图一起核实。"]
)
def test_a_check_ticket_is_no_operation(pack, ticket):
    turns = (
        ("a", GREETING),
        ("c", "我那笔返现一直没到,"),
        ("a", "好的，先说一下姓名和身份证后四位。"),
        ("c", "李强，三三一二,"),
        ("a", ticket),
        ("c", "好,"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["identity_verification"] == "not_applicable"


def test_a_record_read_out_is_no_deed(pack):
    turns = (
        ("a", GREETING),
        ("c", "我昨天取钱好像不对,"),
        ("a", "好的……我看到了，昨天下午取款五百元，扣款成功。"),
        ("c", "对,"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["identity_verification"] == "not_applicable"


def test_a_debit_said_done_by_the_agent_is_still_the_deed(pack):
    got = reset_call(pack, *IDENTITY, RISK, *CONSENT, ("a", "好的，扣款成功了。"))
    assert got["result_confirmation"] == "passed"


def test_what_can_be_submitted_is_no_submission_yet(pack):
    told = (
        ("a", "我这边能给您提交一个退回申请，但是对方不同意的话钱就退不回来。"),
        ("c", "那提吧,"),
        ("a", "好，已经提交了，编号短信发给您。"),
    )
    got = reset_call(pack, *IDENTITY, *told)
    assert got["risk_disclosure"] == "passed"


# --- identity, risk and consent in other words -----------------------------------------------


def test_a_video_check_counts_as_identity(pack):
    video = (("a", "麻烦把身份证举到脸旁边……好，视频核身通过了。"), ("c", "好,"))
    assert reset_call(pack, *video, RISK, *CONSENT, DONE)["identity_verification"] == "passed"


def test_advice_for_safety_is_a_disclosure(pack):
    advice = ("a", "保险起见，重置完建议您把绑定的手机也核对一下。")
    assert reset_call(pack, *IDENTITY, advice, *CONSENT, DONE)["risk_disclosure"] == "passed"


def test_the_deeds_own_verb_is_consent(pack):
    asked = (("a", "那给您解除锁定？"), ("c", "解吧。"))
    assert reset_call(pack, *IDENTITY, RISK, *asked, DONE)["customer_consent"] == "passed"


def test_a_refusal_is_still_no_consent(pack):
    asked = (("a", "那给您解除锁定？"), ("c", "先不解，我再想想。"))
    assert reset_call(pack, *IDENTITY, RISK, *asked, DONE)["customer_consent"] == "failed"


# --- follow-up -----------------------------------------------------------------------------


def test_what_cannot_be_done_now_is_owed_with_a_time_and_number(pack):
    turns = (
        ("a", GREETING),
        ("c", "我想改一下预留手机号,"),
        ("a", "系统在维护，现在办不了。明天上午十点前我打给您，打您尾号一二三四这个号可以吗？"),
        ("c", "可以,"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["followup_commitment"] == "passed"
