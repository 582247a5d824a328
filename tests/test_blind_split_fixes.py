"""Rules as the pack-blind writers of the ug and uh calls read the policy (issue 9;
tests/data/eval_audio/README.md, Conventions), written as general rules of language:

- forbidden_language: a cold, dismissive or blaming remark fails the call without any listed
  swear phrase: the customer blamed for the problem (their signature, the terms they did not
  read, a slip of theirs), a brush-off (nobody could help it, asking me is no use), impatience,
  condescension and sarcasm; the polite agent's sentences that share their words do not;
- complaints: asking whether the system or the app is broken asks for help; 你说了一遍
  answers the agent; money the bank promised that never came, a demand for redress, a
  product sold as something it is not and a card the machine kept are grievances; a date
  or a bound the bank holds itself to (会在…之内) is a handling time; a light sorry that
  opens a request or a refusal is no apology; registering an application is no complaint
  taken in;
- greeting: in the agent's first turn, which ends when the customer answers it (turns the
  customer does not break into count as one);
- transactions: a state the system shows (是已经关闭的状态), the things already done
  (已经扣掉的不退) and an application made before the call (上周登记的查询) are no operation
  carried out on this call;
- follow-up: 您自己的问题 sends nobody anywhere; 没办法直接判断, 需要技术那边排查 puts an
  answer off, and 明早十点前打电话给您 is a time.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_rules_engine import CLOSING, GREETING, call, results


def outcomes(pack, *turns: tuple[str, str]) -> dict[str, str]:
    return {k: r.outcome for k, r in results(pack, call(*turns)).items()}


def agent_says(pack, sentence: str, customer: str = "你好，我想问一下我的账户。") -> str:
    """forbidden_language's outcome on a polite call with one agent sentence in it."""
    turns = (("a", GREETING), ("c", customer), ("a", sentence), *CLOSING)
    return outcomes(pack, *turns)["forbidden_language"]


# --- forbidden_language: cold, dismissive and blaming remarks ----------------------------

COLD_REMARKS = [
    # blaming the customer for the problem
    "说明书上都印着的，您开户那天自己没认真读。",
    "协议是您本人签的字，现在说不知道也不行。",
    "转出以前您没核对收款人，钱才转错的。",
    "这个要怪只能怪您，密码随手告诉了别人。",
    "那是您自己的疏忽，跟银行没关系。",
    "这种事怪不了我们，系统是按规则扣的。",
    "您当时怎么不问清楚再买呢。",
    "条款里白纸黑字印着呢。",
    "您回去翻翻看，是不是自己漏还了一期。",
    # brush-offs: nothing anyone can do, not my business
    "汇率跌成这样，谁都没辙。",
    "那没办法。",
    "这个问我我问谁去。",
    "您跟我说也没用，又不是我定的。",
    "积分的规则您甭问我。",
    "您自己想想办法吧，我这边只能说这么多。",
    "退款的事您找商户去。",
    # impatience
    "刚刚跟您讲了好几次了，七个工作日。",
    "您还要我说几遍？",
    "我最后讲一遍，带身份证去网点。",
    "不是跟您说过了吗，今天办不了。",
    "您能不能快点啊，后面还有电话。",
    "我没工夫陪您在这儿绕。",
    "您怎么又打来了，昨天不是办好了。",
    "行行行，给您记上。",
    "您究竟要不要开？",
    "那您想咋样啊？",
    # grudging and sarcastic
    "好，给您道个歉，这下总满意了吧？",
    "在手机上点开看看不就明白了。",
    "这么明显的提示您还能点错。",
    "查个余额有这么难吗？",
    "您说得倒轻巧，系统又不是我的。",
    # condescension
    "这些都不懂吗？",
    "小孩子都会用。",
    "这是最基本的常识。",
]


@pytest.mark.parametrize("sentence", COLD_REMARKS)
def test_a_cold_dismissive_or_blaming_remark_fails_without_a_listed_phrase(pack, sentence):
    assert agent_says(pack, sentence) == "failed", sentence


POLITE_SENTENCES = [
    "这笔交易是您本人操作的吗？",
    "请问是您自己签的字吗？",
    "我不是说是您的问题，我们再一起看看。",
    "这不是您的责任，我们会处理。",
    "很抱歉，这个业务电话里没有办法直接办理，需要您带身份证去网点。",
    "那没有办法通过电话修改，麻烦您到柜台办理。",
    "遇到这种事谁都会着急，我理解。",
    "我已经给商户那边打过好几次电话了，他们说三天内回复。",
    "您也可以自己在手机银行上查看明细。",
    "这样就可以了，短信稍后会发到您手机上。",
    "您放心，这个也不会影响您的征信。",
    "我尽量说得简单一点：到期后自动转存。",
    "如果是您自己操作的，就不用担心。",
    "别着急，我帮您查一下。",
    "您先别挂，我这就给您转接。",
]


