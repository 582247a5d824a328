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


_AROUND = [
    ("您好，请问有什么可以帮您？", "agent"),
    (None, "customer"),
    ("好的，请报一下您的姓名和身份证后四位", "agent"),
    ("李红霞,后四位三九七二", "customer"),
    ("好的，核实好了，我帮您看一下", "agent"),
    ("嗯，好的，麻烦你了，我等一下", "customer"),
]


@pytest.mark.parametrize(
    ("floors", "said", "decided_quickly"),
    [
        # the leader by weight (the balance, not named) has no evidence above its floor and
        # gives way to wealth, which the customer named (里才, by its sound): sure
        (
            {"min_similarity": 0.99, "min_similarity_keyword": 0.80},
            "帮我看一下卡里还剩多少钱，顺便问下里才",
            True,
        ),
        # the leader (wealth, named by its sound) has no evidence above its floor and gives
        # way to deposits, which the customer did not name: not sure, the whole opening
        (
            {"min_similarity": 0.90, "min_similarity_keyword": 0.99},
            "我那个里才想输回来，然后卡里还剩多少钱帮我看一下",
            False,
        ),
    ],
)
def test_a_short_calls_quick_answer_is_sure_only_when_the_customer_named_the_driver_given(
    classifier, floors, said, decided_quickly
):
    """The quick look's ``sure`` is judged on the driver it gives first, not on the leader
    by weight that gave way to it for lack of evidence (once judged on the leader: a driver
    the customer never named was answered from two turns, and a named one re-embedded the
    whole opening). The floors are raised so that the leader lacks evidence, which no
    tuning call reaches with the bundled settings."""
    from dataclasses import replace

    from pipeline.drivers import DriverClassifier, Utterance

    call = [
        Utterance(text or said, turn, 3.0 * turn, speaker)
        for turn, (text, speaker) in enumerate(_AROUND)
    ]
    settings = replace(classifier.settings, sure_share=0.15, **floors)
    quick = DriverClassifier(classifier.taxonomy, classifier.encoder, settings)
    whole = DriverClassifier(
        classifier.taxonomy, classifier.encoder, replace(settings, quick_customer=None)
    )
    assert (len(quick.embedded(call)) < len(whole.embedded(call))) == decided_quickly
    assert quick.classify(call).primary == whole.classify(call).primary


@pytest.mark.parametrize(
    ("said", "driver"),
    [
        # a charge asked about without naming the fee (was deposits, None)
        ("你好，我想问一下在你们网点开存款证明收不收费", "fees"),
        ("我想问下异地取钱你们收不收费啊", "fees"),
        # a caller posing as the bank, asked about: not the freeze they threatened (was
        # credit_limit, card_loss_freeze)
        (
            "刚有个人打电话说是你们银行的，说我信用卡要降额，让我提供验证码，这是真的吗",
            "card_fraud_dispute",
        ),
        (
            "我刚接到一个电话，说是你们银行的，说我的卡被冻结了要我去操作，是不是骗子啊",
            "card_fraud_dispute",
        ),
        # a charge on the bill the customer does not know: the dispute, not the bill (was
        # card_bill_repayment)
        ("我信用卡账单上多了一笔两百多的扣款，我不记得买过这个东西", "card_fraud_dispute"),
        ("这个月账单有一笔网上的消费，我没买过啊", "card_fraud_dispute"),
        # a teller named in passing is no complaint about service (was service_complaint)
        ("上午在柜台，柜员说我这个存单到期会自动转存，我想取消转存", "deposits"),
        # charges at an hour the customer was asleep: a fraud, not the freeze it brings
        ("半夜两点信用卡被刷了三千多，什么直播打赏，我在睡觉啊", "card_fraud_dispute"),
        # a salesperson who keeps ringing: the calls, not the product they push
        ("你们有个客户经理天天给我打电话推基金，说了不要还打", "marketing_calls"),
        # the error the app shows, the words that survive recognition when 手机银行 does not
        # (was password_login)
        ("我网银一登进去就显示系统异常，你们是不是出问题了", "app_fault"),
    ],
)
def test_ways_of_saying_a_reason_the_taxonomy_once_missed(classifier, said, driver):
    """Written for the taxonomy, not copied from an evaluation call; each got another
    driver before the keywords and examples named in the comments were added."""
    from pipeline.drivers import Utterance

    call = [Utterance("您好，请问有什么可以帮您？", 0, 0.0, "agent"), Utterance(said, 1, 3.0)]
    assert classifier.classify(call).primary == driver


@pytest.mark.parametrize(
    "greeting",
    [
        "您好，华信银行客服热线，工号四四一七，请问有什么需要",
        "喂您好，这里是东方银行信用卡中心，我是八零二号",
    ],
)
def test_the_agents_greeting_with_the_banks_name_lends_no_driver_its_weight(classifier, greeting):
    """It was nearer some driver's examples than the background's on 40 % of the tuning
    calls' first agent turns (dev, ua, uc, ud), adding its weight to that driver."""
    from pipeline.driver_scores import closest_examples

    examples = classifier._ready()
    best, _ = closest_examples(
        classifier.encoder.encode([greeting]), examples, len(classifier.taxonomy.drivers) + 1
    )
    assert best[0, -1] > best[0, :-1].max()


@pytest.mark.parametrize(
    ("opening", "answer", "side_question", "reason", "asked"),
    [
        (
            "你好，我想问问你们这个卡的年费到底怎么收",
            "金卡一年一百，刷满六次就免了。",
            "哦，这样。那跨行转过去的钱一般多久到账？",
            "fees",
            "transfer_remittance",
        ),
        (
            "喂，你们的短信通知费能不能取消，每个月扣我两块",
            "可以的，我帮您关掉。",
            "好。顺便问下，我给外地汇的款对方多久到账？",
            "fees",
            "transfer_remittance",
        ),
    ],
)
def test_a_driver_the_customer_names_after_their_reason_counts_as_a_side_question(
    classifier, opening, answer, side_question, reason, asked
):
    """Its keyword votes with ``side_question_vote`` of the weight: the reason is what the
    customer names first (a fee, then 到账快吗)."""
    from dataclasses import replace

    from pipeline.drivers import DriverClassifier, Utterance

    call = [
        Utterance("您好，请问有什么可以帮您？", 0, 0.0, "agent"),
        Utterance(opening, 1, 3.0, "customer"),
        Utterance(answer, 2, 8.0, "agent"),
        Utterance(side_question, 3, 12.0, "customer"),
        Utterance("一般当天就能到。", 4, 16.0, "agent"),
        Utterance("好的，谢谢。", 5, 20.0, "customer"),
    ]
    result = classifier.classify(call)
    full = DriverClassifier(
        classifier.taxonomy,
        classifier.encoder,
        replace(classifier.settings, side_question_vote=1.0),
    ).classify(call)
    share = {h.driver: h.score for h in result.drivers}
    full_share = {h.driver: h.score for h in full.drivers}
    assert result.primary == reason
    assert share.get(asked, 0.0) < full_share[asked]
