"""Classes of error seen on unseen calls (issue 9, tuning split ud), each judged on new
wording: complaints recognised from what the customer says about the bank or from the
agent logging one; anger at a third party and a grumble about retries are no complaint;
apologies by owning the fault; a complaint about never being told is no request to be told
later; "not possible by phone" answers the customer; a clock time is a concrete time; a
proposal asked as a question is no deed; an enquiry about a fee is no request; a
consequence said at length or without 可能; blaming and curt words without a stock phrase.

Every sentence here is written for this file, not taken from an evaluation set."""

from __future__ import annotations

import pytest

from tests.test_rules_confidence import OPERATION_RULES
from tests.test_rules_engine import CLOSING, GREETING, call, results

COMPLAINT_RULES = ("complaint_apology", "complaint_time_commitment")


def _complaint_call(grievance: str, *answer: str) -> list[tuple[str, str]]:
    return [
        ("a", GREETING),
        ("c", grievance),
        *(("a", line) for line in answer),
        *CLOSING,
    ]


@pytest.mark.parametrize(
    "grievance",
    [
        "昨天你们东门营业厅那个大堂经理态度非常恶劣，我问个问题他爱答不理。",
        "我压根没办过什么分期，怎么每个月都在扣钱？",
        "你们的保险推销一天好几通电话打给我，烦得要命。",
        "我跟你们讲过好几回别寄纸质账单了，这个月又寄来了。",
        "我昨天打进来排了四十分钟，刚接通就给我挂断了。",
    ],
)
def test_a_complaint_in_other_words_is_recognised(pack, grievance):
    out = results(
        pack,
        call(*_complaint_call(grievance, "给您造成困扰，非常抱歉，三个工作日内给您回复结果。")),
    )
    for rule_id in COMPLAINT_RULES:
        assert out[rule_id].outcome == "passed", out[rule_id].reason


def test_a_complaint_the_agent_logs_applies_whatever_the_customer_said(pack):
    out = results(
        pack,
        call(
            *_complaint_call(
                "我上周补办的卡到现在还没拿到，快递那边说早就签收了。",
                "这个我给您记成投诉，卡部核查以后，两个工作日内给您回电。",
            )
        ),
    )
    assert out["complaint_apology"].outcome == "failed", out["complaint_apology"].reason
    assert out["complaint_time_commitment"].outcome == "passed"


@pytest.mark.parametrize(
    "words",
    [
        "那伙骗子太过分了，气死我了，还好我没上当。",  # anger at the fraudsters
        "我登录密码试了五次都不对，现在提示锁定了。",  # retries: a request for help
    ],
)
def test_anger_at_others_or_a_retry_count_is_no_complaint(pack, words):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", words),
            ("a", "好的，这种情况您不用担心，我给您讲一下接下来怎么做。"),
            *CLOSING,
        ),
    )
    for rule_id in COMPLAINT_RULES:
        assert out[rule_id].outcome == "not_applicable", out[rule_id].reason


@pytest.mark.parametrize(
    "apology", ["这次确实是我们这边的疏忽。", "让您跑了两趟，实在过意不去。", "是我们没做好。"]
)
def test_owning_the_fault_is_an_apology(pack, apology):
    out = results(
        pack,
        call(
            *_complaint_call(
                "你们把我的贷款还款日弄错了，害我被罚息！", apology, "罚息我今天下班前给您退回。"
            )
        ),
    )
    assert out["complaint_apology"].outcome == "passed", out["complaint_apology"].reason


def test_disowning_the_fault_is_no_apology(pack):
    out = results(
        pack,
        call(*_complaint_call("你们把我的贷款还款日弄错了，害我被罚息！", "这又不是我们的问题。")),
    )
    assert out["complaint_apology"].outcome == "failed", out["complaint_apology"].reason


def test_never_being_told_is_no_request_to_be_told_later(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "我的信用卡怎么停用了？之前都没人通知我一声。"),
            ("a", "您这张卡到期了，新卡上个月已经寄出，激活新卡就能用。"),
            *CLOSING,
        ),
    )
    assert out["followup_commitment"].outcome == "not_applicable", out["followup_commitment"].reason


def test_not_possible_by_phone_answers_the_customer(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "你好，我想打一份征信报告的明细。"),
            ("a", "征信明细电话上查不了，需要您本人带身份证去人民银行的网点打印。"),
            *CLOSING,
        ),
    )
    assert out["followup_commitment"].outcome == "not_applicable", out["followup_commitment"].reason


