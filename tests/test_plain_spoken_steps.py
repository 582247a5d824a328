"""Script steps said plainly, in words the pack did not list (found on the blind split
calls_ul, which was written without seeing the pack): an identity a colleague already
checked (核实过您的身份), a state the system shows (显示已经转出) that is no deed of the
agent's, an intent (我帮您重置。请报一下…) that is no deed yet, a consequence put as
如果…会 or 会再次锁定 or 会被拒, a result read back as the state it left (恢复正常了) or
where the money went, a sorry that only opens a refusal for want of authority, the
rhetorical who-doesn't (谁…不…啊) and the shrug onto someone else (我们也管不了), a
customer chasing a broken promise (说好…, 到底管不管), and a complaint's redress by a date
that is a stop (月底之前就不会再扣了). Each has its counter-case.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import agent_says, outcomes
from tests.test_rules_engine import CLOSING, GREETING

IDENTITY = (
    ("a", "好的,先核对一下身份,请报一下姓名和身份证后四位。"),
    ("c", "王芳,后四位五五一八,"),
)
RISK = ("a", "提醒您,重置以后原来的密码就不能用了。")
CONSENT = (("a", "现在给您重置,可以吗?"), ("c", "可以,"))
DONE = ("a", "好的,已经重置成功了,新密码短信发给您了。")


def reset_call(*middle: tuple[str, str]) -> dict[str, str]:
    return outcomes(
        pack_holder[0],
        ("a", GREETING),
        ("c", "你好,我网银密码忘了,想重置一下,"),
        *middle,
        ("c", "收到了,谢谢,"),
        *CLOSING,
    )


pack_holder: list = []


@pytest.fixture(autouse=True)
def _pack(pack):
    pack_holder[:] = [pack]


# --- identity -----------------------------------------------------------------------------


def test_an_identity_already_checked_counts():
    got = reset_call(("a", "前面的同事已经核对过您的身份了。"), RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "passed"


def test_no_identity_check_still_fails():
    got = reset_call(("a", "前面的同事把您转过来了。"), RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "failed"


# --- what is no deed of the agent's ----------------------------------------------------------


def test_what_the_system_shows_is_no_deed():
    status = ("a", "我看一下,您上次那笔钱显示已经转出了。")
    got = reset_call(status, ("c", "嗯,"), *IDENTITY, RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "passed"


def test_an_intent_before_the_check_is_no_deed():
    intent = ("a", "我帮您重置。麻烦报一下姓名和身份证后四位。")
    got = reset_call(intent, ("c", "王芳,五五一八,"), RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "passed"
    assert got["customer_consent"] == "passed"


def test_a_deed_said_done_before_the_check_is_still_late():
    done_early = ("a", "我现在给您重置了。")
    got = reset_call(done_early, *IDENTITY, RISK, *CONSENT, DONE)
    assert got["identity_verification"] == "failed"


# --- consequences -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "warning",
    [
        "如果新密码连着输错三次,会再次锁定。",
        "重置后网银里面的定时转账都会被拒,要重新设置。",
        "要是三个月不登录,账户会自动休眠。",
    ],
)
def test_a_consequence_in_plain_words_is_a_disclosure(warning):
    got = reset_call(*IDENTITY, ("a", warning), *CONSENT, DONE)
    assert got["risk_disclosure"] == "passed"


def test_no_consequence_still_fails():
    got = reset_call(*IDENTITY, ("a", "好的,我看到您的账户了。"), *CONSENT, DONE)
    assert got["risk_disclosure"] == "failed"


# --- the result ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    ["好,您的网银恢复正常了。", "两万块钱转到您尾号六二的活期账户上了。"],
)
def test_the_state_left_or_where_the_money_went_is_a_result(result):
    done = ("a", "好的,我这边操作了。")
    got = reset_call(*IDENTITY, RISK, *CONSENT, done, ("c", "嗯,"), ("a", result))
    assert got["result_confirmation"] == "passed"


def test_money_that_will_go_somewhere_is_no_result():
    done = ("a", "好的,我这边操作了。")
    future = ("a", "钱会转到您尾号六二的账户,请留意。")
    got = reset_call(*IDENTITY, RISK, *CONSENT, done, ("c", "嗯,"), future)
    assert got["result_confirmation"] == "failed"


# --- complaints ---------------------------------------------------------------------------

COMPLAINT = (
    ("a", GREETING),
    ("c", "你们上个月多扣了我八十块年费,我要投诉,必须退给我。"),
)


def complaint_outcomes(pack, *turns: tuple[str, str]) -> dict[str, str]:
    return outcomes(pack, *COMPLAINT, *turns, ("c", "行,"), *CLOSING)


def test_a_sorry_that_opens_a_refusal_for_want_of_authority_is_no_apology(pack):
    refusal = ("a", "不好意思,退费我这边没有权限,我给您提交工单,三个工作日内回复您。")
    assert complaint_outcomes(pack, refusal)["complaint_apology"] == "failed"


def test_a_sorry_for_the_charge_is_an_apology(pack):
    sorry = ("a", "非常抱歉多扣了您的年费,我给您提交工单,三个工作日内回复您。")
    assert complaint_outcomes(pack, sorry)["complaint_apology"] == "passed"


def test_a_stop_by_a_date_is_a_handling_time(pack):
    stop = ("a", "真的很抱歉,我给您登记了,这个月底之前就不会再扣了。")
    assert complaint_outcomes(pack, stop)["complaint_time_commitment"] == "passed"


@pytest.mark.parametrize(
    "grievance",
    ["说好三天给我回电话,到现在也没人打来。", "我就想问问,你们到底还管不管?"],
)
def test_chasing_a_broken_promise_is_a_complaint(pack, grievance):
    turns = (("a", GREETING), ("c", grievance), ("a", "好的,我帮您查一下。"), ("c", "嗯,"))
    got = outcomes(pack, *turns, *CLOSING)
    assert got["complaint_apology"] == "failed"


def test_a_plain_question_is_no_complaint(pack):
    turns = (
        ("a", GREETING),
        ("c", "我想问一下信用卡年费怎么收?"),
        ("a", "首年免年费。"),
        ("c", "好,"),
    )
    assert outcomes(pack, *turns, *CLOSING)["complaint_apology"] == "not_applicable"


# --- agent language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "retort",
    ["这个时间段谁打电话不等啊,正常的。", "物流那是快递公司的事,我们银行也管不了。"],
)
def test_the_rhetorical_retort_and_the_shrug_are_cold(pack, retort):
    assert agent_says(pack, retort) == "failed"


@pytest.mark.parametrize(
    "kind",
    ["这种事谁也不想遇到啊,我马上帮您查。", "谁都不希望这样呢,您别着急。"],
)
def test_sympathy_is_not_a_retort(pack, kind):
    assert agent_says(pack, kind) == "passed"
