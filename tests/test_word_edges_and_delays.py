"""Two readings found while judging the blind sets again (session 29):

* a two-syllable phrase heard by its sound must not cut into a longer word at either end:
  单笔|最|多 (jieba keeps 最 apart from 多 here) is no 闭嘴, though 笔最 sounds like it;
* telling the customer that, if so, it will take longer (如果…就得走对方行退回，时间会长一点)
  explains a consequence before acting; a delay said as a diagnosis (中转行那边审核会慢一些)
  does not.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import outcomes
from tests.test_rules_engine import CLOSING, GREETING


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("无卡取现单笔最多两千，一天最多五千。", "passed"),
        ("这个我单笔最多能给您转五万。", "passed"),
        ("你闭嘴，先听我说完。", "failed"),
    ],
)
def test_a_sound_alike_that_cuts_into_a_longer_word_is_not_the_phrase(pack, said, expected):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "请问手机上能不能无卡取钱？"),
        ("a", said),
        ("c", "好的，知道了。"),
        *CLOSING,
    )
    assert got["forbidden_language"] == expected


@pytest.mark.parametrize(
    ("explained", "expected"),
    [
        ("如果查下来对方银行已经入账，就得走对方银行退回，时间会长一点。", "passed"),
        ("要是对方银行退回的话，到账可能会晚几天。", "passed"),
        ("有时候中转行那边审核会慢一些。", "failed"),
    ],
)
def test_a_delay_if_so_is_a_consequence_and_a_diagnosis_is_not(pack, explained, expected):
    got = outcomes(
        pack,
        ("a", GREETING),
        ("c", "我前天转的五千块显示失败了，可是钱扣了，麻烦帮我查一下。"),
        ("a", "好的，先核实一下，请说一下您的姓名和身份证后四位。"),
        ("c", "王丽，后四位三八二一。"),
        ("a", f"核实好了，这笔钱现在是处理中。{explained}"),
        ("a", "我给您提交一个资金追踪查询，可以吗？"),
        ("c", "可以。"),
        ("a", "好的，追踪申请已经提交成功了，两个工作日内给您回电话。"),
        *CLOSING,
    )
    assert got["risk_disclosure"] == expected
