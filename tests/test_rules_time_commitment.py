"""A concrete handling time (issue 9: complaint_time_commitment, followup_commitment) in the
shapes it is spoken and recognised: ranges (三到五个工作日), clock times (今天五点以前),
weekdays (下个礼拜一), Arabic digits (48小时内), the reply named in other words (回您电话,
给您消息, 发您短信), and 工作日 as telephone recognition writes it (工作人, 工作热).
A vague promise (尽快, 有结果了会联系您) or a time in the past is no commitment.

Every sentence here is new wording, not one of the evaluation sets."""

from __future__ import annotations

import pytest

from tests.test_rules_engine import CLOSING, GREETING, call, results


def _complaint(promise: str):
    return call(
        ("a", GREETING),
        ("c", "我要投诉，你们这个月乱扣了我三百块管理费。"),
        ("a", "非常抱歉，这个我马上给您登记。"),
        ("a", promise),
        *CLOSING,
    )


CONCRETE = [
    "半个小时之内我们回您电话。",
    "明天上午十点前回您电话，您看行吗？",
    "下个礼拜一之前给您消息。",
    "后天下午之前把结果发您短信。",
    "今天五点以前给您回过去。",
    "一般三到五个工作日，钱会退回到您原来的账户。",
    "48小时内给您回复处理结果。",
    "两个工作人内给您回见说明。",  # recognised: 两个工作日内给您回电说明
    "三个工作热之内专员打给您。",  # recognised: 三个工作日之内
    "两个工作日内，专员会打您留的这个电话，告诉您核查的结果。",
]

VAGUE = [
    "我们会尽快给您处理的。",
    "有结果了会联系您。",
    "这个要看后台，说不好多久。",
    "您三个工作日前申请的那笔已经退了。",
]


@pytest.mark.parametrize("promise", CONCRETE)
def test_a_concrete_handling_time_in_spoken_shapes_passes(pack, promise):
    result = results(pack, _complaint(promise))["complaint_time_commitment"]
    assert result.outcome == "passed", (promise, result.reason)


@pytest.mark.parametrize("promise", VAGUE)
def test_a_vague_or_past_time_is_no_commitment(pack, promise):
    result = results(pack, _complaint(promise))["complaint_time_commitment"]
    assert result.outcome == "failed", (promise, result.reason)


@pytest.mark.parametrize(
    "promise",
    [
        "下个礼拜一之前给您消息，是打您尾号五六二一的手机吗？",
        "今天五点以前回您电话，打这个号码可以吗？",
    ],
)
def test_a_followup_time_in_other_words_passes(pack, promise):
    out = results(
        pack,
        call(
            ("a", GREETING),
            ("c", "我想问一下我那笔境外汇款为什么还没到。"),
            ("a", "这个我这边查不到，需要跟清算部门核实一下。"),
            ("a", promise),
            ("c", "对，是这个号。"),
            *CLOSING,
        ),
    )
    assert out["followup_commitment"].outcome == "passed", out["followup_commitment"].reason
