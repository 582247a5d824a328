"""Confidence on every outcome (issue 9): a half-recognised transaction or complaint goes
to a QA lead as needs_review instead of silently making its rules not applicable; unsure
words lower the confidence; steps that belong to a part of the call are looked for there;
a promise is not an operation."""

from __future__ import annotations

import pytest

from core.errors import RulePackError
from core.transcript import Transcript
from rules import evaluate, parse_pack
from tests.test_rules_engine import CLOSING, GREETING, call, results

OPERATION_RULES = (
    "identity_verification",
    "risk_disclosure",
    "customer_consent",
    "result_confirmation",
)


def test_every_outcome_carries_a_confidence(pack):
    out = evaluate(call(("a", GREETING), ("c", "你好，问一下利率。"), *CLOSING), pack)
    for r in out:
        assert 0.0 <= r.confidence <= 1.0
        assert r.outcome in ("passed", "failed", "not_applicable")
        assert r.leaning is None


def test_a_garbled_operation_with_its_signs_goes_to_review_not_to_not_applicable(pack):
    # The operation itself was misrecognised (挂是 for 挂失, no 已经…成功), but the customer
    # asked for one and the agent checked identity: the block must not vanish.
    garbled = call(
        ("a", GREETING),
        ("c", "你好，我要挂失我的卡。"),
        ("a", "好的，请提供一下身份证后四位。"),
        ("c", "3826。"),
        ("a", "嗯好，那个稍等哈，嗯，可以了。"),
        *CLOSING,
    )
    out = results(pack, garbled)
    for rule_id in OPERATION_RULES:
        r = out[rule_id]
        assert r.outcome == "needs_review", (rule_id, r.reason)
        assert r.leaning == "not_applicable"
        assert r.confidence < pack.settings.review_below
        assert "signs" in r.reason
        assert any(e.turn is not None for e in r.evidence), "the signs are quoted as evidence"


def test_an_enquiry_without_signs_stays_confidently_not_applicable(pack):
    enquiry = call(
        ("a", GREETING),
        ("c", "你好，我想问一下三年定期的利率是多少？"),
        ("a", "目前三年期是百分之一点九五。"),
        ("c", "好的，知道了。"),
        *CLOSING,
    )
    out = results(pack, enquiry)
    for rule_id in OPERATION_RULES:
        assert out[rule_id].outcome == "not_applicable"
        assert out[rule_id].confidence >= 0.9


def test_signs_that_add_up_make_the_rule_apply(pack):
    # request + identity check + result read back (1.05 >= signs_apply), with the deed
    # itself garbled: the rules apply, and the missing consent is a failure.
    strong = call(
        ("a", GREETING),
        ("c", "你好，我要挂失我的卡。"),
        ("a", "好的，请提供一下身份证后四位。"),
        ("c", "3826。"),
        ("a", "挂失以后这张卡就不能用了。"),
        ("a", "好了，已经办好了，稍后有短信。"),
        *CLOSING,
    )
    out = results(pack, strong)
    assert out["customer_consent"].outcome in ("failed", "needs_review")
    assert out["identity_verification"].outcome in ("passed", "needs_review")
    assert out["customer_consent"].outcome != "not_applicable"


def test_a_complaint_half_heard_goes_to_review(pack):
    hinted = call(
        ("a", GREETING),
        ("c", "为什么我这个月又被扣了一百块？到底怎么回事？"),
        ("a", "我这边给您登记一下您反映的问题。"),
        ("c", "嗯。"),
        *CLOSING,
    )
    out = results(pack, hinted)
    assert out["complaint_apology"].outcome == "needs_review"
    assert out["complaint_time_commitment"].outcome == "needs_review"


def test_unsure_words_lower_the_confidence_of_what_they_decide(pack):
    def with_probability(p: float) -> Transcript:
        base = call(("a", "您好，云川银行，工号3017。"), ("c", "你好。"), *CLOSING)
        data = base.model_dump(mode="json")
        first = data["turns"][0]
        text = first["text"]
        step = (first["end"] - first["start"]) / len(text)
        first["words"] = [
            {
                "start": first["start"] + i * step,
                "end": first["start"] + (i + 1) * step,
                "text": ch,
                "p": p,
            }
            for i, ch in enumerate(text)
        ]
        return Transcript.from_dict(data)

    sure = results(pack, with_probability(0.95))["greeting"]
    unsure = results(pack, with_probability(0.05))["greeting"]
    assert sure.outcome == "passed" and sure.confidence > 0.9
    assert unsure.confidence < sure.confidence


def test_the_openings_offer_of_help_is_no_closing(pack):
    # Two agent turns: the last three of them include the opening, but the opening's
    # 有什么可以帮您 belongs to the start of the call.
    out = results(
        pack,
        call(
            ("a", "您好，云川银行，请问有什么可以帮您？谢谢您的来电。"),
            ("c", "我问一下网点几点关门。"),
            ("c", "哦五点是吧，好我知道了。"),
            ("a", "嗯。五点。", 30.0),
        ),
    )
    assert out["closing"].outcome == "failed"


def test_a_closing_needs_the_offer_and_the_thanks(pack):
    only_thanks = call(
        ("a", GREETING), ("c", "问下营业时间。"), ("a", "九点到五点，谢谢您的来电，再见。")
    )
    only_offer = call(
        ("a", GREETING), ("c", "问下营业时间。"), ("a", "九点到五点，还有别的问题吗？")
    )
    both = call(
        ("a", GREETING),
        ("c", "问下营业时间。"),
        ("a", "九点到五点。还有别的问题吗？"),
        ("c", "没了。"),
        ("a", "好的，祝您生活愉快，再见。"),
    )
    assert results(pack, only_thanks)["closing"].outcome == "failed"
    assert results(pack, only_offer)["closing"].outcome == "failed"
    assert results(pack, both)["closing"].outcome == "passed"


@pytest.mark.parametrize(
    "promise", ["这个我来帮您办理。", "好的，我等下给您改一下。", "回头给您开通。"]
)
def test_a_promise_or_a_plan_is_not_an_operation(pack, promise):
    out = results(pack, call(("a", GREETING), ("c", "嗯。"), ("a", promise), *CLOSING))
    assert out["identity_verification"].outcome != "failed", out["identity_verification"].reason


SMALL = """
name: small
version: "1"
events:
  asked: {label: a request, speaker: customer, phrases: [我要挂失]}
rules:
  - id: r
    title: R
    policy_clause: "1"
    description: d
    applies_when: asked
    require: [{name: x, label: x, phrases: [好的]}]
"""


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("    signs: {nowhere: 0.5}\n", "unknown event 'nowhere'"),
        ("    signs: {asked: 1.5}\n", "signs.asked must be <= 1"),
        ("settings: {review_below: 1.2}\n", "review_below"),
        ("settings: {signs_review: 0.9, signs_apply: 0.5}\n", "signs_review"),
    ],
)
def test_bad_confidence_settings_are_refused_with_the_rule_and_problem(extra, problem):
    text = SMALL + extra if extra.startswith("    ") else extra + SMALL
    with pytest.raises(RulePackError) as err:
        parse_pack(text, source="bad.yaml")
    assert "bad.yaml" in str(err.value)
    assert problem in str(err.value)
