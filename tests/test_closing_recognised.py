"""The closing as a recogniser writes it: 还有啥要帮忙的吗 with its 啥 misheard (还有杀药帮忙
的吗), or the bare 还有疑问吗 whose 其他 came before it, still asks what else the customer
needs, and a farewell wish whose 祝 was lost
(读您和家人平平安安) is still a polite farewell. Neither makes a closing out of a
question about something else, nor out of the wish said without the other half.

The sentences are written for these tests, not taken from the evaluation calls."""

from __future__ import annotations

import pytest

from tests.test_blind_split_fixes import outcomes
from tests.test_rules_engine import GREETING

BODY = (
    ("a", GREETING),
    ("c", "你好,我想问一下信用卡账单日是哪天,"),
    ("a", "您的账单日是每月五号,还款日是二十五号。"),
    ("c", "好的明白了,"),
)


def closing(pack, *turns: tuple[str, str]) -> str:
    return outcomes(pack, *BODY, *turns)["closing"]


QUESTIONS = [
    "还有杀药帮忙的吗",
    "您还有要办理的吗?",
    "还需要我帮您处理的吗",
    "好的,其他方面,还有疑问吗?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_what_is_left_to_help_with_asks_for_anything_else(pack, question):
    turns = (("a", question), ("c", "没了没了,"), ("a", "好的感谢来电,再见。"))
    assert closing(pack, *turns) == "passed"


@pytest.mark.parametrize("wish", ["读您和家人平平安安", "好的,生活愉快", "您保重,身体健康"])
def test_a_wish_without_its_zhu_is_a_farewell(pack, wish):
    assert closing(pack, ("a", "还有其他需要吗?"), ("c", "没有了,"), ("a", wish)) == "passed"


def test_a_question_about_something_else_is_no_closing_question(pack):
    turns = (("a", "您还有那张卡吗?"), ("c", "有的,"), ("a", "好的,生活愉快"))
    assert closing(pack, *turns) == "failed"


def test_a_wish_alone_is_no_closing(pack):
    assert closing(pack, ("a", "好的,那就这样,"), ("c", "嗯,"), ("a", "祝您平平安安")) == "failed"
