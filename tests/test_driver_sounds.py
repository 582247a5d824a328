"""Call-driver keywords heard in recognised speech (pipeline/driver_sounds.py): a keyword the
recogniser wrote with the wrong characters still names its driver, a short keyword found by
its sound inside a longer one does not, and two-syllable keywords are not blurred (their
blurred sounds are everyday words). Sentences written for these tests, not taken from an
evaluation call; the classifier cases use the real taxonomy and the real e5 model."""

from __future__ import annotations

import pytest

from core.textnorm import to_simplified
from pipeline.driver_sounds import SoundKeywords, alike, folded, rhyme
from rules.drivers import load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def _heard(taxonomy, text: str, **tiers) -> set[str]:
    keywords = [tuple(to_simplified(k).lower() for k in d.keywords) for d in taxonomy.drivers]
    sounds = SoundKeywords(keywords, **tiers)
    return {taxonomy.drivers[h.driver].id for h in sounds.hits(text)}


# the tiers as they were before this module: exact toneless syllables, every hit kept
EXACT_ONLY = {"fold_min": None, "one_off_min": None, "longest": False}


def test_syllables_blur_as_speakers_and_recognisers_blur_them():
    assert folded("zhang") == "zan" and folded("jing") == "jin" and folded("shou") == "sou"
    assert rhyme("jiang") == rhyme("zhang") == "an"
    assert alike("jiang", "zhang") and alike("guan", "kuan") and alike("hou", "hao")
    assert not alike("xia", "qi")


def test_a_long_keyword_with_one_syllable_misheard_names_its_driver_not_the_short_one_inside(
    taxonomy,
):
    """转账额度 heard as 转将额度: one syllable off in four names the transfer limit; 将额
    inside it sounds as 降额 (a credit-limit cut), which the customer did not say."""
    said = "麻烦帮我把手机银行的转将额度提一提"
    assert _heard(taxonomy, said) == {"transfer_limit"}
    assert _heard(taxonomy, said, **EXACT_ONLY) == {"credit_limit"}


def test_a_keyword_of_three_syllables_or_more_is_heard_with_zh_and_ng_blurred(taxonomy):
    """没到账 (mei dao zhang) written 没到赞 (zan): the retroflex and the -ng blurred."""
    said = "我昨天打过去的钱人家说还没到赞"
    assert "transfer_remittance" in _heard(taxonomy, said)
    assert "transfer_remittance" not in _heard(taxonomy, said, **EXACT_ONLY)


def test_a_registered_number_change_is_heard_when_its_last_syllable_is_misheard(taxonomy):
    said = "我最近换手机后了，卡上登记的那个也得跟着改"  # 换手机号 with hao heard as hou
    assert "account_changes" in _heard(taxonomy, said)
    assert "account_changes" not in _heard(taxonomy, said, **EXACT_ONLY)


def test_a_keyword_is_heard_within_a_clause_never_across_a_pause(taxonomy):
    """信用卡，额度 are two clauses (a card, then its limit said about a loan): together they
    sound like the keyword 信用卡额度, which the customer did not say as one phrase."""
    assert "credit_limit" not in _heard(taxonomy, "我只有一张信用卡，额度也不高，房贷能批吗")
    assert "credit_limit" not in _heard(taxonomy, "我在你们行只有一张信用卡, 额度也不高")
    assert "credit_limit" in _heard(taxonomy, "我想问一下信用卡额度能不能提一点")


@pytest.mark.parametrize(
    ("said", "not_heard"),
    [
        ("这个我刚才已经跟你说了", "password_login"),  # 说了 is not 锁了 (shuo/suo)
        ("我在app上推的那个活动里买的", "app_fault"),  # 上推 is not 闪退 (shang/shan)
        ("钱是我自己转的，对方是我弟弟", "card_fraud_dispute"),  # nothing misheard: nothing new
    ],
)
def test_two_syllable_keywords_are_not_blurred_into_everyday_words(taxonomy, said, not_heard):
    assert not_heard not in _heard(taxonomy, said)


@pytest.fixture(scope="module")
def classifier():
    from pipeline.drivers import load_classifier

    return load_classifier()


def _call(*turns: tuple[str, str]):
    from pipeline.drivers import Utterance

    return [
        Utterance(text, turn, float(turn * 4), speaker)
        for turn, (speaker, text) in enumerate(turns)
    ]


def test_a_recognised_transfer_limit_request_is_not_taken_for_a_credit_limit_cut(classifier):
    result = classifier.classify(
        _call(
            ("agent", "您好，这里是客服中心，请问有什么可以帮您"),
            ("customer", "喂，你好，麻烦帮我把手机银行的转将额度提一提，我这周要付房款"),
            ("agent", "好的，先核实一下您的身份"),
        )
    )
    assert result.primary == "transfer_limit"


def test_a_credit_card_limit_that_changed_without_the_word_for_cut_is_a_credit_limit(
    classifier,
):
    """信用卡额度 names the credit limit whatever verb follows (变成, 少了), and by its sound
    when the recogniser writes 新用卡额度."""
    for said in (
        "你好，请问一下我的信用卡额度为什么从两万变成八千了",
        "你好，请问一下我的新用卡额度为什么从两万变成八千了",
    ):
        result = classifier.classify(
            _call(
                ("agent", "您好，很高兴为您服务"),
                ("customer", said),
                ("agent", "好的，我帮您看一下"),
            )
        )
        assert result.primary == "credit_limit", said
