"""Complaint, follow-up and blame rules as the writers of the unseen calls read the policy
(issue 9; tests/data/eval_audio/README.md, Conventions):

- a complaint is a grievance the customer wants handled: snapping back at the agent's manner
  on this call, or asking plainly for the reason, is none on its own; chasing a case the
  bank promised to look into is one, and so is a card kept by a machine;
- 过两天 / 过几天 is no concrete time, for a follow-up or a complaint's handling;
- the agent who cannot settle or see the answer now owes a follow-up: a callback with no
  contact number, or a brush-off, fails it;
- the customer's own slip, or the small print they did not read, thrown back at them is
  blaming (forbidden_language).

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_rules_engine import CLOSING, GREETING, call, results

COMPLAINT_RULES = ("complaint_apology", "complaint_time_commitment")


def outcomes(pack, *turns: tuple[str, str]) -> dict[str, str]:
    return {k: r.outcome for k, r in results(pack, call(*turns)).items()}


# --- what is a complaint ------------------------------------------------------------------

# an enquiry where the agent turns curt and the customer snaps back, then lets it go
RETORT = (
    ("a", GREETING),
    ("c", "你好，我想问一下信用卡的免息期是多少天？"),
    ("a", "最长五十天，账单上都有，自己不会看吗。"),
    ("c", "你这叫什么态度？"),
    ("a", "还有别的吗？"),
    ("c", "没了。"),
    ("a", "再见。"),
)


def test_snapping_back_at_the_agents_manner_is_no_complaint_on_its_own(pack):
    got = outcomes(pack, *RETORT)
    for rule_id in COMPLAINT_RULES:
        assert got[rule_id] == "not_applicable", rule_id


def test_snapping_back_and_saying_投诉_is_a_complaint(pack):
    turns = list(RETORT)
    turns[3] = ("c", "你这叫什么态度？我要投诉你。")
    got = outcomes(pack, *turns)
    assert got["complaint_apology"] == "failed"


def test_the_manner_of_staff_elsewhere_is_a_grievance(pack):
    turns = (
        ("a", GREETING),
        ("c", "我上午去你们支行，那个大堂经理什么态度，爱理不理的。"),
        ("a", "给您带来不好的体验，非常抱歉，我记录下来三个工作日内给您回复。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["complaint_apology"] == "passed"
    assert got["complaint_time_commitment"] == "passed"


def test_asking_plainly_for_the_reason_is_an_enquiry(pack):
    turns = (
        ("a", GREETING),
        ("c", "你好，我这个月的积分少了一半，之前也没人通知我，这是什么原因呢？"),
        ("a", "积分规则上个月调整了，消费一元积一分改成两元积一分。"),
        ("c", "哦，明白了。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    for rule_id in COMPLAINT_RULES:
        assert got[rule_id] == "not_applicable", rule_id


def test_chasing_a_case_the_bank_promised_to_look_into_is_a_complaint(pack):
    turns = (
        ("a", GREETING),
        ("c", "我半个月前报过一笔不认识的消费，你们说会调查，结果到今天一点回音都没有。"),
        ("a", "我查一下，还在处理中。"),
        ("c", "那好吧。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["complaint_apology"] == "failed"


@pytest.mark.parametrize(
    "said", ["取款机把我的卡给吞了，到现在都没退出来。", "我的卡被机器吃了，急死了。"]
)
def test_a_card_kept_by_a_machine_is_a_complaint_whose_return_is_its_handling(pack, said):
    turns = (
        ("a", GREETING),
        ("c", said),
        ("a", "实在抱歉。卡会在两个工作日内寄回您的开户网点，您带身份证去取就行。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["complaint_apology"] == "passed"
    assert got["complaint_time_commitment"] == "passed"


def test_a_sorry_for_the_hold_after_a_comma_is_no_apology(pack):
    turns = (
        ("a", GREETING),
        ("c", "我要投诉，你们的短信提醒又乱扣费了。"),
        ("a", "抱歉，让您久等了。"),
        ("a", "这笔费用我们今天下班前给您退回。"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["complaint_apology"] == "failed"


# --- a concrete time ----------------------------------------------------------------------


def _callback(when: str) -> tuple[tuple[str, str], ...]:
    return (
        ("a", GREETING),
        ("c", "你好，我想知道外币理财下个月的预期收益率是多少。"),
        ("a", "下个月的收益率还没公布，我这边暂时无法答复您。"),
        ("a", "您的联系电话是尾号六六一二的这个手机吗？"),
        ("c", "对。"),
        ("a", when),
        *CLOSING,
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("等产品部门定了，过几天会联系您。", "failed"),
        ("产品部门会联系您，大概过两天吧。", "failed"),
        ("产品部门两天内会联系您。", "passed"),
        ("产品部门明天上午十点前会联系您。", "passed"),
    ],
)
def test_in_a_couple_of_days_is_no_concrete_time(pack, when, expected):
    assert outcomes(pack, *_callback(when))["followup_commitment"] == expected


def test_in_a_couple_of_days_is_no_handling_time_on_a_complaint(pack):
    turns = (
        ("a", GREETING),
        ("c", "我要投诉，转账被重复扣了两次手续费。"),
        ("a", "非常抱歉，这个我给您登记，过几天会处理好的。"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["complaint_time_commitment"] == "failed"


# --- an answer owed for later -------------------------------------------------------------


def test_an_answer_not_settled_yet_with_a_callback_but_no_number_fails(pack):
    turns = (
        ("a", GREETING),
        ("c", "请问下季度的境外消费返现活动还有吗？"),
        ("a", "下季度的活动方案还在定，我暂时确定不了。"),
        ("a", "市场部下周一之前会定下来，届时会有人打给您。"),
        ("c", "好的。"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["followup_commitment"] == "failed"


def test_an_answer_the_agent_cannot_see_with_the_customer_sent_elsewhere_fails(pack):
    turns = (
        ("a", GREETING),
        ("c", "我想知道我的公积金贷款审批卡在哪个环节了。"),
        ("a", "审批的内部环节我们这边没办法查看，您可以去贷款网点问一下。"),
        ("c", "好吧。"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["followup_commitment"] == "failed"


# --- blaming the customer -----------------------------------------------------------------


@pytest.mark.parametrize(
    "said",
    [
        "那是您自己把卡号填错了，系统才退回的。",
        "条款都印着呢，开户的时候没看，现在才来问。",
        "转错了又来找我们，我们也没法追回。",
    ],
)
def test_throwing_the_customers_slip_back_at_them_is_blaming(pack, said):
    turns = (
        ("a", GREETING),
        ("c", "我转出去的钱怎么被退回来了？"),
        ("a", said),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["forbidden_language"] == "failed"


def test_a_slip_named_as_one_possibility_is_no_blame(pack):
    turns = (
        ("a", GREETING),
        ("c", "我的网银被锁了。"),
        ("a", "如果不是您自己输错的，建议您改一下密码。"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["forbidden_language"] == "passed"
