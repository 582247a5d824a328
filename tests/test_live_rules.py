"""Live rules as data: the pack's ``live: true`` flags and ``live_checks`` loaded and
checked, left out of the content hash, and evaluated call by call as turns arrive (the
live call code on real transcripts, the real sentiment model)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from core.errors import RulePackError
from core.transcript import Transcript
from rules import default_pack_path, load_pack, parse_pack
from tests.conftest import ROOT


def _data() -> dict:
    return yaml.safe_load(default_pack_path().read_text(encoding="utf-8"))


def test_the_bank_pack_marks_its_live_rules_and_checks():
    pack = load_pack(default_pack_path())
    live = [r for r in pack.rules if r.live]
    assert live and all(r.require or r.forbid for r in live)
    assert {c.kind for c in pack.live_checks} == {"customer_sentiment", "silence"}


def test_live_flags_do_not_change_the_batch_content_hash():
    data = _data()
    pack = parse_pack(data)
    for rule in data["rules"]:
        rule.pop("live", None)
    data.pop("live_checks")
    assert parse_pack(data).content_hash == pack.content_hash
    data["rules"][0]["title"] += "!"
    assert parse_pack(data).content_hash != pack.content_hash


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["rules"][-1].update(live=True), "answer_time rule cannot be live"),
        (lambda d: d["live_checks"][0].update(id=d["rules"][0]["id"]), "already used"),
        (lambda d: d["live_checks"][0].pop("below"), "needs 'below'"),
        (lambda d: d["live_checks"][1].update(kind="volume"), "live_checks"),
    ],
)
def test_bad_live_entries_are_named(change, problem):
    data = _data()
    assert "answer_time" in data["rules"][-1]
    change(data)
    with pytest.raises(RulePackError, match=problem):
        parse_pack(data, source="bank.yaml")


def _fed(transcript: Transcript, scorer=None):
    """The transcript's turns fed one by one through the live call code."""
    from pipeline.live.call import LiveCall
    from pipeline.live.endpoint import Chunk, EndpointOptions
    from pipeline.live.events import Alert, CallMeta
    from pipeline.live.live_rules import LiveRules
    from pipeline.transcribe import ChannelTranscript, Segment

    pack = load_pack(default_pack_path())
    meta = CallMeta(transcript.call_id, channels=2, agent_channel=0)
    call = LiveCall(meta, "test", LiveRules(pack, scorer), EndpointOptions(), "reference")
    alerts: list[tuple[int, Alert]] = []
    for index, turn in enumerate(transcript.turns):
        channel = 0 if turn.speaker == "agent" else 1
        call.pending += 1
        text = ChannelTranscript(
            channel, (Segment(turn.start, turn.end, turn.text, (), 0, 0),), "zh", 1, turn.end
        )
        chunk = Chunk(channel, 0.0, np.zeros(0, np.float32), turn.end)
        alerts += [(index, e) for e in call.recognised(chunk, text) if isinstance(e, Alert)]
    return alerts


def _transcript(lines: list[tuple[str, str]]) -> Transcript:
    turns, clock = [], 0.0
    for speaker, text in lines:
        turns.append({"speaker": speaker, "start": clock, "end": clock + 3, "text": text})
        clock += 4
    return Transcript.model_validate(
        {"call_id": "t", "audio": {"duration": clock, "channels": 2}, "turns": turns}
    )


def test_rude_words_alert_once_at_the_turn_that_says_them():
    rude = ROOT / "tests" / "data" / "eval" / "calls"
    calls = [Transcript.read(p) for p in sorted(rude.glob("*rude*.json"))]
    assert calls
    for call in calls:
        forbidden = [(i, a) for i, a in _fed(call) if a.rule == "forbidden_language"]
        assert len(forbidden) == 1, call.call_id
        index, alert = forbidden[0]
        assert call.turns[index].speaker == "agent"
        assert call.turns[index].start <= alert.t <= call.turns[index].end
        assert all(part in call.turns[index].text for part in alert.evidence.split(" | "))