def test_a_clock_time_alone_is_a_concrete_follow_up_time(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "我想知道我那笔境外汇款现在到哪一步了。"),
            ("a", "这个我这边暂时查不到，需要清算部门核实。"),
            ("a", "我五点半以前给您回个电话，就打您尾号六六一八这个手机，可以吗？"),
            ("c", "可以。"),
            *CLOSING,
        ),
    )
    assert out["followup_commitment"].outcome == "passed", out["followup_commitment"].reason


def _proposal_call(proposal: str, reply: str) -> list[tuple[str, str]]:
    return [
        ("a", GREETING),
        ("c", "你好，我想把水费的自动扣款停掉。"),
        ("a", "好的，先核实一下身份，请说一下姓名和身份证后四位。"),
        ("c", "赵晓东，七三一九。"),
        ("a", "核实通过。停掉以后水费要您自己去缴，逾期会有滞纳金。"),
        ("a", proposal),
        ("c", reply),
        ("a", "好了，水费自动扣款已经给您关掉了。"),
        *CLOSING,
    ]


@pytest.mark.parametrize(
    ("proposal", "reply"),
    [
        ("那我帮您把这个自动扣款取消掉，您确认一下？", "确认。"),
        ("那我给您把水费代扣取消了哦？", "嗯嗯，好。"),
    ],
)
def test_a_proposal_asked_as_a_question_is_no_deed(pack, proposal, reply):
    out = results(pack, call(*_proposal_call(proposal, reply)))
    assert out["customer_consent"].outcome == "passed", out["customer_consent"].reason


def test_asking_what_an_operation_costs_is_an_enquiry(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "我那笔车贷想提前还款，会收违约金吗？"),
            ("a", "您的合同满一年就不收了，您已经满了。"),
            ("c", "好的。刚才转接的时候系统卡了半天。"),
            ("a", "刚才卡顿的情况我给您记上了。"),
            *CLOSING,
        ),
    )
    for rule_id in OPERATION_RULES:
        assert out[rule_id].outcome == "not_applicable", out[rule_id].reason


@pytest.mark.parametrize(
    "consequence",
    [
        "提交以后要对方银行联系收款人，收款人不配合，这笔钱就要不回来。",
        "关掉之后，要是哪天您又想用手机付款，就得先带着身份证到柜台重新开，会比较折腾。",
    ],
)
def test_a_consequence_said_at_length_or_without_maybe_is_a_disclosure(pack, consequence):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "你好，我想办一下。"),
            ("a", "好的，先核实一下身份，请说一下姓名和身份证后四位。"),
            ("c", "孙莉，二六四零。"),
            ("a", "核实通过。" + consequence),
            ("a", "那我现在给您提交，您同意吗？"),
            ("c", "同意。"),
            ("a", "好的，已经提交成功了。"),
            *CLOSING,
        ),
    )
    assert out["risk_disclosure"].outcome == "passed", out["risk_disclosure"].reason


@pytest.mark.parametrize(
    "remark",
    [
        "条款上写得明明白白，是您自己没核对清楚。",
        "谁叫您把密码告诉别人的。",
        "您老是瞎点，系统当然把您锁了。",
        "这个我们也没办法。",
        "周末不营业。行了吧？",
    ],
)
def test_blaming_or_curt_words_without_a_stock_phrase_fail(pack, remark):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "你好，我的手机银行登不上了。"),
            ("a", remark),
            *CLOSING,
        ),
    )
    assert out["forbidden_language"].outcome == "failed", out["forbidden_language"].reason


def test_a_safety_warning_about_links_is_not_blaming(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "你好，我收到一条短信说我的积分要过期了。"),
            ("a", "那是诈骗短信，您千万不要乱点里面的链接，直接删掉就好。"),
            *CLOSING,
        ),
    )
    assert out["forbidden_language"].outcome == "passed", out["forbidden_language"].reason


def test_pressing_for_a_time_left_open_asks_to_be_told_later(pack):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "我上周申请的账单日调整到现在还没下来。"),
            ("a", "好的，这个我们会尽快处理的。"),
            ("c", "尽快是多快啊？"),
            ("a", "这个说不准。"),
            *CLOSING,
        ),
    )
    assert out["followup_commitment"].outcome == "failed", out["followup_commitment"].reason
