"""The complaint rules as the writers of the evaluation calls read policy 4.3 (session 22),
written as general rules of language:

- where the grievance begins: the customer's first dissatisfaction (年费怎么又扣了), though
  the complaint is named only later (那赶紧给我退), opens it, so an apology or a handling time
  said between the two answers the complaint; a sorry said before the customer has shown any
  dissatisfaction does not, and a call whose complaint is only the agent's record of one
  (no complaint in the customer's words) imposes no order on them;
- asking why something happened is an enquiry, even when the customer adds that nobody
  told them or that it keeps failing; the same with a demand or a grievance word is a
  complaint (a change out of the blue, 怎么突然…, stays one: the writers disagree there);
- grievances said without a listed phrase: a call back promised and never made (its subject
  left out), the time lost getting through to the bank, a machine that paid out less than
  it took; a remark thrown at the agent's own way on this call answers the agent (which
  forbidden_language judges) and is no complaint; the same remark about the bank still is;
- apologies: 对不住, an apology with a word between (向您郑重道歉), 给您造成打扰 are
  apologies; a sorry that opens a refusal whose reason comes first is no apology, while a
  sorry for the trouble caused, followed by a refusal, still is;
- handling times: 两个工作日内给结果 and 明天下午五点前给您电话说明结果 are a time, for a
  complaint's handling and for an enquiry's follow-up alike.

Each case that changed has a near miss that keeps its old answer. The sentences are written
for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import outcomes
from tests.test_rules_engine import CLOSING, GREETING

COMPLAINT_RULES = ("complaint_apology", "complaint_time_commitment")


def complaint_call(
    customer: str, agent: str = "给您带来不便非常抱歉，我登记一下，三个工作日内给您回复。"
):
    return (("a", GREETING), ("c", customer), ("a", agent), *CLOSING)


def neutral_call(customer: str):
    """The customer's sentence answered with help and nothing a complaint's handling says."""
    return (
        ("a", GREETING),
        ("c", customer),
        ("a", "好的，我帮您看一下，请稍等。"),
        *CLOSING,
    )


# --- where the grievance begins ----------------------------------------------------------


def test_an_apology_and_a_time_after_the_first_dissatisfaction_answer_a_later_complaint(pack):
    turns = (
        ("a", GREETING),
        ("c", "我这张信用卡的年费怎么又扣了？"),
        ("a", "实在抱歉，我看一下，这笔年费我两个工作日内给您核实清楚。"),
        ("c", "你们赶紧给我退回来。"),
        ("a", "好的，我记下了。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["complaint_apology"] == "passed"
    assert got["complaint_time_commitment"] == "passed"


def test_a_sorry_before_any_dissatisfaction_does_not_answer_the_complaint(pack):
    """The agent's first turn is before any grievance: its sorry (not one for the hold)
    answers nothing the customer complains of."""
    turns = (
        ("a", GREETING),
        ("a", "不好意思，刚才线路有点杂音，您请讲。"),
        ("c", "我这张信用卡的年费怎么又扣了？"),
        ("a", "我看一下。"),
        ("c", "你们赶紧给我退回来。"),
        ("a", "好的，我记下了，两个工作日内给您核实清楚。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["complaint_apology"] == "failed"
    assert got["complaint_time_commitment"] == "passed"


def test_a_complaint_only_the_agent_logged_imposes_no_order(pack):
    """No complaint in the customer's words: their question (怎么又扣了) opens no grievance,
    and the apology said before it still counts, as the complaint's order never held."""
    turns = (
        ("a", GREETING),
        ("c", "你好，我想问一下信用卡年费的事。"),
        ("a", "实在不好意思，最近系统调整，有一部分客户的年费被重复扣收了。"),
        ("c", "那我的年费怎么又扣了一次？"),
        ("a", "我这边给您登记投诉，三个工作日内给您答复。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["complaint_apology"] == "passed"
    assert got["complaint_time_commitment"] == "passed"


# --- asking why is an enquiry ------------------------------------------------------------

WHY_QUESTIONS = [
    "我的取现额度变低了，是为什么？也没人通知我一下。",
    "用手机银行给我妈转账怎么一直失败啊？",
    "我这个月的短信费为什么多了？从来没人跟我说过要收。",
]


@pytest.mark.parametrize("customer", WHY_QUESTIONS)
def test_asking_why_even_unwarned_is_an_enquiry(pack, customer):
    got = outcomes(pack, *neutral_call(customer))
    for rule_id in COMPLAINT_RULES:
        assert got[rule_id] == "not_applicable", (rule_id, customer)


WHY_WITH_A_GRIEVANCE = [
    "我的取现额度怎么突然变低了？也没人通知我一下，太过分了。",
    "用手机银行给我妈转账怎么一直失败啊？你们赶紧给我处理。",
    "我这个月的短信费怎么莫名其妙多了？你们也不通知我一声。",
]


@pytest.mark.parametrize("customer", WHY_WITH_A_GRIEVANCE)
def test_asking_why_with_a_demand_or_a_grievance_word_is_a_complaint(pack, customer):
    got = outcomes(pack, *complaint_call(customer))
    assert got["complaint_apology"] == "passed", customer
    assert got["complaint_time_commitment"] == "passed", customer
    bare = outcomes(pack, *neutral_call(customer))
    assert bare["complaint_apology"] == "failed", customer


# --- grievances without a listed phrase --------------------------------------------------

NEW_GRIEVANCES = [
    # a call back promised and never made, its subject left out
    "上个月说一周内给我回电话，到现在都没人理我。",
    "上次说好三天给我答复，结果到今天都没消息。",
    "说好的回访怎么不算数了？",
    "讲了会有专人联系我，一通电话都没有。",
    # the time lost getting through
    "我排了快二十分钟才排到人工。",
    "我打了三十多分钟才打进来。",
    "你们这个热线怎么这么难打。",
    # the machine paid out less than it took
    "取款机只出来八百块，我要的是一千。",
    "机器吐了一半就卡住了，账上却扣了全部。",
]


@pytest.mark.parametrize("customer", NEW_GRIEVANCES)
def test_a_broken_call_back_time_lost_or_money_short_is_a_complaint(pack, customer):
    got = outcomes(pack, *complaint_call(customer))
    assert got["complaint_apology"] == "passed", customer
    assert got["complaint_time_commitment"] == "passed", customer
    bare = outcomes(pack, *neutral_call(customer))
    assert bare["complaint_apology"] == "failed", customer


NOT_GRIEVANCES = [
    # a long call, said without the time lost, is no grievance
    "我打了半天电话才打通，想问一下房贷提前还款的手续。",
    # a rate asked about is no money short
    "三年定期的利率只给了二点八吗？",
    # thrown at the agent's own way on this call
    "你这办事也太随意了吧。",
    "你这人说话也太快了吧，我没跟上。",
]


@pytest.mark.parametrize("customer", NOT_GRIEVANCES)
def test_a_long_call_a_rate_or_a_remark_at_the_agent_is_no_complaint(pack, customer):
    got = outcomes(pack, *neutral_call(customer))
    for rule_id in COMPLAINT_RULES:
        assert got[rule_id] == "not_applicable", (rule_id, customer)


def test_the_same_remark_about_the_bank_is_still_a_complaint(pack):
    got = outcomes(pack, *neutral_call("你们这办事也太随意了吧。"))
    assert got["complaint_apology"] == "failed"
    assert got["complaint_time_commitment"] == "failed"


# --- apologies -------------------------------------------------------------------------------

APOLOGIES = [
    "真是对不住，我登记一下，三个工作日内给您回复。",
    "我代表银行向您郑重道歉，三个工作日内给您回复。",
    "这么晚还给您造成打扰，我马上把您的号码移出名单，三个工作日内给您回复。",
]


@pytest.mark.parametrize("agent", APOLOGIES)
def test_new_words_of_apology_count(pack, agent):
    got = outcomes(pack, *complaint_call("你们天天打电话推销，我要投诉。", agent))
    assert got["complaint_apology"] == "passed", agent


REFUSALS = [
    "不好意思，基金已经过了赎回期的话，我们这边是没办法给您退的。",
    "不好意思，这个费用我们退不了。",
]


@pytest.mark.parametrize("agent", REFUSALS)
def test_a_sorry_that_opens_a_refusal_with_its_reason_first_is_no_apology(pack, agent):
    got = outcomes(pack, *complaint_call("你们乱扣我的管理费，我要投诉。", agent))
    assert got["complaint_apology"] == "failed", agent


def test_a_sorry_for_the_trouble_before_a_refusal_is_still_an_apology(pack):
    got = outcomes(
        pack,
        *complaint_call(
            "你们乱扣我的管理费，我要投诉。",
            "不好意思给您带来麻烦了，这笔费用我们这边没办法直接退。",
        ),
    )
    assert got["complaint_apology"] == "passed"


# --- handling and follow-up times --------------------------------------------------------

HANDLING_TIMES = [
    "非常抱歉，我给您登记，两个工作日内给结果。",
    "非常抱歉，我给您登记，明天下午五点前给您电话说明结果。",
]


@pytest.mark.parametrize("agent", HANDLING_TIMES)
def test_a_result_or_a_call_by_a_time_is_a_handling_time(pack, agent):
    got = outcomes(pack, *complaint_call("你们乱扣我的管理费，我要投诉。", agent))
    assert got["complaint_time_commitment"] == "passed", agent


def test_a_time_with_no_bound_is_still_no_handling_time(pack):
    got = outcomes(
        pack,
        *complaint_call("你们乱扣我的管理费，我要投诉。", "非常抱歉，我给您登记，过两天给结果。"),
    )
    assert got["complaint_time_commitment"] == "failed"


@pytest.mark.parametrize("time", ["两个工作日内给结果", "明天下午五点前给您电话说明结果"])
def test_the_same_words_are_a_follow_up_time(pack, time):
    turns = (
        ("a", GREETING),
        ("c", "我上周汇到香港的那笔钱现在到哪儿了？"),
        ("a", "这笔款项我这边暂时查不到，需要核实后再答复您。"),
        ("a", f"我们{time}。您留的手机号是尾号6620的对吧？"),
        ("c", "对的。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["followup_commitment"] == "passed", time
