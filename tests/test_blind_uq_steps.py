"""Script steps in words the pack did not list, found on the blind split calls_uq (a twelfth
writer who had not seen the pack, judged before tuning; complaints above all): an idiom
whose 提 is 提醒 or whose 么 is 这么 is no proposal; 开卡 is a deed and 刷不了 a consequence;
an investigation or an error check is a ticket and an application made before the call
none at all; a result
described as a condition (重置成功就…) is not the deed; what the bank did to the customer
(你们给我自动转存了) and whether something is needed (取钱要预约吗) are no request; the
consent asked at the end of a long proposal; 客诉 and 反應 as a complaint; a denial (我们这边
没问题) owns no fault; a phrase heard across a pause is other words; the customer's memory
or inattention made the cause is cold; 这两天 is no handling time and a date of the month
with what will be put back (二十号之前…补到您卡上) is one. Each has its counter-case.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import agent_says, outcomes
from tests.test_blind_uo_steps import apology_after
from tests.test_plain_spoken_steps import IDENTITY
from tests.test_rules_engine import CLOSING, GREETING
from tests.test_transaction_s22 import TRANSACTION_RULES as OPERATION_RULES


def _operation_outcomes(pack, *middle: tuple[str, str]) -> set[str]:
    got = outcomes(pack, ("a", GREETING), *middle, *CLOSING)
    return {got[r] for r in OPERATION_RULES}


# --- what is, and is not, an operation ----------------------------------------------------


@pytest.mark.parametrize(
    "middle",
    [
        # an idiom is no proposal, and the customer's 对 to a question about the card no consent
        (
            ("c", "短信提醒来得太晚了，我要投诉。"),
            ("a", "是我们没替您把好这个关，提醒晚了这么多，对不住。"),
            ("a", "您的卡是在手机上自己锁了吧？"),
            ("c", "对，我自己锁的。"),
        ),
        # an investigation submitted is a ticket
        (
            ("c", "我的卡昨晚被刷了两笔，我要投诉。"),
            ("a", "对不起，我给您提交盗刷调查，明天下午五点前专员给您回电话。"),
        ),
        # an ATM's short cash registered for a check is a ticket
        (
            ("c", "取款机少吐了三百，卡里全扣了，我要投诉。"),
            ("a", "抱歉，我给您登记一个差错处理，三个工作日内给您结果。"),
        ),
        # a waiver applied for before the call, now refused, is no application now
        (
            ("c", "这个违约金能帮我免了吗？"),
            ("a", "您今年已经申请过一次违约金减免了，这次没办法再申请。"),
            ("c", "好吧。"),
        ),
        # a reset the customer does in the app, described as a condition
        (
            ("c", "我网银密码输错被锁了。"),
            ("a", "您可以在app里自己重置，重置成功就马上解锁了。"),
            ("c", "好，我自己弄。"),
        ),
        # whether an appointment is needed is a question, not a request (the identity checked
        # for a balance read out beside it)
        (
            ("c", "我儿子给我汇了钱，到了没有？"),
            *IDENTITY,
            ("a", "已经入账了，两万三。"),
            ("c", "那我去柜台取要预约吗？"),
            ("a", "五万以下不用预约，带卡和身份证就行。"),
        ),
        # what the bank did to the customer is a grievance, not a request
        (
            ("c", "我说了不要转存，你们还给我自动转存了三年，我要投诉。"),
            *IDENTITY,
            ("a", "非常抱歉，我给您提交投诉，三个工作日内回复您。"),
        ),
    ],
    ids=[
        "idiom",
        "investigation",
        "atm-error-check",
        "applied-before",
        "condition",
        "needed-question",
        "done-to-me",
    ],
)
def test_tickets_questions_and_descriptions_are_no_operation(pack, middle):
    assert _operation_outcomes(pack, *middle) == {"not_applicable"}


def test_a_proposal_to_act_on_a_card_is_still_one(pack):
    """The counter-case of the idiom: 帮您把…关掉, asked, and agreed to."""
    middle = (
        ("c", "我想把这张卡的境外支付关掉。"),
        *IDENTITY,
        ("a", "关掉以后在国外就刷不了了。我现在帮您把境外支付关掉，可以吗？"),
        ("c", "可以。"),
        ("a", "好的，已经关闭成功了。"),
    )
    assert _operation_outcomes(pack, *middle) == {"passed"}


def test_activating_a_card_proposed_and_agreed_is_the_operation(pack):
    middle = (
        ("c", "新卡收到了，我想开一下。"),
        *IDENTITY,
        ("a", "开了以后旧卡马上停用。那我这边帮您把新卡开卡，可以吗？"),
        ("c", "可以。"),
        ("a", "好的，您稍后刷一笔试试。"),
    )
    got = outcomes(pack, ("a", GREETING), *middle, *CLOSING)
    assert {got[r] for r in OPERATION_RULES[:3]} == {"passed"}
    assert got["result_confirmation"] == "failed"


def test_a_refund_application_asked_for_at_the_end_of_a_long_proposal_has_consent(pack):
    """确认办理吗 at the end of the sentence that names the application asks before it."""
    middle = (
        ("c", "这个管理费我从来不知道，能退吗？"),
        *IDENTITY,
        ("a", "退了以后余额不够还会继续收。"),
        (
            "a",
            "那我现在帮您提交三十六元的管理费退费申请，退到尾号四四一二这张卡，您确认办理吗？",
        ),
        ("c", "确认。"),
        ("a", "好的，已经提交成功了，五个工作日内到账。"),
    )
    assert _operation_outcomes(pack, *middle) == {"passed"}


def test_a_waiver_submitted_with_a_question_about_the_phone_is_still_submitted(pack):
    """The counter-case: the 可以吗 that ends the sentence asks about the callback number."""
    middle = (
        ("c", "我按时还了款还收我违约金，这不对吧？"),
        ("a", "这笔违约金我帮您提交减免申请，明天中午前答复您，打您尾号二二一八的手机可以吗？"),
        ("c", "可以。"),
    )
    got = outcomes(pack, ("a", GREETING), *middle, *CLOSING)
    assert got["identity_verification"] == "failed"


# --- complaints ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grievance",
    ["我要客訴這個，一個禮拜打來四次。", "我要反應一下，補發的卡拖太誇張了。"],
)
def test_taiwan_words_for_a_complaint_are_a_complaint(pack, grievance):
    said = (("c", grievance), ("a", "我幫您查一下。"), ("c", "嗯,"))
    assert apology_after(pack, *said) == "failed"


def test_realising_something_is_no_complaint(pack):
    said = (("c", "我刚反应过来，密码是生日。"), ("a", "我帮您查一下。"), ("c", "嗯,"))
    assert apology_after(pack, *said) == "not_applicable"


def test_a_denial_owns_no_fault_and_is_no_apology(pack):
    said = (
        ("c", "转的钱对方三天没收到，我要投诉。"),
        ("a", "我这边显示已经发出去了，就是我们这边没问题。"),
    )
    assert apology_after(pack, *said) == "failed"


def test_owning_the_fault_is_still_an_apology(pack):
    said = (("c", "转的钱三天没到，我要投诉。"), ("a", "这个是我们这边的疏失，我马上查。"))
    assert apology_after(pack, *said) == "passed"


def test_a_phrase_heard_across_a_pause_is_other_words(pack):
    """还，我 sounds like 害我, but a pause lies between the two words."""
    middle = (("c", "我的贷款还有三万没还，我想一次结清。"), ("a", "好的，我帮您算一下。"))
    got = outcomes(pack, ("a", GREETING), *middle, *CLOSING)
    assert got["complaint_apology"] == "not_applicable"


# --- agent language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "remark",
    [
        "您当时怎么不当场把钱数清楚呢？",
        "有没有可能是您自己记混了？",
        "系统统一调的，又不是针对您一个人。",
        "通知早就发了，您没看而已。",
    ],
)
def test_the_customers_memory_or_inattention_made_the_cause_is_cold(pack, remark):
    assert agent_says(pack, remark) == "failed"


@pytest.mark.parametrize(
    "kind",
    ["您当时是在哪台机器取的？", "这个调整是统一的，很抱歉没有单独通知到您。"],
)
def test_asking_what_happened_is_not_cold(pack, kind):
    assert agent_says(pack, kind) == "passed"


# --- handling times ------------------------------------------------------------------------


def _time_after(pack, promise: str) -> str:
    turns = (("c", "权益少给了我六次，我要投诉。"), ("a", "非常抱歉。" + promise), ("c", "好,"))
    return outcomes(pack, ("a", GREETING), *turns, *CLOSING)["complaint_time_commitment"]


def test_these_couple_of_days_is_no_handling_time(pack):
    assert _time_after(pack, "这两天就会有人跟您联系的。") == "failed"


def test_two_days_bound_is_a_handling_time(pack):
    assert _time_after(pack, "两天之内会有人跟您联系。") == "passed"


def test_a_date_of_the_month_with_what_will_be_put_back_is_a_handling_time(pack):
    assert _time_after(pack, "这个月二十号之前会把六次权益补到您卡上。") == "passed"
