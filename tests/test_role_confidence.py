"""A call whose agent and customer were told apart with low confidence goes to review.

The turns are what recognition heard on tuning call ua34 (8 kHz stereo, the agent on the
left channel): it opens with a bare 喂 and the agent's words came out garbled, so role
attribution from content leaned the wrong way (the customer's 喂，你好，是星河银行 looked
like the agent's greeting) and every rule was judged on the wrong side.
"""

from __future__ import annotations

import pytest

from core.transcript import RoleEvidence, Transcript
from pipeline.roles import assign_roles, first_label
from rules.role_review import review_if_roles_unsure, roles_unsure

# (channel label, start s, end s, recognised text), as whisper-base heard ua34
UA34_RECOGNISED = (
    ("ch0", 0.81, 1.26, "为了,"),
    ("ch1", 1.9, 5.0, "喂,你好,是星河银行,新用卡吗?"),
    ("ch0", 5.44, 6.3, "非命说,"),
    ("ch1", 7.03, 12.64, "我之前有比分期,还剩六期,想一策信提前还叫"),
    ("ch0", 13.24, 17.08, "好先何时下身份,经民和身份正后思维。"),
    ("ch1", 17.73, 18.94, "杨芳2640,"),
    ("ch0", 19.69, 24.7, "杨先生喝对好了,提撑结晶的话呢,会有些费用的哈。"),
    ("ch1", 25.24, 26.22, "我心没舍,"),
    ("ch0", 26.95, 33.39, "拿给您把提撑结晶,剩下六七本金一次性计刀本期障荡,可以吗?"),
    ("ch1", 34.13, 34.71, "可以啊,"),
    ("ch0", 35.31, 43.89, "好的已经放好了,生于本金六千元已经转入本期障荡,黄款热一起还就行。还有"),
    ("ch1", 43.39, 43.93, "好的,"),
    ("ch0", 44.98, 46.7, "别的是需要亡盲嘛"),
    ("ch1", 47.28, 47.94, "没有啊"),
    ("ch0", 48.63, 50.83, "好的谢谢杨先生来点 再见"),
)


def _transcript(roles: dict[str, str], evidence: RoleEvidence) -> Transcript:
    turns = [
        {
            "speaker": roles[label],
            "start": start,
            "end": end,
            "text": text,
            "channel": int(label[-1]),
            "overlap": False,
            "speaker_label": label,
        }
        for label, start, end, text in UA34_RECOGNISED
    ]
    return Transcript.from_dict(
        {
            "call_id": "ua34-recognised",
            "audio": {"duration": 51.72, "channels": 2, "sample_rate": 8000},
            "language": "zh",
            "model": "whisper-base",
            "roles": evidence.model_dump(),
            "turns": turns,
        }
    )


def _judged_from_content() -> Transcript:
    """The recognised turns with roles judged from what each side said, as the pipeline does."""
    text_by_label: dict[str, str] = {}
    for label, _, _, text in UA34_RECOGNISED:
        text_by_label[label] = text_by_label.get(label, "") + text
    first = first_label([(start, label) for label, start, _, _ in UA34_RECOGNISED])
    roles, evidence = assign_roles(text_by_label, first)
    return _transcript(roles, evidence)


@pytest.fixture(scope="module")
def analyser():
    from pipeline.analyze import load_analyser

    return load_analyser()


def test_the_recognised_call_is_swapped_with_low_confidence():
    """The premise: attribution from content takes the customer (ch1) for the agent, unsure."""
    transcript = _judged_from_content()
    assert transcript.roles is not None
    assert (transcript.roles.method, transcript.roles.agent) == ("content", "ch1")
    assert transcript.roles.confidence < 0.6


def test_unsure_roles_send_every_outcome_to_review_with_the_reason(analyser):
    _, analysis = analyser.analyse(_judged_from_content())
    assert analysis.rules
    for result in analysis.rules:
        assert result.outcome == "needs_review", (result.id, result.outcome, result.reason)
        assert result.leaning in ("passed", "failed", "not_applicable"), result.id
        assert "agent and customer told apart from what each side said" in result.reason
        assert result.confidence < 0.6
        note = result.evidence[0]
        assert note.turn is None and "sides may be swapped" in note.text
        assert "ch1" in note.text  # names the side taken for the agent


def test_roles_fixed_by_the_recorder_are_judged_as_usual(analyser):
    """The same words with the agent's channel known from metadata: no review for roles."""
    roles = {"ch0": "agent", "ch1": "customer"}
    known = RoleEvidence(method="metadata", confidence=1.0, agent="ch0")
    _, analysis = analyser.analyse(_transcript(roles, known))
    assert not any("told apart" in r.reason for r in analysis.rules)
    outcomes = {r.id: r.outcome for r in analysis.rules}
    assert outcomes["forbidden_language"] == "passed"
    assert outcomes["customer_consent"] != "needs_review"


def test_only_judged_attributions_below_the_threshold_are_unsure():
    assert roles_unsure(RoleEvidence(method="content", confidence=0.587, agent="ch1"), 0.6)
    assert roles_unsure(RoleEvidence(method="first_speaker", confidence=0.55, agent="ch0"), 0.6)
    assert not roles_unsure(RoleEvidence(method="content", confidence=0.81, agent="ch0"), 0.6)
    assert not roles_unsure(RoleEvidence(method="configured", confidence=0.0, agent="ch0"), 0.6)
    assert not roles_unsure(None, 0.6)


def test_an_outcome_already_in_review_keeps_its_leaning():
    from core.analysis import RuleResult

    unsure = RoleEvidence(method="content", confidence=0.58, agent="ch1", detail="cue scores")
    before = RuleResult(
        id="customer_consent",
        outcome="needs_review",
        leaning="failed",
        reason="needs review (confidence 0.40): consent",
        confidence=0.4,
    )
    (after,) = review_if_roles_unsure([before], unsure, 0.6)
    assert (after.outcome, after.leaning, after.confidence) == ("needs_review", "failed", 0.4)
    sure = RoleEvidence(method="content", confidence=0.9, agent="ch0")
    assert review_if_roles_unsure([before], sure, 0.6) == (before,)