@pytest.mark.parametrize("sentence", POLITE_SENTENCES)
def test_the_polite_agents_sentences_that_share_their_words_pass(pack, sentence):
    assert agent_says(pack, sentence) == "passed", sentence


# --- complaints: what is one -------------------------------------------------------------

COMPLAINT_RULES = ("complaint_apology", "complaint_time_commitment")


def complaint_call(
    customer: str, agent: str = "给您带来不便非常抱歉，我登记一下，三个工作日内给您回复。"
):
    return (("a", GREETING), ("c", customer), ("a", agent), *CLOSING)


NOT_COMPLAINTS = [
    # asking whether something is broken asks for help with it
    "你们的系统是不是出问题了？我今天刷卡一直刷不了。",
    "手机银行是不是有毛病啊，我等了半个小时验证码也没来。",
    # answering the agent back on this call
    "你就说了一遍好不好，我没听清。",
]


@pytest.mark.parametrize("customer", NOT_COMPLAINTS)
def test_asking_whether_it_is_broken_or_answering_back_is_no_complaint(pack, customer):
    turns = (
        ("a", GREETING),
        ("c", customer),
        ("a", "我帮您看一下，您的卡状态是正常的，现在可以再试试。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    for rule_id in COMPLAINT_RULES:
        assert got[rule_id] == "not_applicable", (rule_id, customer)


GRIEVANCES = [
    "上个月说好的开卡礼，一分钱也没见到。",
    "你们记账记错了，那就得给我赔啊。",
    "那个客户经理对我保证过不收任何费用。",
    "在你们柜台办的这个，根本就不是定期存款。",
    "我的卡片让取款机给吃进去了。",
]


@pytest.mark.parametrize("customer", GRIEVANCES)
def test_a_grievance_said_without_a_listed_phrase_is_a_complaint(pack, customer):
    got = outcomes(pack, *complaint_call(customer))
    assert got["complaint_apology"] == "passed", customer
    assert got["complaint_time_commitment"] == "passed", customer


def test_registering_an_application_on_a_fraud_report_is_no_complaint_taken_in(pack):
    turns = (
        ("a", GREETING),
        ("c", "我半夜被扣了六百块，是一个外国网站，我从来不在那买东西。"),
        (
            "a",
            "好的，卡我先给您冻结了。这笔交易我给您登记一个争议交易的调单申请，十个工作日内给结果。",
        ),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    for rule_id in COMPLAINT_RULES:
        assert got[rule_id] == "not_applicable", rule_id


# --- complaints: the time and the apology ------------------------------------------------

TIMES = [
    "非常抱歉，处理部门会在本月二十五号之前给您答复。",
    "非常抱歉，我们会在四十八小时之内把您的号码移出营销名单。",
    "非常抱歉，网点明天上午九点前会把卡取出来，您带身份证去领回就行。",
]


@pytest.mark.parametrize("agent", TIMES)
def test_a_date_or_a_bound_the_bank_holds_itself_to_is_a_handling_time(pack, agent):
    got = outcomes(pack, *complaint_call("你们又乱扣我的年费，我要投诉。", agent))
    assert got["complaint_time_commitment"] == "passed", agent


NO_APOLOGY = [
    "不好意思，请问您卡号后四位是多少？我登记一下，三个工作日内给您回复。",
    "不好意思啊，这个我们这边确实办不了，三个工作日内会有人联系您。",
]


@pytest.mark.parametrize("agent", NO_APOLOGY)
def test_a_light_sorry_that_opens_a_request_or_a_refusal_is_no_apology(pack, agent):
    got = outcomes(pack, *complaint_call("你们又乱扣我的年费，我要投诉。", agent))
    assert got["complaint_apology"] == "failed", agent


def test_sorry_for_the_disturbance_is_still_an_apology(pack):
    got = outcomes(
        pack,
        *complaint_call(
            "你们天天打电话推销，我要投诉。", "非常抱歉打扰到您了，三个工作日内给您回复。"
        ),
    )
    assert got["complaint_apology"] == "passed"


# --- greeting: in the agent's first turn ---------------------------------------------------


def greeting_outcome(pack, *opening: tuple[str, str]) -> str:
    turns = (
        *opening,
        ("c", "我想查一下信用卡的账单日。"),
        ("a", "您的账单日是每月八号。"),
        *CLOSING,
    )
    return outcomes(pack, *turns)["greeting"]


def test_a_greeting_only_after_the_customer_answered_the_agents_first_words_fails(pack):
    assert (
        greeting_outcome(pack, ("a", "喂？"), ("c", "喂，请问是银行吗？"), ("a", GREETING))
        == "failed"
    )
    assert (
        greeting_outcome(
            pack, ("a", "稍等啊，我这边刚接进来。"), ("c", "哦，好的。"), ("a", GREETING)
        )
        == "failed"
    )


def test_an_opening_split_into_turns_or_after_the_customers_hello_passes(pack):
    assert (
        greeting_outcome(pack, ("a", "您好，"), ("a", "云川银行，工号3017，很高兴为您服务。"))
        == "passed"
    )
    assert greeting_outcome(pack, ("c", "喂？"), ("a", GREETING)) == "passed"


# --- transactions: no operation carried out on this call ------------------------------------

TRANSACTION_RULES = (
    "identity_verification",
    "risk_disclosure",
    "customer_consent",
    "result_confirmation",
)

STATES = [
    "我看了一下，系统里您的短信提醒是已经关闭的状态，这个月的费用是上期的。",
    "您上周登记的转账查询还在处理中，我给您催一下。",
]


@pytest.mark.parametrize("agent", STATES)
def test_a_state_shown_or_an_earlier_application_is_no_operation_on_this_call(pack, agent):
    turns = (("a", GREETING), ("c", "我想问一下我之前那件事怎么样了。"), ("a", agent), *CLOSING)
    got = outcomes(pack, *turns)
    for rule_id in TRANSACTION_RULES:
        assert got[rule_id] == "not_applicable", (rule_id, agent)


def test_the_things_already_done_named_in_a_risk_explanation_are_not_the_operation(pack):
    turns = (
        ("a", GREETING),
        ("c", "我想把每个月自动还房贷的那个代扣取消掉。"),
        ("a", "好的，先核实一下身份，请报一下身份证后四位。"),
        ("c", "四五六七。"),
        (
            "a",
            "核实通过。取消以后下个月开始就不会再自动扣了，本月已经还款的部分不受影响。确定取消吗？",
        ),
        ("c", "确定。"),
        ("a", "好的，已经取消成功了。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["risk_disclosure"] == "passed"
    assert got["customer_consent"] == "passed"


# --- follow-up ---------------------------------------------------------------------------------


def test_blaming_the_customers_own_problem_sends_nobody_anywhere(pack):
    turns = (
        ("a", GREETING),
        ("c", "你们每个月扣我两块钱管理费，我要你们退回来。"),
        ("a", "合同里写了，不看那是您自己的问题。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["forbidden_language"] == "failed"
    assert got["followup_commitment"] == "not_applicable"


def test_an_answer_the_agent_cannot_judge_is_owed_with_a_time_said_as_a_call_back(pack):
    turns = (
        ("a", GREETING),
        ("c", "你们的app更新以后我一打开就退出来，怎么办？"),
        ("a", "这个原因我这边没办法直接判断，需要技术那边按您的机型看一下。"),
        ("c", "那要多久？"),
        ("a", "您的手机号是一三九一二三四五六七八吧？技术同事明天上午十点前会打这个电话给您。"),
        ("c", "对。"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["followup_commitment"] == "passed"


@pytest.mark.parametrize(
    "said",
    [
        "网点的工作人员跟我说是可以在手机上办的，我想问一下怎么弄。",
        "我朋友跟我说过你们有个优惠活动，我想了解一下。",
    ],
)
def test_what_someone_told_the_customer_is_the_background_of_an_enquiry(pack, said):
    """跟我说 on its own is no broken promise: only a promise (保证, 说好的) or what was said
    set against what came of it (跟我说是保本的，结果亏了) is a grievance."""
    got = outcomes(pack, ("a", GREETING), ("c", said), ("a", "好的，我给您看一下。"), *CLOSING)
    assert got["complaint_apology"] == "not_applicable"


@pytest.mark.parametrize(
    "said",
    ["上次客服跟我说好的三天内到账，到现在都没到！", "理财经理跟我说是保本的，结果亏了一万多。"],
)
def test_a_promise_said_to_the_customer_and_broken_is_a_complaint(pack, said):
    got = outcomes(pack, ("a", GREETING), ("c", said), ("a", "好的，我给您看一下。"), *CLOSING)
    assert got["complaint_apology"] != "not_applicable"
