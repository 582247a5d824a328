"""Consent as a recogniser writes it: the agent's offer ends the turn without its 吗
(您看现在给您冻上，), and the customer urges it on instead of saying yes (快点办吧,
赶紧的). Both count; a turn-final offer the customer turns down does not, nor does an
urging said before anything was offered.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import outcomes
from tests.test_rules_engine import CLOSING

OPENING = (
    ("a", "您好,东方银行客服中心,工号2048,请问有什么可以帮您。"),
    ("c", "你好,我的借记卡找不到了,想先冻上,"),
    ("a", "好的,先核对一下身份,请报一下姓名和身份证后四位。"),
    ("c", "李明,后四位三七二一,"),
    ("a", "核对通过了。冻结以后这张卡就不能取钱刷卡了,自动扣款也会失败,"),
)


def freeze_call(offer: str, answer: str) -> tuple[tuple[str, str], ...]:
    return (
        *OPENING,
        ("a", offer),
        ("c", answer),
        ("a", "好的稍等,尾号三七二一这张卡已经冻结成功了。"),
        ("c", "好的谢谢,"),
        *CLOSING,
    )


@pytest.mark.parametrize(
    "offer",
    ["您看现在给您冻上,", "你看这边帮您先冻结一下", "您看给您办了"],
)
def test_an_offer_ending_the_turn_asks_for_consent(pack, offer):
    got = outcomes(pack, *freeze_call(offer, "可以可以,"))
    assert got["customer_consent"] == "passed"


@pytest.mark.parametrize("answer", ["好好,赶紧的,", "快点办吧", "嗯,赶快给我冻了"])
def test_urging_the_deed_on_is_consent(pack, answer):
    got = outcomes(pack, *freeze_call("现在给您冻结,可以吗?", answer))
    assert got["customer_consent"] == "passed"


def test_an_offer_turned_down_is_no_consent(pack):
    got = outcomes(pack, *freeze_call("您看现在给您冻上,", "先不用,我再找找,"))
    assert got["customer_consent"] == "failed"


def test_an_offer_in_the_middle_of_a_turn_asks_nothing(pack):
    # 您看 … 给您 followed by more of the same sentence is an explanation, not the question
    got = outcomes(
        pack,
        *freeze_call("您看给您冻结以后卡就暂时用不了了,之后要去网点解冻,", "好,"),
    )
    assert got["customer_consent"] == "failed"


def test_urging_before_any_offer_is_no_consent(pack):
    turns = (
        *OPENING[:-1],
        ("a", "核对通过了,冻结以后这张卡就不能取钱刷卡了。"),
        ("c", "赶紧的,"),
        ("a", "好的,尾号三七二一这张卡已经冻结成功了。"),
        ("c", "好的谢谢,"),
        *CLOSING,
    )
    assert outcomes(pack, *turns)["customer_consent"] == "failed"
