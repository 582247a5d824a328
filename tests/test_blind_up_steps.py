"""Script steps in words the pack did not list, found on the blind split calls_up (an
eleventh writer who had not seen the pack, judged before tuning): impatience and brush-offs
(都念两遍了, 搞清楚再打过来, 到底寄不寄, 用不着专门打电话), an application said submitted at the
head of its clause (补卡申请提交了) and a limit raised (已经给您提到五万了) as the deed, the deed's
verb asked either way as a consent request, a case chased again and again or a service too
slow as a grievance, an app that keeps crashing as where the grievance opens, questions only
the holder can answer as an identity check, a conclusion promised by a day as a handling
time. Each has its counter-case.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import agent_says, outcomes
from tests.test_blind_uo_steps import apology_after
from tests.test_plain_spoken_steps import CONSENT, IDENTITY, RISK, reset_call
from tests.test_rules_engine import CLOSING, GREETING


@pytest.mark.parametrize(
    "remark",
    [
        "密码我都说三遍了，您先弄清楚再打过来。",
        "卡到底换不换？",
        "这种问题您自己在app上查一下就行，用不着专门打电话。",
    ],
)
def test_impatience_and_brush_offs_in_other_words_are_cold(pack, remark):
    assert agent_says(pack, remark) == "failed"


def test_patience_with_a_common_question_is_not_cold(pack):
    assert agent_says(pack, "这种问题很多客户都会遇到，我来帮您查。") == "passed"


def test_an_application_said_submitted_is_the_deed(pack):
    got = reset_call(pack, *IDENTITY, RISK, *CONSENT, ("a", "好，重置申请提交了，短信会通知您。"))
    assert got["identity_verification"] == "passed"
    assert got["result_confirmation"] == "passed"


def test_a_limit_said_raised_is_the_deed_though_only_asked_about(pack):
    turns = (
        ("a", GREETING),
        ("c", "我想问下临时额度能提多少,"),
        *IDENTITY,
        ("a", "临时额度有效期三十天，到期要一次还清。"),
        ("c", "哦,"),
        ("a", "好，已经给您提到五万了。"),
        ("c", "啊？"),
        *CLOSING,
    )
    got = outcomes(pack, *turns)
    assert got["identity_verification"] == "passed"
    assert got["customer_consent"] == "failed"


def test_the_deeds_verb_asked_either_way_asks_for_consent(pack):
    asked = (("a", "新卡寄到预留地址，到底寄不寄？"), ("c", "寄寄寄。"))
    got = reset_call(pack, *IDENTITY, RISK, *asked, ("a", "好，补卡申请提交了。"))
    assert got["customer_consent"] == "passed"


@pytest.mark.parametrize(
    "grievance", ["你们这效率也太低了，我要正式反映一下。", "这事我已经打了四次电话了。"]
)
def test_a_slow_service_or_a_case_chased_again_is_a_complaint(pack, grievance):
    assert apology_after(pack, ("c", grievance), ("a", "我帮您看一下。"), ("c", "嗯,")) == "failed"


def test_calling_twice_to_get_through_is_no_complaint(pack):
    said = (("c", "我打了两次才打通，想问下余额。"), ("a", "我帮您查一下。"), ("c", "嗯,"))
    assert apology_after(pack, *said) == "not_applicable"


def test_a_sorry_for_an_app_that_keeps_crashing_answers_the_complaint_after_it(pack):
    said = (
        ("c", "你们app一直crash，打开就退出来。"),
        ("a", "sorry，这是我们升级出的问题。"),
        ("c", "我要投诉，耽误我付款了。"),
        ("a", "好的，给您登记，三个工作日内回复您。"),
    )
    assert apology_after(pack, *said) == "passed"


def test_questions_only_the_holder_can_answer_check_identity(pack):
    asked = (
        ("a", "我问您几个问题确认一下是您本人：这张卡最近一笔消费在哪里？"),
        ("c", "在超市，一百多,"),
    )
    got = reset_call(pack, *asked, RISK, *CONSENT, ("a", "好的，已经重置成功了。"))
    assert got["identity_verification"] == "passed"


def test_a_conclusion_promised_by_a_day_is_a_handling_time(pack):
    turns = (
        ("a", GREETING),
        ("c", "我的争议一个月了都没人管，太不像话了。"),
        ("a", "是我们跟得太慢，对不起。这周五下班前给您一个明确结论。"),
        ("c", "好,"),
    )
    assert outcomes(pack, *turns, *CLOSING)["complaint_time_commitment"] == "passed"
