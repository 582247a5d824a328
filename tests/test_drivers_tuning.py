"""Call drivers on calls the taxonomy was not written from (issue 12): calls_uc, recognised
speech whose keywords are heard wrong, complaints said without the usual words; and the
quick first look that keeps a short call's analysis cheap. The real e5 model throughout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.driver_labels import dev_calls, script_calls  # noqa: E402


@pytest.fixture(scope="session")
def classifier():
    from pipeline.drivers import load_classifier

    return load_classifier()


def _said(call: dict) -> list:
    from pipeline.drivers import Utterance

    return [Utterance(text=t, start=s, speaker=sp) for sp, s, t in call["turns"]]


@pytest.mark.slow
def test_driver_accuracy_and_complaints_on_calls_uc_reach_the_targets(classifier):
    """calls_uc was labelled by a session that had not read the taxonomy (0.68 and 0.76
    before the taxonomy and the keyword votes were widened)."""
    calls = script_calls("uc")
    results = {k: classifier.classify(_said(c)) for k, c in calls.items()}
    right = sum(results[k].primary == c["driver"] for k, c in calls.items())
    complaints = sum((results[k].complaint is not None) == c["complaint"] for k, c in calls.items())
    assert right / len(calls) >= 0.90
    assert complaints / len(calls) >= 0.95


def test_calls_uc_labels_are_drivers_of_the_taxonomy():
    from rules.drivers import load_taxonomy

    ids = {d.id for d in load_taxonomy().drivers}
    assert {c["driver"] for c in script_calls("uc").values()} <= ids


def test_a_request_whose_keyword_recognition_wrote_as_another_word_still_gets_its_driver(
    classifier,
):
    """理财 heard as 里才, 赎回 as 输回: e5 puts the sentence near no example, the keyword's
    sound still votes for the driver."""
    from pipeline.drivers import Utterance

    result = classifier.classify(
        [
            Utterance("喂,您好,这里是客服中心,请问有什么可以帮您", 0, 0.0, "agent"),
            Utterance("喂,你好,那个我年初买的里才,想先输回一半", 1, 3.0, "customer"),
            Utterance("好的,请报一下您的姓名和身份证后四位", 2, 7.0, "agent"),
            Utterance("李红霞,后四位三九七二", 3, 10.0, "customer"),
        ]
    )
    assert result.primary == "wealth"
    assert "输回" in result.drivers[0].evidence[0].text


def test_a_complaint_said_without_the_usual_words_is_found_and_an_enquiry_is_not(classifier):
    from pipeline.drivers import Utterance

    unhappy = classifier.classify(
        [
            Utterance("我想反映一下，你们的自动扣款上个月多扣了我一百二。", 0, 2.0),
            Utterance("我根本没同意开这个东西，你们就直接扣。", 2, 9.0),
        ]
    )
    assert unhappy.complaint is not None
    assert unhappy.complaint.category in ("money_error", "fees_charges")
    asking = classifier.classify([Utterance("你好，我想问一下跨行转账一般多久能到账。", 0, 2.0)])
    assert asking.complaint is None


def test_a_short_call_whose_customer_names_the_reason_at_once_is_decided_on_its_first_turns(
    classifier,
):
    from dataclasses import replace

    from pipeline.drivers import DriverClassifier, Utterance

    said = [
        Utterance("您好，这里是客服中心，请问有什么可以帮您？", 0, 0.0, "agent"),
        Utterance("你好，我的借记卡丢了，麻烦赶紧帮我挂失。", 1, 4.0, "customer"),
        Utterance("好的，请您报一下姓名和身份证后四位。", 2, 9.0, "agent"),
        Utterance("张伟，后四位是五五一八。", 3, 12.0, "customer"),
        Utterance("核实好了，我现在帮您办理挂失。", 4, 15.0, "agent"),
        Utterance("好的，那太好了，麻烦你了。", 5, 19.0, "customer"),
        Utterance("不客气，还有别的需要吗？", 6, 22.0, "agent"),
        Utterance("没有了，谢谢你。", 7, 26.0, "customer"),
    ]
    whole_opening = DriverClassifier(
        classifier.taxonomy, classifier.encoder, replace(classifier.settings, quick_customer=None)
    )
    settings = classifier.settings
    assert settings.quick_customer is not None
    quick = classifier.embedded(said)
    assert len(quick) <= settings.quick_customer + settings.quick_agent
    assert len(quick) < len(whole_opening.embedded(said))
    assert classifier.classify(said).primary == whole_opening.classify(said).primary
    assert classifier.classify(said).primary == "card_loss_freeze"
    # a first turn that names no keyword is not sure: the whole opening is embedded
    vague = [said[0], Utterance("你好，我想问一下我那个事情怎么样了。", 1, 4.0), *said[2:]]
    assert len(classifier.embedded(vague)) == len(whole_opening.embedded(vague))


@pytest.mark.slow
def test_the_quick_look_decides_every_tuning_call_as_the_whole_opening_does(classifier):
    """dev, calls_ua and calls_uc: the same primary driver and the same complaint verdict,
    with less embedded on most calls."""
    from dataclasses import replace

    from pipeline.drivers import DriverClassifier

    whole = DriverClassifier(
        classifier.taxonomy, classifier.encoder, replace(classifier.settings, quick_customer=None)
    )
    fewer = 0
    calls = {**dev_calls(), **script_calls("ua"), **script_calls("uc")}
    for call_id, call in calls.items():
        said = _said(call)
        quick, reference = classifier.classify(said), whole.classify(said)
        assert quick.primary == reference.primary, call_id
        assert (quick.complaint is None) == (reference.complaint is None), call_id
        fewer += len(classifier.embedded(said)) < len(whole.embedded(said))
    assert fewer >= len(calls) // 2


def test_a_driver_that_outranks_an_unknown_driver_is_refused(tmp_path):
    import yaml

    from rules.drivers import TaxonomyError, load_taxonomy

    data = yaml.safe_load((ROOT / "rules" / "drivers.yaml").read_text(encoding="utf-8"))
    data["drivers"][0]["outranks"] = ["no_such_driver"]
    path = tmp_path / "drivers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"outranks unknown driver.*no_such_driver"):
        load_taxonomy(path)


@pytest.mark.parametrize(
    ("said", "cause", "action"),
    [
        ("我的卡被盗刷了，马上给我冻结", "card_fraud_dispute", "card_loss_freeze"),
        ("你们年费乱扣，三百块年费凭什么收，我要销卡", "account_changes", "fees"),
    ],
)
def test_the_driver_the_customer_names_that_outranks_the_leader_goes_first(
    classifier, said, cause, action
):
    """The taxonomy's ``outranks``: the fraud before the freeze it led to, the closure
    before the fee that prompted it. Without it the action (or the fee) leads."""
    from dataclasses import replace

    from pipeline.drivers import DriverClassifier, Utterance

    call = [
        Utterance("您好，请问有什么可以帮您？", 0, 0.0, "agent"),
        Utterance(said, 1, 3.0, "customer"),
    ]
    assert classifier.classify(call).primary == cause
    flat = replace(
        classifier.taxonomy,
        drivers=tuple(replace(d, outranks=()) for d in classifier.taxonomy.drivers),
    )
    assert (
        DriverClassifier(flat, classifier.encoder, classifier.settings).classify(call).primary
        == action
    )