def _fed_pieces(pieces: list[tuple[str, str, float]]):
    """Recognised pieces (speaker, text, pause after it) fed one by one through the live
    call code, then the call's end: the alerts as (piece index or "end", alert)."""
    from pipeline.live.call import LiveCall
    from pipeline.live.endpoint import Chunk, EndpointOptions
    from pipeline.live.events import Alert, CallMeta
    from pipeline.live.live_rules import LiveRules
    from pipeline.transcribe import ChannelTranscript, Segment

    meta = CallMeta("t", channels=2, agent_channel=0)
    pack = load_pack(default_pack_path())
    call = LiveCall(meta, "test", LiveRules(pack), EndpointOptions(), "reference")
    alerts: list[tuple[int | str, Alert]] = []
    clock = 0.0
    for index, (speaker, text, pause) in enumerate(pieces):
        channel = 0 if speaker == "agent" else 1
        start, end = clock, clock + 0.25 * len(text)
        clock = end + pause
        call.pending += 1
        call.endpoints[channel].base = int(end * 16000)  # call time reached
        said = ChannelTranscript(channel, (Segment(start, end, text, (), 0, 0),), "zh", 1, end)
        chunk = Chunk(channel, 0.0, np.zeros(0, np.float32), end)
        alerts += [(index, e) for e in call.recognised(chunk, said) if isinstance(e, Alert)]
    alerts += [("end", e) for e in call.finished() if isinstance(e, Alert)]
    return alerts


_OPENING = [
    ("agent", "您好，云川银行，工号3017，很高兴为您服务。", 1.0),
    ("customer", "我想把转账限额调高到五万。", 1.0),
]
_OPERATION_RULES = {"identity_verification", "risk_disclosure"}


def test_an_operation_agreed_then_checked_before_it_is_done_raises_no_alert():
    alerts = _fed_pieces(
        [
            *_OPENING,
            ("agent", "好的，给您调到五万，调整以后当天生效，您确认办理吗？", 1.0),
            ("customer", "确认。", 1.0),  # agreed: no identity check yet, but nothing done
            ("agent", "好的，请问您的身份证后四位是多少？", 1.0),
            ("customer", "三四五六。", 1.0),
            ("agent", "核实通过，已经为您把限额调整成功了。", 1.0),
            ("customer", "好的，谢谢。", 1.0),
        ]
    )
    assert not [a for _, a in alerts if a.rule in _OPERATION_RULES]


def test_an_operation_done_with_no_identity_check_alerts_once_it_is_said_done():
    pieces = [
        *_OPENING,
        ("agent", "好的，给您调到五万，调整以后当天生效，您确认办理吗？", 1.0),
        ("customer", "确认。", 1.0),
        ("agent", "好的，已经为您把限额调整成功了。", 1.0),
        ("customer", "好的，谢谢。", 1.0),
    ]
    identity = [(i, a) for i, a in _fed_pieces(pieces) if a.rule == "identity_verification"]
    assert len(identity) == 1
    index, alert = identity[0]
    assert index == 5  # the deed's turn is read once the customer speaks after it
    assert "调整成功" in alert.evidence


def test_a_proposal_cut_at_a_pause_is_read_whole_and_raises_no_alert():
    """我现在给您把限额调到五万， | 您确认办理吗？: the first piece alone reads as the deed."""
    alerts = _fed_pieces(
        [
            *_OPENING,
            ("agent", "好的，现在给您把限额调到五万，", 0.4),
            ("agent", "调整以后当天生效，您确认办理吗？", 1.0),
            ("customer", "确认。", 1.0),
            ("agent", "好的，请问您的身份证后四位是多少？", 1.0),
            ("customer", "三四五六。", 1.0),
        ]
    )
    assert not [a for _, a in alerts if a.rule in _OPERATION_RULES]


