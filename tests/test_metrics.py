"""Service metrics (policy §5.1) on hand-built calls whose answers are worked out by hand."""

from __future__ import annotations

import pytest

from core.transcript import AudioFacts, Transcript, Turn, Word
from pipeline.metrics import METRIC_KEYS, MetricsOptions, service_metrics, speaking_units


def call(*turns: tuple[str, float, float, str], duration: float = 60.0) -> Transcript:
    return Transcript(
        call_id="m",
        audio=AudioFacts(duration=duration, channels=1),
        turns=tuple(Turn(speaker=s, start=a, end=b, text=t) for s, a, b, t in turns),
    )


# Agent answers after 1.0 s, 0 s (starts 0.5 s before the customer ends: an interruption),
# 2.0 s. One 5 s silence (18 -> 23). The customer's "嗯" inside the agent's turn is a
# backchannel; the customer's 1.5 s "等一下等一下" over the agent is an interruption.
CONVERSATION = call(
    ("agent", 1.0, 4.0, "您好，请问有什么可以帮您？"),
    ("customer", 4.5, 8.0, "我想查一下账单"),
    ("agent", 9.0, 12.0, "好的"),
    ("customer", 10.0, 10.4, "嗯"),
    ("customer", 12.5, 15.0, "上个月的"),
    ("agent", 14.5, 18.0, "稍等"),
    ("customer", 23.0, 25.0, "好了吗"),
    ("agent", 27.0, 30.0, "查到了"),
    ("customer", 28.0, 29.5, "等一下等一下"),
)


def test_every_key_present_and_stable():
    metrics = service_metrics(CONVERSATION)
    assert tuple(metrics) == METRIC_KEYS


def test_response_latency():
    metrics = service_metrics(CONVERSATION)
    assert metrics["response_count"] == 3
    # latencies 1.0, 0.0 (clamped from -0.5), 2.0
    assert metrics["response_latency_median_s"] == pytest.approx(1.0)
    assert metrics["response_latency_p90_s"] == pytest.approx(1.8)  # 1 + 0.8 * (2 - 1)
    assert metrics["response_latency_max_s"] == pytest.approx(2.0)


def test_customer_speaking_in_pieces_is_answered_once():
    metrics = service_metrics(
        call(
            ("customer", 0.0, 2.0, "我想问"),
            ("customer", 2.5, 4.0, "那个账单"),
            ("agent", 5.5, 7.0, "好的"),
        )
    )
    assert metrics["response_count"] == 1
    assert metrics["response_latency_median_s"] == pytest.approx(1.5)


def test_interruptions_and_overtalk():
    metrics = service_metrics(CONVERSATION)
    assert metrics["agent_interruption_count"] == 1  # at 14.5, customer talks on to 15.0
    assert metrics["customer_interruption_count"] == 1  # at 28.0 for 1.5 s; "嗯" is not one
    # 10.0-10.4 (嗯) + 14.5-15.0 + 28.0-29.5
    assert metrics["overtalk_s"] == pytest.approx(0.4 + 0.5 + 1.5)


def test_interruption_threshold_is_an_option():
    strict = service_metrics(CONVERSATION, MetricsOptions(interruption_min_overlap_s=0.6))
    assert strict["agent_interruption_count"] == 0


def test_agent_backchannel_is_not_an_interruption_nor_an_answer():
    metrics = service_metrics(
        call(
            ("customer", 0.0, 6.0, "我上个月在你们网点办的那张卡一直没收到"),
            ("agent", 2.0, 2.5, "嗯"),
            ("agent", 7.0, 9.0, "我帮您查一下"),
        )
    )
    assert metrics["agent_interruption_count"] == 0
    assert metrics["response_count"] == 1
    assert metrics["response_latency_median_s"] == pytest.approx(1.0)


def test_talk_ratio_and_silence():
    metrics = service_metrics(CONVERSATION)
    agent, customer = 3 + 3 + 3.5 + 3, 3.5 + 0.4 + 2.5 + 2 + 1.5
    assert metrics["agent_talk_s"] == pytest.approx(agent)
    assert metrics["customer_talk_s"] == pytest.approx(customer)
    assert metrics["talk_ratio_agent"] == pytest.approx(round(agent / (agent + customer), 3))
    assert metrics["silence_count"] == 1
    assert metrics["silence_total_s"] == pytest.approx(5.0)
    assert metrics["silence_share"] == pytest.approx(round(5 / 60, 3))
    longer = service_metrics(CONVERSATION, MetricsOptions(silence_gap_s=1.5))
    assert longer["silence_count"] == 2  # and 25 -> 27
    assert longer["silence_total_s"] == pytest.approx(7.0)


def test_first_agent_word_uses_words_and_ring_time():
    turns = (
        Turn(
            speaker="agent",
            start=6.0,
            end=8.0,
            text="您好",
            words=(Word(start=6.4, end=7.0, text="您好", p=0.9),),
        ),
    )
    transcript = Transcript(call_id="r", audio=AudioFacts(duration=20, channels=1), turns=turns)
    assert service_metrics(transcript)["first_agent_word_s"] == pytest.approx(6.4)
    rung = service_metrics(transcript, ring_time_s=5.0)
    assert rung["first_agent_word_s"] == pytest.approx(1.4)
    assert rung["ring_time_s"] == pytest.approx(5.0)
    assert service_metrics(transcript, ring_time_s=9.0)["first_agent_word_s"] == 0.0


def test_speaking_rate_counts_characters_digits_and_latin_words():
    assert speaking_units("您好，VIP客户 5000元！") == 2 + 1 + 2 + 4 + 1
    text = "您" * 60 + "，VIP 5000"  # 60 + 1 + 4 units in half a minute
    metrics = service_metrics(call(("agent", 0.0, 30.0, text), ("customer", 31.0, 61.0, "好")))
    assert metrics["agent_chars_per_min"] == pytest.approx(130.0)
    assert metrics["customer_chars_per_min"] == pytest.approx(2.0)


def test_empty_call():
    metrics = service_metrics(call(duration=30.0))
    assert metrics["response_count"] == 0
    assert metrics["agent_interruption_count"] == 0
    for key in (
        "first_agent_word_s",
        "talk_ratio_agent",
        "response_latency_median_s",
        "response_latency_p90_s",
        "silence_count",
        "silence_share",
        "agent_chars_per_min",
        "customer_chars_per_min",
    ):
        assert metrics[key] is None, key
    assert metrics["duration_s"] == 30.0


def test_one_sided_call():
    metrics = service_metrics(
        call(("customer", 1.0, 5.0, "喂？喂？"), ("customer", 10.0, 12.0, "喂"))
    )
    assert metrics["first_agent_word_s"] is None
    assert metrics["talk_ratio_agent"] == 0.0
    assert metrics["response_count"] == 0
    assert metrics["response_latency_median_s"] is None
    assert metrics["agent_chars_per_min"] is None
    assert metrics["silence_count"] == 1
    assert metrics["silence_total_s"] == pytest.approx(5.0)
