"""Redaction (policy §6.2, PCI DSS): secrets out of text, words and audio; ordinary numbers
left alone. Valid numbers are generated with their real check digits."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from stdnum import luhn
from stdnum.cn import ric

from core.transcript import AudioFacts, Transcript, Turn, Word
from pipeline.audio import SAMPLE_RATE, Audio, decode
from pipeline.audio_writing import write_audio
from pipeline.redact import (
    Cover,
    RedactOptions,
    audio_spans,
    redact_audio,
    redact_text,
    redact_transcript,
    redacted_blocks,
    write_redacted_audio,
)
from tests.conftest import ROOT, real


def resident_id(region: str = "110105", birth: str = "19491231", seq: str = "002") -> str:
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


def card(prefix: str, length: int) -> str:
    body = (prefix + "1234567890123456789")[: length - 1]
    return body + luhn.calc_check_digit(body)


ID_X = next(
    resident_id(seq=f"{n:03d}") for n in range(1000) if resident_id(seq=f"{n:03d}")[-1] == "X"
)
ID = next(
    resident_id(seq=f"{n:03d}") for n in range(1000) if resident_id(seq=f"{n:03d}")[-1] != "X"
)
ID15 = "110105491231002"  # first generation: region, yymmdd, sequence
CARD16 = card("622202", 16)
CARD19 = card("6228480", 19)
CARD16_FW = CARD16.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
NOT_LUHN16 = CARD16[:-1] + str((int(CARD16[-1]) + 1) % 10)

_SPOKEN = str.maketrans("0123456789", "零幺两三四五六七八九")
_PLAIN = str.maketrans("0123456789", "〇一二三四五六七八九")


def spoken(digits: str, table: dict[int, int] = _SPOKEN, group: int = 0, sep: str = " ") -> str:
    said = digits.translate(table)
    if group:
        said = sep.join(said[i : i + group] for i in range(0, len(said), group))
    return said


def grouped(digits: str, group: int = 4, sep: str = " ") -> str:
    return sep.join(digits[i : i + group] for i in range(0, len(digits), group))


def test_generated_numbers_are_what_they_claim():
    assert ric.is_valid(ID) and ric.is_valid(ID_X) and ID_X.endswith("X")
    assert luhn.is_valid(CARD16) and len(CARD16) == 16
    assert luhn.is_valid(CARD19) and len(CARD19) == 19
    assert not luhn.is_valid(NOT_LUHN16)


# --- what is caught ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        (f"我的身份证号是{ID}", "id_number"),
        (f"我的身份证号是{ID_X}", "id_number"),
        (f"号码是{ID_X[:-1].lower()}x", "id_number"),
        (f"证件号{spoken(ID_X[:-1])}叉", "id_number"),
        (f"{grouped(ID, 6)}，这是我的", "id_number"),
        (f"老身份证{ID15}", "id_number"),
        (f"卡号{CARD16}", "card_number"),
        (f"卡号是{grouped(CARD16)}对", "card_number"),
        (f"是{grouped(CARD16, sep='，')}", "card_number"),
        (f"卡号{grouped(CARD16, sep='-')}", "card_number"),
        (f"{spoken(CARD16)}", "card_number"),
        (f"好的，{spoken(CARD16, group=4)}，对", "card_number"),
        (f"嗯{spoken(CARD16, _PLAIN, group=4, sep='、')}", "card_number"),
        (f"卡号{spoken(CARD16, group=4, sep=' 呃 ')}", "card_number"),
        (f"{CARD19}", "card_number"),
        (f"我那张卡是{spoken(CARD19, group=4)}", "card_number"),
        (f"卡号{CARD16_FW}", "card_number"),
        ("手机号13812345678", "phone"),
        ("打我电话幺三八 幺二三四 五六七八", "phone"),
        ("可以打13912345678联系我", "phone"),
        ("我的手机是+86 138-1234-5678", "phone"),
        ("座机010-62345678", "phone"),
        ("办公室电话零五七幺八八八八六六六六", "phone"),
        ("我家0571 8888 6666", "phone"),
        (f"卡号{NOT_LUHN16}", "card_number"),  # misheard digit, but the context says card
        ("My phone number is 138 1234 5678.", "phone"),
        (f"the card number is {grouped(NOT_LUHN16)}", "card_number"),
    ],
)
def test_numbers_are_redacted(said, kind):
    text, spans = redact_text(said)
    assert [s.kind for s in spans] == [kind], (said, text)
    assert not any(c.isdigit() for c in text), text  # full-width digits too
    assert not set(text) & set("零〇幺一两二三四五六七八九叉"), text
    for span in spans:
        assert text.count(span.replacement) == 1


def test_a_plus_sign_goes_with_the_phone_number():
    assert redact_text("我的手机是+86 138-1234-5678")[0] == "我的手机是[电话]"


def test_two_numbers_in_one_breath():
    text, spans = redact_text(f"卡号{CARD16}，手机13812345678")
    assert text == "卡号[卡号]，手机[电话]"
    assert [(s.start, s.end) for s in spans] == [(2, 18), (21, 32)]
    text, _ = redact_text(f"{CARD16} 13812345678")
    assert text == "[卡号] [电话]"


@pytest.mark.parametrize(
    "said",
    [
        "卡背面的三位安全码是多少？七八九",
        "CVV2是123",
        "cvv 四五六",
        "the security code is 4 5 6",
        "我卡背面签名栏那个数字是三五七",
        "安全码，呃，零四二",
    ],
)
def test_security_codes_in_context(said):
    text, spans = redact_text(said)
    assert [s.kind for s in spans] == ["security_code"]
    assert text.endswith("[安全码]"), text


@pytest.mark.parametrize(
    ("said", "placeholder"),
    [
        ("验证码是四三二一八八", "[验证码]"),
        ("短信码 8 2 9 1", "[验证码]"),
        ("动态码是：5 8 3 9 2 1", "[验证码]"),
        ("好的，验证码我收到了，是八二九一，然后我要转账两千", "[验证码]"),
        ("我的密码是123456", "[密码]"),
    ],
)
def test_one_time_codes_and_passwords_in_context(said, placeholder):
    text, spans = redact_text(said)
    assert len(spans) == 1 and placeholder in text, text
    assert spans[0].kind == ("otp" if placeholder == "[验证码]" else "security_code")


def test_a_keyword_binds_only_its_own_number():
    text, _ = redact_text("验证码是123456，您转账3000，手续费2元")
    assert text == "验证码是[验证码]，您转账3000，手续费2元"
    far = "验证码" + "，" * 50 + "123456"
    assert redact_text(far)[0] == far


def test_a_secret_said_again_is_redacted_again():
    text, spans = redact_text("验证码是482916。好的，482916对吧？")
    assert text == "验证码是[验证码]。好的，[验证码]对吧？"
    assert len(spans) == 2


# --- pauses, read-backs, numbers said before a quantity ------------------------------

ID_JS = resident_id("320102", "19880715", "031")
ID_JS_X = next(
    resident_id("320102", "19880715", f"{n:03d}")
    for n in range(1000)
    if resident_id("320102", "19880715", f"{n:03d}")[-1] == "X"
)
MOBILE = "13905172846"
CARD16_B = card("621483", 16)
NOT_LUHN16_B = CARD16_B[:-1] + str((int(CARD16_B[-1]) + 1) % 10)
_SPOKEN_X = str.maketrans("0123456789X", "零幺两三四五六七八九叉")


def cut(digits: str, *at: int, sep: str = "……") -> str:
    bounds = [0, *at, len(digits)]
    return sep.join(digits[a:b] for a, b in itertools.pairwise(bounds))


def test_pause_test_numbers_are_what_they_claim():
    assert ric.is_valid(ID_JS) and ric.is_valid(ID_JS_X) and ID_JS_X.endswith("X")
    assert luhn.is_valid(CARD16_B) and not luhn.is_valid(NOT_LUHN16_B)


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        # an ID said in parts, with long pauses (……, ..., 。) between them
        (f"身份证号码……我念一下啊，{cut(ID_JS, 6, 14).translate(_SPOKEN_X)}。", "id_number"),
        (f"我念一下，{cut(ID_JS_X, 6, 14).translate(_SPOKEN_X)}", "id_number"),
        (cut(ID_JS, 6, 14, sep="..."), "id_number"),
        (cut(ID_JS, 6, 14, sep="。"), "id_number"),
        (cut(ID_JS, 6, 14, sep=" …… "), "id_number"),
        # groups with more filler than a short pause: valid as a whole
        (spoken(MOBILE, group=4, sep="，嗯，呃，"), "phone"),
        (cut(MOBILE, 3, 7, sep=" 那个 ").translate(_SPOKEN), "phone"),
        (cut(MOBILE, 3, 7, sep="啊……"), "phone"),
        (cut(CARD16_B, 4, 8, 12), "card_number"),
        # fails its checksum, but 卡号 asked for a number of this length
        (f"卡号是{cut(NOT_LUHN16_B, 4, 8, 12)}", "card_number"),
    ],
)
def test_parts_of_a_number_said_with_long_pauses_are_joined(said, kind):
    text, spans = redact_text(said)
    assert [s.kind for s in spans] == [kind], (said, text)
    left = text.replace("念一下", "")  # the 一 of 念一下 is not a digit said
    assert not any(c.isdigit() for c in left), text
    assert not set(left) & set("零〇幺一两二三四五六七八九叉"), text
    assert "念一下" not in said or "念一下" in text


@pytest.mark.parametrize(
    "said",
    [
        "1000、2000、3000元",
        "3、6、12、24期",
        "2023、2024年",
        "工号3017……尾号6104",
        "金额5000……还有2000元",
        "三……三天",
        "第3……5期",
        "下午三点……五点",
        "电话是幺三八……我看看……零幺七二",  # half a number stays (too short for a phone)
        "验证码五分钟内有效，3、6、12期都可以",
        "我要转 1 500 元",
        "12 345 678元",
    ],
)
def test_pauses_do_not_join_ordinary_numbers(said):
    assert redact_text(said) == (said, [])


@pytest.mark.parametrize(
    ("said", "redacted"),
    [
        (f"好的，{MOBILE}，两个工作日内给您回电", "好的，[电话]，两个工作日内给您回电"),
        (
            f"好的,{spoken(MOBILE, _PLAIN)},五个工作日内联系您",
            "好的,[电话],五个工作日内联系您",
        ),
        ("安全码是789，两天后生效", "安全码是[安全码]，两天后生效"),
        ("验证码是482916，两分钟前收到的", "验证码是[验证码]，两分钟前收到的"),
    ],
)
def test_a_number_said_just_before_a_quantity_is_still_a_secret(said, redacted):
    assert redact_text(said)[0] == redacted


def test_a_read_back_in_another_numeral_form_is_redacted():
    # the customer says 幺, the agent reads it back with 一 and runs on into a quantity
    said = f"手机{spoken(MOBILE, group=4)}。好的，{spoken(MOBILE, _PLAIN)}两个工作日内回电"
    text, spans = redact_text(said)
    assert text == "手机[电话]。好的，[电话]两个工作日内回电"
    assert [s.kind for s in spans] == ["phone", "phone"]


def test_a_secret_said_again_with_pauses_or_inside_a_longer_run():
    text, _ = redact_text("验证码是四八二九一六。好，四八二九……一六对吧")
    assert text == "验证码是[验证码]。好，[验证码]对吧"
    # a misheard card number (known only from 卡号) read back in pieces
    said = f"卡号{NOT_LUHN16_B}。我重复一遍：{cut(NOT_LUHN16_B, 4, 8, 12, sep='……嗯……')}"
    assert redact_text(said)[0] == "卡号[卡号]。我重复一遍：[卡号]"


def test_a_short_secret_inside_another_number_is_left_alone():
    said = "验证码是482916。好的，转账4829160元，4829 16"
    assert redact_text(said)[0] == "验证码是[验证码]。好的，转账4829160元，[验证码]"


# --- what is left alone --------------------------------------------------------------

ORDINARY = [
    "转三百块",
    "我要还5000元",
    "额度一万二",
    "一共两千三百四十五块",
    "三月五号来的",
    "2024年办的卡",
    "二零二四年三月五号",
    "12月31号之前还",
    "三个工作日内到账",
    "利率百分之三点六五",
    "年化3.5%",
    "尾号6104的卡",
    "手机尾号5678",
    "身份证后四位是1234",
    "您好，工号3017为您服务",
    "客服电话95588",
    "请拨打400-820-8888",
    "第二期",
    "分24期还款",
    "下午三点到五点",
    "13,800元",
    "1,234,567,890,123",
    "我今年三十五岁",
    "房间号是七八九",
    "一二三，开始",
    "您信用卡本期账单金额是5000元，最低还款500",
    "验证码五分钟内有效",
    "验证码是六位数字，请您念一下",
    "您尾号6104的手机会收到一条验证码",
    "安全码在卡背面，是三位数",
    "请不要把密码告诉任何人，包括我们工号3017的客服",
    f"卡号是{NOT_LUHN16[:8]}",  # too short for a card, even with the context
    NOT_LUHN16,  # 16 digits failing Luhn, nobody said it is a card
    "我是VIP5客户，办的是A380里程卡",
    "I went shopping 1234 times",
    "利率3.65%，版本5.0。",
]


@pytest.mark.parametrize("said", ORDINARY)
def test_ordinary_numbers_survive(said):
    assert redact_text(said) == (said, [])


# --- options -------------------------------------------------------------------------


def test_mask_style_keeps_the_length():
    said = f"卡号{CARD16}"
    text, spans = redact_text(said, RedactOptions(style="mask", mask_char="*"))
    assert text == "卡号" + "*" * 16
    assert spans[0].replacement == "*" * 16


def test_kinds_and_placeholders_are_options():
    said = "手机13812345678，验证码是482916"
    only_otp = RedactOptions(kinds=frozenset({"otp"}), placeholders={"otp": "<OTP>"})
    assert redact_text(said, only_otp)[0] == "手机13812345678，验证码是<OTP>"
    assert redact_text("密码是123456", RedactOptions(pins=False))[0] == "密码是123456"


# --- transcripts: words, times, turns ------------------------------------------------


def _words(pieces: list[tuple[str, float, float]]) -> tuple[Word, ...]:
    return tuple(Word(start=a, end=b, text=t, p=0.9) for t, a, b in pieces)


def _transcript(*turns: Turn, duration: float = 30.0) -> Transcript:
    return Transcript(call_id="r", audio=AudioFacts(duration=duration, channels=2), turns=turns)


def test_spans_map_to_word_timestamps():
    groups = [CARD16[i : i + 4] for i in range(0, 16, 4)]
    words = _words(
        [
            ("卡号", 2.0, 2.4),
            ("是", 2.4, 2.6),
            (groups[0], 2.7, 3.2),
            (" " + groups[1], 3.3, 3.8),
            (" " + groups[2], 3.9, 4.4),
            (" " + groups[3], 4.5, 5.0),
            ("，", 5.0, 5.0),
            ("谢谢", 5.2, 5.6),
        ]
    )
    text = "卡号是" + " ".join(groups) + "，谢谢"
    turn = Turn(speaker="customer", start=2.0, end=5.6, text=text, words=words, channel=1)
    source = _transcript(turn)
    redacted, redactions = redact_transcript(source)

    (r,) = redactions
    assert (r.turn, r.kind, r.start, r.end) == (0, "card_number", 2.7, 5.0)
    assert text[r.chars[0] : r.chars[1]] == " ".join(groups)
    out = redacted.turns[0]
    assert out.text == "卡号是[卡号]，谢谢"
    assert out.words is not None
    assert [w.text for w in out.words] == ["卡号", "是", "[卡号]", "，", "谢谢"]
    assert (out.words[2].start, out.words[2].end) == (2.7, 5.0)
    assert out.channel == 1 and out.speaker == "customer"
    assert source.turns[0].text == text  # the input is untouched
    assert audio_spans(source, redactions) == [(2.7, 5.0, 1)]
    assert Transcript.from_json(redacted.to_json()) == redacted


def test_a_number_inside_a_longer_word_takes_the_whole_word():
    words = _words([("电话是13812345678", 1.0, 3.0), ("好的", 3.1, 3.5)])
    turn = Turn(speaker="customer", start=1.0, end=3.5, text="电话是13812345678好的", words=words)
    redacted, (r,) = redact_transcript(_transcript(turn))
    assert (r.start, r.end) == (1.0, 3.0)
    assert redacted.turns[0].words is not None
    assert [w.text for w in redacted.turns[0].words] == ["电话是[电话]", "好的"]


def test_without_words_the_time_is_estimated_from_the_turn():
    # 10 spoken characters over 10 s: the 4 digits are characters 3..6
    turn = Turn(speaker="customer", start=10.0, end=20.0, text="验证码是一二三四好的")
    redacted, (r,) = redact_transcript(_transcript(turn))
    assert redacted.turns[0].text == "验证码是[验证码]好的"
    assert redacted.turns[0].words is None
    assert (r.start, r.end) == pytest.approx((14.0, 18.0))


def test_context_and_numbers_across_turns():
    cvv_q = Turn(
        speaker="agent", start=0.0, end=3.0, text="请您报一下卡背面的三位安全码", channel=0
    )
    cvv_a = Turn(speaker="customer", start=3.5, end=4.5, text="七八九", channel=1)
    first = Turn(
        speaker="customer", start=6.0, end=8.0, text="卡号是" + spoken(CARD16[:8], group=4)
    )
    nod = Turn(speaker="agent", start=8.2, end=8.5, text="嗯", channel=0)
    rest = Turn(speaker="customer", start=8.6, end=10.0, text=spoken(CARD16[8:], group=4))
    amount = Turn(speaker="agent", start=11.0, end=13.0, text="好的，手续费是两块", channel=0)
    redacted, redactions = redact_transcript(_transcript(cvv_q, cvv_a, first, nod, rest, amount))
    assert [t.text for t in redacted.turns] == [
        "请您报一下卡背面的三位安全码",
        "[安全码]",
        "卡号是[卡号]",
        "嗯",
        "[卡号]",
        "好的，手续费是两块",
    ]
    assert [(r.turn, r.kind) for r in redactions] == [
        (1, "security_code"),
        (2, "card_number"),
        (4, "card_number"),
    ]


def test_an_id_said_in_parts_across_turns_with_pauses():
    parts = cut(ID_JS_X, 6, 14).translate(_SPOKEN_X).split("……")
    first = Turn(speaker="customer", start=1.0, end=4.0, text=f"身份证号{parts[0]}……")
    nod = Turn(speaker="agent", start=4.2, end=4.5, text="嗯", channel=0)
    rest = Turn(speaker="customer", start=4.6, end=8.0, text=f"{parts[1]}……{parts[2]}。")
    back = Turn(
        speaker="agent", start=8.5, end=12.0, text=f"好的，{ID_JS_X}，三个工作日内", channel=0
    )
    redacted, redactions = redact_transcript(_transcript(first, nod, rest, back))
    assert [t.text for t in redacted.turns] == [
        "身份证号[身份证号]……",
        "嗯",
        "[身份证号]。",
        "好的，[身份证号]，三个工作日内",
    ]
    assert {r.kind for r in redactions} == {"id_number"}


def test_nothing_to_redact_returns_the_same_turns():
    turn = Turn(speaker="agent", start=0.0, end=2.0, text="您好，工号3017为您服务")
    source = _transcript(turn)
    redacted, redactions = redact_transcript(source)
    assert redactions == ()
    assert redacted == source


# --- audio -----------------------------------------------------------------------------


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def _sec(t: float) -> int:
    return round(t * SAMPLE_RATE)


def _tone_audio(seconds: float = 6.0, channels: int = 2) -> Audio:
    t = np.arange(_sec(seconds)) / SAMPLE_RATE
    rows = [0.3 * np.sin(2 * np.pi * f * t) for f in (440.0, 660.0)[:channels]]
    return Audio("tone", np.array(rows, dtype=np.float32), SAMPLE_RATE, "pcm_f32le", "synthetic")


def test_silence_covers_exactly_the_padded_span_on_the_speakers_channel():
    audio = _tone_audio()
    out = redact_audio(audio, [(2.0, 3.0, 1)], mode="silence", pad_s=0.1)
    lo, hi = _sec(1.9), _sec(3.1)
    assert _rms(out.samples[1, lo:hi]) == 0.0
    assert np.array_equal(out.samples[1, :lo], audio.samples[1, :lo])
    assert np.array_equal(out.samples[1, hi:], audio.samples[1, hi:])
    assert np.array_equal(out.samples[0], audio.samples[0])  # the agent's channel is kept
    assert _rms(audio.samples[1, lo:hi]) > 0.2  # and there was sound to remove


def test_a_span_without_a_channel_covers_every_channel():
    audio = _tone_audio()
    out = redact_audio(audio, [(1.0, 1.5)], mode="silence", pad_s=0.0)
    assert _rms(out.samples[:, _sec(1.0) : _sec(1.5)]) == 0.0
    assert np.array_equal(out.samples[:, : _sec(1.0)], audio.samples[:, : _sec(1.0)])


def test_beep_replaces_the_span_with_a_tone():
    audio = _tone_audio(channels=1)
    out = redact_audio(audio, [(2.0, 3.0)], mode="beep", pad_s=0.15, beep_level=0.1)
    inner = out.samples[0, _sec(1.9) : _sec(3.1)]  # away from the 5 ms fades
    assert _rms(inner) == pytest.approx(0.1 / np.sqrt(2), rel=0.01)
    spectrum = np.abs(np.fft.rfft(inner))
    assert np.fft.rfftfreq(len(inner), 1 / SAMPLE_RATE)[spectrum.argmax()] == pytest.approx(
        1000, abs=2
    )
    assert np.array_equal(out.samples[0, : _sec(1.85)], audio.samples[0, : _sec(1.85)])
    assert np.array_equal(out.samples[0, _sec(3.15) :], audio.samples[0, _sec(3.15) :])
    assert np.array_equal(audio.samples, _tone_audio(channels=1).samples)  # input untouched


def test_silencing_a_real_recording():
    audio = decode(real("FunASR/asr_example.wav"))
    out = redact_audio(audio, [(1.0, 2.0)], mode="silence")
    lo, hi = _sec(0.85), _sec(2.15)
    assert _rms(audio.samples[0, lo:hi]) > 0.01
    assert _rms(out.samples[0, lo:hi]) == 0.0
    assert np.array_equal(out.samples[0, :lo], audio.samples[0, :lo])
    assert np.array_equal(out.samples[0, hi:], audio.samples[0, hi:])
    assert out.channels == audio.channels and out.duration == audio.duration


def _pcm_audio(seconds: float = 7.0) -> Audio:
    """Decoded-style audio (int16 buffers), as a call read from storage is held."""
    rows = _tone_audio(seconds).samples
    pcm = [np.round(row * 32767).astype(np.int16) for row in rows]
    return Audio("pcm", original_sample_rate=8000, codec="pcm_s16le", container="wav", pcm=pcm)


@pytest.mark.parametrize("mode", ["beep", "silence"])
def test_block_by_block_gives_exactly_the_samples_of_the_whole_call(mode):
    audio = _pcm_audio()
    # spans across block edges (blocks of 1 s below), one on a channel, one touching the end
    spans = [(0.95, 2.30, 1), (2.99, 3.01), (4.5, 6.99, 0), (1.2, 1.3, None)]
    whole = redact_audio(audio, spans, mode=mode, pad_s=0.1).samples
    cover = Cover(mode=mode, pad_s=0.1)
    blocks = list(redacted_blocks(audio, spans, cover, block_frames=SAMPLE_RATE))
    assert len(blocks) == 7
    assert np.array_equal(np.concatenate(blocks, axis=1), whole)
    assert not np.array_equal(whole, audio.samples)  # something was covered


def test_the_redacted_recording_is_written_block_by_block(tmp_path):
    audio = _pcm_audio(75.0)  # longer than one 30 s block
    spans = [(29.5, 31.0, 1), (60.2, 61.0, 0)]
    path = write_redacted_audio(tmp_path / "redacted.wav", audio, spans, Cover(mode="silence"))
    back = decode(path)
    expected = redact_audio(audio, spans, mode="silence").samples
    assert back.channels == 2 and back.frames == audio.frames
    assert np.abs(back.samples - expected).max() < 2e-4  # int16 rounding only
    assert _rms(back.samples[1, _sec(29.5) : _sec(31.0)]) == 0.0
    assert _rms(audio.samples[1, _sec(29.5) : _sec(31.0)]) > 0.2


def test_a_cover_with_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode 'hum'"):
        Cover(mode="hum")  # type: ignore[arg-type]


# --- the command -------------------------------------------------------------------------


def test_redact_audio_command_end_to_end(tmp_path):
    audio = _tone_audio()
    recording = write_audio(tmp_path / "call.wav", audio.samples)
    groups = [CARD16[i : i + 4] for i in range(0, 16, 4)]
    words = _words(
        [("卡号", 2.0, 2.4)] + [(g, 2.4 + 0.4 * i, 2.8 + 0.4 * i) for i, g in enumerate(groups)]
    )
    turn = Turn(
        speaker="customer",
        start=2.0,
        end=4.0,
        text="卡号" + "".join(groups),
        words=words,
        channel=1,
    )
    transcript = _transcript(turn, duration=6.0)
    transcript.write(tmp_path / "call.json")
    out, redacted_json = tmp_path / "call.redacted.wav", tmp_path / "call.redacted.json"

    options = ["--transcript", str(tmp_path / "call.json"), "--mode", "silence"]
    options += ["--transcript-out", str(redacted_json), "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "callqa.cli", "redact-audio", str(recording), str(out), *options],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(r["kind"], r["start"], r["end"]) for r in report["redactions"]] == [
        ("card_number", 2.4, 4.0)
    ]

    written = decode(out)
    assert written.channels == 2
    lo, hi = _sec(2.4 - 0.15), _sec(4.0 + 0.15)
    assert _rms(written.samples[1, lo:hi]) == 0.0
    assert _rms(written.samples[1, : _sec(2.2)]) == pytest.approx(0.3 / np.sqrt(2), rel=0.01)
    assert _rms(written.samples[1, _sec(4.2) :]) == pytest.approx(0.3 / np.sqrt(2), rel=0.01)
    assert _rms(written.samples[0, lo:hi]) == pytest.approx(0.3 / np.sqrt(2), rel=0.01)

    stored = Transcript.read(redacted_json)
    assert stored.turns[0].text == "卡号[卡号]"
    assert CARD16 not in redacted_json.read_text(encoding="utf-8")


def test_redact_audio_command_refuses_what_it_cannot_write(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "callqa.cli", "redact-audio", "in.wav", str(tmp_path / "out.xyz")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 2
    assert "out.xyz" in result.stderr and ".wav" in result.stderr
