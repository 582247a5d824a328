"""What live text shows (issue 12): one place, pipeline.redact, decides what is masked; the
live path's segments are redacted by it, with the digit runs a number read in pieces
leaves (the rest may not have arrived) masked as well."""

from __future__ import annotations

from pipeline.live.rolling import RollingTranscript
from pipeline.redact import RedactOptions, mask_digit_runs, redact_text, redact_unfinished
from pipeline.redact.spoken_digits import Piece
from pipeline.transcribe import Segment


def _segment(start: float, text: str) -> Segment:
    return Segment(start, start + 2.0, text, (), 0.0, 0.0)


def test_a_live_segment_is_what_redaction_says_of_it_in_the_context_of_the_call():
    rolling = RollingTranscript("c1", channels=2, agent_channel=0)
    asked = _segment(0.0, "请您报一下卡号。")
    said = _segment(3.0, "六二二二零二一零，一二三四五六七八九零幺二")
    rolling.add(0, asked)
    rolling.add(1, said)
    speakers = {"ch0": "agent", "ch1": "customer"}
    shown = rolling.redacted_segment(1, said, speakers)
    before = [Piece(asked.text, "agent", 0.0, 2.0)]
    assert shown == redact_unfinished(before, Piece(said.text, "customer", 0, 0))
    assert not any(ch.isdigit() or ch in "零一二三四五六七八九幺" for ch in shown)


def test_long_digit_runs_in_any_numeral_are_masked_amounts_and_last_fours_stay():
    # 壹贰叁 (financial capitals) are digits to redaction, so they are to live masking
    assert mask_digit_runs("编号壹贰叁肆伍陆柒捌") == "编号********"
    assert mask_digit_runs("前面是６２２２０２１") == "前面是*******"
    assert mask_digit_runs("尾号六一零四，还款5000元") == "尾号六一零四，还款5000元"
    shown = redact_unfinished([], Piece("一共二十三万，日期20261206", "customer", 0, 0))
    assert shown == "一共二十三万，日期********"


def test_live_never_shows_more_than_batch_redaction_of_the_same_text():
    text = "我的手机是13790526148，验证码三六九二零八"
    batch, _ = redact_text(text, RedactOptions())
    live = redact_unfinished([], Piece(text, "customer", 0, 0))
    assert live == mask_digit_runs(batch) == "我的手机是[电话]，验证码[验证码]"