def test_an_operation_agreed_and_never_checked_alerts_when_the_call_ends_as_batch_fails_it():
    from pipeline.live.live_rules import live_pack
    from pipeline.redact import redact_transcript
    from rules.engine import evaluate

    lines = [
        *_OPENING,
        ("agent", "好的，给您调到五万，您确认办理吗？", 1.0),
        ("customer", "确认。", 1.0),
        ("agent", "好的，稍后短信通知您。", 1.0),
    ]
    alerts = _fed_pieces(lines)
    ended = {a.rule for i, a in alerts if i == "end"}
    assert ended and not [a for i, a in alerts if i != "end" and a.rule in _OPERATION_RULES]
    whole = redact_transcript(_transcript([(s, t) for s, t, _ in lines]))[0]
    pack = live_pack(load_pack(default_pack_path()))
    batch = {r.id for r in evaluate(whole, pack) if r.outcome == "failed"}
    assert ended == batch & _OPERATION_RULES


def test_silence_alerts_once_after_max_s():
    from pipeline.live.live_rules import LiveRules

    rules = LiveRules(load_pack(default_pack_path()))
    (limit,) = [c.max_s for c in rules.checks if c.kind == "silence"]
    assert rules.on_silence(10.0, 10.0 + limit - 1) == []
    fired = rules.on_silence(10.0, 10.0 + limit)
    assert len(fired) == 1 and fired[0].t == 10.0 + limit
    assert rules.on_silence(10.0, 10.0 + 2 * limit) == []


@pytest.fixture(scope="module")
def sentiment_model():
    from models.sentiment import SentimentConfig, ensure_sentiment_model, load_sentiment

    ensure_sentiment_model()
    return load_sentiment(SentimentConfig(threads=1))


def test_customer_anger_rising_alerts_on_angry_turns_not_calm_ones(sentiment_model):
    angry = _transcript(
        [
            ("agent", "您好，云川银行，很高兴为您服务。"),
            ("customer", "你好，我想问一下信用卡账单。"),
            ("agent", "好的，您请说。"),
            ("customer", "你们怎么又乱扣我的钱！太过分了，简直就是骗子！"),
            ("customer", "我非常生气，这是什么破服务，我要投诉你们！"),
        ]
    )
    calm = _transcript(
        [
            ("customer", "你好，我想问一下信用卡账单。"),
            ("customer", "好的，谢谢你，明白了，非常感谢。"),
        ]
    )
    fired = [
        a for _, a in _fed(angry, sentiment_model.predict) if a.rule == "customer_anger_rising"
    ]
    assert len(fired) == 1 and fired[0].t == angry.turns[-1].end
    assert not [
        a for _, a in _fed(calm, sentiment_model.predict) if a.rule == "customer_anger_rising"
    ]


def test_no_alert_while_the_sides_may_be_swapped():
    """A stream without an agent channel in its metadata has its sides told apart from what
    was said; while that is unsure (below the pack's review_below), a rude remark may be the
    customer's, so nothing is alerted, as batch sends such outcomes to review. Once the
    sides are sure, the same remark alerts."""
    from core.transcript import RoleEvidence
    from pipeline.live.live_rules import LiveRules

    pack = load_pack(default_pack_path())
    call = _transcript(
        [
            ("agent", "喂。"),
            ("customer", "我卡丢了，怎么办？"),
            ("agent", "你自己不会看吗，烦不烦。"),
        ]
    )
    unsure = RoleEvidence(method="content", confidence=pack.settings.review_below - 0.1)
    sure = RoleEvidence(method="content", confidence=0.95)

    def rude(roles: RoleEvidence) -> list[str]:
        found = LiveRules(pack).on_transcript(call.model_copy(update={"roles": roles}))
        return [f.rule for f in found if f.rule == "forbidden_language"]

    assert rude(unsure) == []
    assert rude(sure) == ["forbidden_language"]
