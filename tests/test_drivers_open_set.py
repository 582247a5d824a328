"""Call drivers when the call is about something the taxonomy lacks (issue 12): such a call
stays unmatched, so that clustering can suggest the missing driver, and calls_ud, whose
writer labelled drivers in their own words. Also the keyword forms that let one keyword
cover a clause's wordings (额度~降, 分#期), a customer's echo of the agent, and a loan's
repayment going to the loan. The real e5 model throughout."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.driver_labels import dev_calls, script_calls  # noqa: E402

LEFT_OUT = ("wealth", "loans", "fees")


@pytest.fixture(scope="session")
def classifier():
    from pipeline.drivers import load_classifier

    return load_classifier()


@pytest.fixture(scope="session")
def reduced(classifier):
    """The taxonomy without wealth, loans and fees, as if nobody had written them yet."""
    from pipeline.drivers import DriverClassifier

    taxonomy = classifier.taxonomy
    drivers = tuple(d for d in taxonomy.drivers if d.id not in LEFT_OUT)
    return DriverClassifier(replace(taxonomy, drivers=drivers), classifier.encoder)


def _call(*turns: tuple[str, str]) -> list:
    from pipeline.drivers import Utterance

    return [
        Utterance(text=text, turn=i, start=4.0 * i, speaker=speaker)
        for i, (speaker, text) in enumerate(turns)
    ]


def _said(call: dict) -> list:
    from pipeline.drivers import Utterance

    return [Utterance(text=t, start=s, speaker=sp) for sp, s, t in call["turns"]]


@pytest.mark.slow
def test_calls_about_left_out_drivers_stay_unmatched_and_cluster_into_them(classifier, reduced):
    """With wealth, loans and fees left out, their calls among the tuning splits must fall
    below the floors and group by topic (before the two-tier share floor: 3 of 211
    unmatched, no group)."""
    from pipeline.driver_clusters import suggest_drivers

    calls = {**dev_calls(), **script_calls("ua"), **script_calls("uc"), **script_calls("ud")}
    unmatched = []
    for call_id, call in calls.items():
        result = reduced.classify(_said(call))
        if not result.drivers:
            unmatched.append((call_id, result.unmatched))
    labels = Counter(calls[c]["driver"] for c, _ in unmatched)
    kept = sum(n for driver, n in labels.items() if driver not in (*LEFT_OUT, None))
    assert len(unmatched) >= 12, labels
    assert kept <= 1, labels  # calls the reduced taxonomy covers keep their drivers
    groups = suggest_drivers(unmatched, classifier.encoder, distance=0.035)
    assert len(groups) >= 2
    for group in groups:  # each suggestion is one of the drivers left out
        members = {calls[c]["driver"] for c in group.call_ids}
        assert len(members) == 1 and members <= set(LEFT_OUT), members


def test_calls_about_what_no_driver_covers_are_unmatched(classifier):
    """calls_ud's questions about branch opening hours: no driver's definition covers them
    (deposits matched them through one example, before it was taken out)."""
    calls = {k: c for k, c in script_calls("ud").items() if c["driver"] is None}
    assert len(calls) >= 2
    for call_id, call in calls.items():
        assert classifier.classify(_said(call)).primary is None, call_id


def test_calls_ud_driver_accuracy_reaches_the_target(classifier):
    """calls_ud (labels in its writer's words, mapped in bench/driver_labels.py): 0.78
    before the share floors, the keyword forms, echoes and the loans order."""
    calls = script_calls("ud")
    right = sum(classifier.classify(_said(c)).primary == c["driver"] for c in calls.values())
    assert right / len(calls) >= 0.90


def test_calls_ud_labels_are_drivers_of_the_taxonomy_or_none():
    from rules.drivers import load_taxonomy

    ids = {d.id for d in load_taxonomy().drivers}
    assert {c["driver"] for c in script_calls("ud").values()} <= ids | {None}


def test_a_keyword_with_a_gap_or_a_number_finds_the_clause_in_any_wording():
    from pipeline.driver_examples import keyword_pattern

    pattern = keyword_pattern(("额度~降", "分#期"))
    assert pattern is not None
    for said in ("额度怎么从五万降到一万了", "额度降了", "我想分十二期", "能分几期"):
        assert pattern.search(said), said
    for said in ("分期", "额度挺够用的，我就是问问最近存款利率是不是又降了", "降额度"):
        assert not pattern.search(said), said


def test_a_keyword_the_customer_echoes_from_the_agent_is_not_their_reason(classifier):
    """The customer asks for card use abroad; the agent mentions the conversion fee and the
    customer repeats it: the call is about the card, not the fee."""
    result = classifier.classify(
        _call(
            ("agent", "您好，信用卡中心，请问有什么可以帮您"),
            ("customer", "你好，我下个月去新加坡出差，想把这张卡在国外刷卡的功能打开"),
            ("agent", "可以的。提醒您一下，境外消费会收百分之一点五的货币转换费"),
            ("customer", "货币转换费啊，那也行吧，开吧"),
            ("agent", "好的，已经给您开通了"),
        )
    )
    assert result.primary == "card_services"


def test_a_loans_repayment_goes_to_the_loan(classifier):
    """loans outranks card_bill_repayment: 还款 said of a car loan is about the loan."""
    result = classifier.classify(
        _call(
            ("agent", "您好，个贷中心，请问有什么可以帮您"),
            ("customer", "你好，我的车贷每个月三号还款，能不能改到二十号，我工资发得晚"),
            ("agent", "我帮您看一下这笔贷款"),
        )
    )
    assert result.primary == "loans"


def test_the_agents_opening_is_no_keyword_for_the_customer_to_echo(classifier):
    """The loans line greets with 个人贷款; the customer naming their own consumer loan is
    stating the reason, not echoing the greeting (it went to the card bill's repayment day)."""
    result = classifier.classify(
        _call(
            ("agent", "您好，海川银行个人贷款服务，工号一二零四，请讲"),
            ("customer", "喂，我那笔消费贷每个月十号扣钱，我想把还款日往后挪到月底"),
            ("agent", "好的，先核对一下您的身份"),
        )
    )
    assert result.primary == "loans"


@pytest.mark.parametrize(
    ("said", "driver"),
    [
        # a card renewed at expiry (it went to the bill)
        ("我那张信用卡下个月到期，卡也旧了，换新卡要怎么弄", "card_services"),
        ("卡下个月到期了，想问下换新卡是寄到账单地址吗", "card_services"),
    ],
)
def test_a_card_renewed_at_expiry_is_a_card_service(classifier, said, driver):
    result = classifier.classify(
        _call(
            ("agent", "您好，请问有什么可以帮您"),
            ("customer", said),
            ("agent", "好的，我帮您看一下"),
        )
    )
    assert result.primary == driver
