"""Redaction of customer secrets from transcripts and recordings (policy §6.2, PCI DSS).

What is removed: Chinese resident ID numbers (18 characters with a valid check digit,
birth date and region; the old 15-digit form with a valid date and region), bank card
numbers (13-19 digits passing Luhn), Chinese mobile numbers (1[3-9] + 9 digits, with an
optional 86 prefix) and landlines with an area code (010/02x + 8 digits, 0xxx + 7-8),
and, only when the conversation names them, card security codes (CVV/CVN/安全码/卡背面:
3-4 digits), one-time codes (验证码/动态码/短信码: 4-8 digits) and spoken passwords
(密码: 4-6 digits; a PIN, kind ``security_code``). A card, ID or phone number that fails its
check (one digit misheard) is still removed when the conversation names it (卡号, 身份证,
手机/电话) and it has the right length. A run of digits that holds a valid number only
after trimming a digit or two off its ends (or anywhere in a run of 20+ digits) is
removed whole. Context words are Chinese (simplified and traditional) plus a few English
ones (card number, phone, CVV, verification code, PIN).

Numbers are read the way people say them: ASCII or full-width digits, Chinese digits
(〇零一幺二两三四五六七八九, financial capitals), grouped with spaces, commas, dashes or
fillers (嗯/呃), and split across words and across a speaker's consecutive turns (the
other party's "嗯" between groups does not break a card number). Longer pauses inside a
number (……, ..., 。, several fillers, 那个/就是: 四四零一零六……一九八五零一一四……二七三九) join
its parts only when the whole then proves itself (ID checksum, Luhn, mobile or landline
plan) and no part does alone, or when a keyword (卡号, 身份证, 手机) asked for a number of the
combined length that no part reaches alone. Detection runs on the normalised digits; the
characters as said are what gets replaced.

What is left alone: amounts and quantities (a digit run next to 元/块/万/个/位/%/年/月/点...,
or after 第/¥, or in thousands grouping; a checksum-valid card or ID is removed even
there; the unit takes only the group it touches: in "13790526148，两个工作日" 两 is the
quantity and the phone number before it is judged on its own), dates, durations,
percentages, a last-four mention (尾号6104) or a staff number (工号3017), service numbers
(95588, 400-...), and any 3-8 digit number without a naming context (a CVV is a CVV only
because someone said so).

A context keyword (验证码, 卡号, ...) binds the first number after it within
``context_chars`` characters, across turns: the agent asks "卡背面的三位安全码", the
customer answers "七八九". A number that repeats one already found is removed too (the
agent reading it back), in any numeral form (幺 or 一), grouping or pauses: a long one (7+
digits) wherever its digits recur, inside a longer run or beside a unit too; a short code
where a whole group or run says it, outside a quantity. Labels that make a number
harmless (尾号, 工号, 金额, 余额...) stop a keyword's reach.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, cast

import numpy as np

from core.analysis import Redaction
from core.transcript import Transcript, Turn, Word
from pipeline.audio import Audio

Kind = Literal["id_number", "card_number", "phone", "security_code", "otp"]
KINDS: tuple[Kind, ...] = ("id_number", "card_number", "phone", "security_code", "otp")
# "pin" is a spoken password: reported as kind security_code, with its own placeholder.
PLACEHOLDERS: Mapping[str, str] = {
    "id_number": "[身份证号]",
    "card_number": "[卡号]",
    "phone": "[电话]",
    "security_code": "[安全码]",
    "otp": "[验证码]",
    "pin": "[密码]",
}
Span = tuple[float, float] | tuple[float, float, int | None]


@dataclass(frozen=True)
class RedactOptions:
    """What to redact and how the redacted text reads."""

    kinds: frozenset[Kind] = frozenset(KINDS)
    style: Literal["placeholder", "mask"] = "placeholder"
    """placeholder: "[卡号]" for the whole number; mask: every character as ``mask_char``."""
    mask_char: str = "＊"
    placeholders: Mapping[str, str] = field(default_factory=lambda: dict(PLACEHOLDERS))
    """Per kind, plus "pin" for spoken passwords."""
    context_chars: int = 40
    """How far (characters, across turns) a keyword such as 验证码 reaches to its number."""
    join_gap_s: float = 3.0
    """A speaker's consecutive turns this close join into one digit run (groups of a card
    number read with the other party's "嗯" in between)."""
    pins: bool = True
    """Also remove spoken passwords (密码 + 4-6 digits) as ``security_code``."""


@dataclass(frozen=True)
class TextSpan:
    """A redacted stretch of one text: ``text[start:end]`` became ``replacement``."""

    start: int
    end: int
    kind: Kind
    replacement: str
    label: str
    """The kind, or "pin" for a spoken password (kind security_code)."""


# --- public API --------------------------------------------------------------------


def redact_text(
    text: str,
    options: RedactOptions = RedactOptions(),
) -> tuple[str, list[TextSpan]]:
    """``text`` with its secrets replaced, and where they were (in ``text``'s characters)."""
    spans = _find([_Piece(text, "customer", 0.0, 0.0)], options)[0]
    return _apply(text, spans), spans


def redact_transcript(
    transcript: Transcript,
    options: RedactOptions = RedactOptions(),
) -> tuple[Transcript, tuple[Redaction, ...]]:
    """A new transcript with secrets replaced in turn and word texts, and the redactions
    with the audio time spans to silence (from word timestamps, else estimated)."""
    pieces = [_Piece(t.text, t.speaker, t.start, t.end) for t in transcript.turns]
    found = _find(pieces, options)
    turns: list[Turn] = []
    redactions: list[Redaction] = []
    for index, (turn, spans) in enumerate(zip(transcript.turns, found, strict=True)):
        if not spans:
            turns.append(turn)
            continue
        aligned = _align_words(turn)
        for span in spans:
            start, end = _time_span(turn, aligned, span.start, span.end)
            redactions.append(
                Redaction(
                    turn=index,
                    kind=span.kind,
                    start=round(start, 3),
                    end=round(end, 3),
                    chars=(span.start, span.end),
                )
            )
        update: dict[str, object] = {"text": _apply(turn.text, spans)}
        if turn.words:
            update["words"] = _redact_words(turn, aligned, spans)
        turns.append(turn.model_copy(update=update))
    return transcript.model_copy(update={"turns": tuple(turns)}), tuple(redactions)


def audio_spans(
    transcript: Transcript, redactions: Sequence[Redaction]
) -> list[tuple[float, float, int | None]]:
    """(start, end, channel) to silence for ``redactions``: the speaker's channel if the
    turn has one (stereo), else None (all channels)."""
    return [
        (r.start, r.end, transcript.turns[r.turn].channel)
        for r in redactions
        if r.start is not None and r.end is not None
    ]


def redact_audio(
    audio: Audio,
    spans: Sequence[Span],
    *,
    mode: Literal["silence", "beep"] = "beep",
    pad_s: float = 0.15,
    beep_hz: float = 1000.0,
    beep_level: float = 0.1,
) -> Audio:
    """A copy of ``audio`` with each span (padded by ``pad_s`` each side) silenced or
    replaced by a sine tone. A span's third item, a channel index, limits it to that
    channel of a stereo recording; without one (or None) every channel is covered."""
    if mode not in ("silence", "beep"):
        raise ValueError(f"mode {mode!r}: expected 'silence' or 'beep'")
    samples = np.array(audio.samples, dtype=np.float32, copy=True)
    rate, total = audio.sample_rate, samples.shape[1]
    fade = max(1, int(0.005 * rate))
    for span in spans:
        start, end = float(span[0]), float(span[1])
        channel = span[2] if len(span) > 2 else None
        lo = max(0, int(np.floor((start - pad_s) * rate)))
        hi = min(total, int(np.ceil((end + pad_s) * rate)))
        if hi <= lo:
            continue
        rows: slice | int = (
            channel
            if channel is not None and audio.channels > 1 and 0 <= channel < audio.channels
            else slice(None)
        )
        if mode == "silence":
            samples[rows, lo:hi] = 0.0
        else:
            t = np.arange(lo, hi) / rate
            tone = beep_level * np.sin(2 * np.pi * beep_hz * t)
            ramp = np.ones(hi - lo)
            n = min(fade, (hi - lo) // 2)
            if n:
                edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
                ramp[:n], ramp[hi - lo - n :] = edge, edge[::-1]
            samples[rows, lo:hi] = (tone * ramp).astype(np.float32)
    return replace(audio, samples=samples)


# --- reading numbers ---------------------------------------------------------------

_DIGITS = {
    **{c: c for c in "0123456789"},
    **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width
    **dict(zip("〇零○一幺二两兩三四五六七八九", "000112223456789", strict=True)),
    **dict(zip("壹贰貳叁參肆伍陆陸柒捌玖", "122334566789", strict=True)),
}
_CHECK = set("Xx叉Ｘｘ")
_SEPARATORS = set(" \t\n\u3000,，、-－—–_~～") | set("嗯呃额啊哦")
_MAX_SEPARATORS = 3
# A longer pause inside a number (……, ..., "嗯，呃，", a word of filler) joins its parts
# only when the whole then proves itself (checksum, numbering plan) or fits the number a
# keyword asked for: see _join.
_MAX_PAUSE = 8
_PAUSE = re.compile(
    "(?:[" + re.escape("".join(sorted(_SEPARATORS))) + r"…⋯.。．·]|那个|那個|就是|然后|然後)+"
)
# A digit run next to these is a quantity, an amount, a date, a time or an ordinal.
_UNIT_AFTER = set(
    "元块塊角毛分万萬亿億千百十拾佰仟美镑欧円%％‰個个位天月年日岁歲次笔筆张張条條倍克斤米秒点點:：/.．"
    "期周週号號楼樓层層"
)
_UNIT_BEFORE = set("第¥￥$＄十拾百佰千仟万萬亿億/.．约約共")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")
_ID_TOKEN = re.compile(r"\d+[Xx]")
_SERVICE_PREFIXES = ("400", "800", "95", "96", "10086", "10010", "10000", "12315")

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "card_number": (
        "卡号", "卡號", "银行卡", "銀行卡", "信用卡", "储蓄卡", "儲蓄卡", "借记卡", "借記卡",
        "账号", "帳號", "帐号", "賬號", "账户", "帳戶", "卡片号码", "卡的号码",
        "card number", "account number",
    ),
    "id_number": ("身份证", "身份證", "证件号", "證件號", "身份号码", "身份號碼", "id number"),
    "phone": (
        "手机", "手機", "电话", "電話", "联系方式", "聯繫方式", "座机", "座機", "联系号码",
        "phone", "mobile", "cell",
    ),
    "security_code": (
        "cvv", "cvn", "cvc", "cid", "安全码", "安全碼", "卡背面", "背面", "签名栏", "簽名欄",
        "security code",
    ),
    "otp": (
        "验证码", "驗證碼", "动态码", "動態碼", "动态密码", "動態密碼", "短信码", "短信碼",
        "短信密码", "校验码", "校驗碼", "确认码", "確認碼", "一次性密码", "otp",
        "verification code", "one-time password",
    ),
    "pin": ("密码", "密碼", "password", "pin"),
    "block": (
        "尾号", "尾號", "后四位", "後四位", "后4位", "末四位", "末4位", "工号", "工號",
        "编号", "編號", "分机", "分機", "金额", "金額", "余额", "餘額", "额度", "額度",
        "利率", "利息", "手续费", "手續費", "费用", "費用", "积分", "積分",
    ),
}  # fmt: skip


def _keyword_pattern(keyword: str) -> str:
    # Latin keywords are whole words: "pin" is not in "shopping", "cvv" is in "CVV2".
    if keyword.isascii():
        body = r"\s*".join(re.escape(part) for part in keyword.split(" "))
        return rf"(?<![A-Za-z]){body}(?![A-Za-z])"
    return re.escape(keyword)


_KEYWORD_RE = re.compile(
    "|".join(
        _keyword_pattern(k)
        for k in sorted((k for ks in _KEYWORDS.values() for k in ks), key=len, reverse=True)
    ),
    re.IGNORECASE,
)
_LABEL_OF = {k.replace(" ", ""): label for label, ks in _KEYWORDS.items() for k in ks}
# Lengths each context accepts for a number that fails (or has no) checksum.
_CONTEXT_LENGTHS = {
    "card_number": range(12, 20),
    "id_number": range(15, 19),
    "phone": range(7, 14),
    "security_code": range(3, 5),
    "otp": range(4, 9),
    "pin": range(4, 7),
}


@dataclass(frozen=True)
class _Piece:
    text: str
    speaker: str
    start: float
    end: float


@dataclass
class _Run:
    """Digits as said, possibly across turns: ``where[i]`` is (piece, char) of digit i."""

    digits: str
    where: list[tuple[int, int]]
    groups: set[int]  # digit indices preceded by a separator
    pos: int  # global position of the first digit (for keyword distances)
    quantity: bool = False
    detached: bool = False
    """Said just before a quantity (13790526148，两个工作日): split off it, so only its own
    checks, or a keyword's when said in one piece, make it a secret."""
    next: _Run | None = None
    """The speaker's next run when only a pause (_PAUSE) lies between."""


def _find(pieces: Sequence[_Piece], options: RedactOptions) -> list[list[TextSpan]]:
    offsets, doc = [], []
    at = 0
    for piece in pieces:
        offsets.append(at)
        doc.append(piece.text)
        at += len(piece.text) + 1
    document = "\n".join(doc)
    keywords = [
        (m.end(), _LABEL_OF["".join(m.group(0).lower().split())])
        for m in _KEYWORD_RE.finditer(document)
    ]
    keyword_ends = [k[0] for k in keywords]

    said = _runs(pieces, offsets, options.join_gap_s)

    def context(run: _Run) -> str | None:
        return _context(run, keywords, keyword_ends, set(), options.context_chars)[0]

    runs = sorted(_join(said, context), key=lambda r: r.pos)
    matches: list[tuple[_Run, int, int, str]] = []  # run, digit from, digit to, label
    used: set[int] = set()  # keywords that already bound a number
    for run in runs:
        if run.quantity:
            continue
        label, k = _context(run, keywords, keyword_ends, used, options.context_chars)
        if run.detached and run.groups:
            label, k = None, None
        found = _classify(run.digits, run.groups, label)
        if label is not None and any(lab == label for _s, _e, lab in found) and k is not None:
            used.add(k)
        matches.extend((run, s, e, lab) for s, e, lab in found)
    matches.extend(_repeats(said, {run.digits[s:e]: lab for run, s, e, lab in matches}))

    per_piece: list[list[TextSpan]] = [[] for _ in pieces]
    for run, s, e, label in matches:
        kind = cast(Kind, "security_code" if label == "pin" else label)
        if kind not in options.kinds or (label == "pin" and not options.pins):
            continue
        for index, lo, hi in _char_spans(run.where[s:e]):
            if lo and label == "phone" and pieces[index].text[lo - 1] in "+＋":
                lo -= 1
            replacement = (
                options.mask_char * (hi - lo)
                if options.style == "mask"
                else options.placeholders.get(label, PLACEHOLDERS[label])
            )
            per_piece[index].append(TextSpan(lo, hi, kind, replacement, label))
    return [_merge(spans) for spans in per_piece]


def _join(runs: Sequence[_Run], context: Callable[[_Run], str | None]) -> list[_Run]:
    """Runs with the parts of a number said with long pauses joined (四四零一零六……一九八五
    零一一四……二七三九): parts join when together they prove themselves (ID checksum,
    Luhn, numbering plan) and no part does alone, or when a keyword (卡号, 身份证, 手机) asked
    for a number of their combined length that none of them reaches alone."""
    out: list[_Run] = []
    taken: set[int] = set()
    for run in runs:
        if id(run) in taken:
            continue
        chain = [run]
        size = len(run.digits)
        while (nxt := chain[-1].next) is not None and size + len(nxt.digits) <= 19:
            chain.append(nxt)
            size += len(nxt.digits)
        while len(chain) > 1 and not _joins(chain, context):
            chain.pop()
        if len(chain) == 1:
            out.append(run)
            continue
        taken.update(id(part) for part in chain)
        groups: set[int] = set()
        at = 0
        for part in chain:
            groups |= {at} | {at + g for g in part.groups}
            at += len(part.digits)
        groups.discard(0)
        out.append(
            _Run(
                digits="".join(part.digits for part in chain),
                where=[w for part in chain for w in part.where],
                groups=groups,
                pos=run.pos,
            )
        )
    return out


def _joins(parts: Sequence[_Run], context: Callable[[_Run], str | None]) -> bool:
    digits = "".join(part.digits for part in parts)
    if any(part.quantity or _valid(part.digits) for part in parts):
        return False
    if "X" in digits[:-1]:
        return False
    if _valid(digits):
        return True
    label = context(parts[0])
    return (
        label in ("card_number", "id_number", "phone")
        and not any(part.detached for part in parts)
        and _fits(digits, label)
        and all(len(part.digits) < _CONTEXT_LENGTHS[label].start for part in parts)
    )


def _repeats(runs: Sequence[_Run], secrets: Mapping[str, str]) -> list[tuple[_Run, int, int, str]]:
    """A secret said again (read back, confirmed) in any numeral form, with any pauses: a
    long one (7+ digits) wherever its digits recur, even inside a longer run or beside a
    unit; a short one (a code) where a whole group or run of digits says it, outside a
    quantity."""
    secrets = {digits: label for digits, label in secrets.items() if len(digits) >= 3}
    if not secrets:
        return []
    found: list[tuple[_Run, int, int, str]] = []
    heads = {id(run) for run in runs} - {id(run.next) for run in runs if run.next}
    for head in (run for run in runs if id(run) in heads):
        chain = [head]
        while (nxt := chain[-1].next) is not None:
            chain.append(nxt)
        bounds: set[int] = set()
        quantity: list[bool] = []
        at = 0
        for part in chain:
            bounds |= {at} | {at + g for g in part.groups}
            quantity += [part.quantity] * len(part.digits)
            at += len(part.digits)
        bounds.add(at)
        whole = _Run(
            digits="".join(part.digits for part in chain),
            where=[w for part in chain for w in part.where],
            groups=bounds,
            pos=head.pos,
        )
        for secret, label in secrets.items():
            s = whole.digits.find(secret)
            while s >= 0:
                e = s + len(secret)
                if len(secret) >= 7 or (s in bounds and e in bounds and not any(quantity[s:e])):
                    found.append((whole, s, e, label))
                s = whole.digits.find(secret, s + 1)
    return found


def _digit_mask(text: str) -> list[str | None]:
    """Per character: its digit ("0"-"9", "X" for an ID check character) or None."""
    out: list[str | None] = [_DIGITS.get(c) for c in text]
    for m in _ASCII_TOKEN.finditer(text):
        token = m.group(0)
        if token.isdigit():
            continue
        if _ID_TOKEN.fullmatch(token):
            out[m.end() - 1] = "X"
        else:  # CVV2, 5G, A380: digits inside a Latin word are not a number said
            for i in range(m.start(), m.end()):
                out[i] = None
    for i, c in enumerate(text):
        if c in _CHECK and out[i] is None and not (c in "Xx" and _latin_neighbour(text, i)):
            out[i] = "X"
    return out


def _latin_neighbour(text: str, i: int) -> bool:
    return any(
        0 <= j < len(text) and text[j].isascii() and text[j].isalpha() for j in (i - 1, i + 1)
    )


def _runs(pieces: Sequence[_Piece], offsets: Sequence[int], join_gap_s: float) -> list[_Run]:
    """Digit runs per speaker; a speaker's turns join when close and nothing numeric is said
    in between by the other party."""
    masks = [_digit_mask(p.text) for p in pieces]
    has_digits = [any(d is not None and d != "X" for d in m) for m in masks]
    runs: list[_Run] = []
    for speaker in dict.fromkeys(p.speaker for p in pieces):
        # the speaker's stream: (piece, char index) or None for a turn boundary; -1 = joined
        stream: list[tuple[int, int] | None] = []
        previous: int | None = None
        for i, piece in enumerate(pieces):
            if piece.speaker != speaker:
                continue
            if previous is not None:
                between = range(previous + 1, i)
                joined = piece.start - pieces[previous].end <= join_gap_s and not any(
                    has_digits[j] for j in between
                )
                stream.append((-1, -1) if joined else None)
            stream.extend((i, c) for c in range(len(piece.text)))
            previous = i
        runs.extend(_scan(stream, pieces, masks, offsets))
    return runs


def _scan(
    stream: Sequence[tuple[int, int] | None],
    pieces: Sequence[_Piece],
    masks: Sequence[Sequence[str | None]],
    offsets: Sequence[int],
) -> list[_Run]:
    def digit(k: int) -> str | None:
        item = stream[k]
        if item is None or item[0] < 0:
            return None
        return masks[item[0]][item[1]]

    def is_separator(k: int) -> bool:
        item = stream[k]
        if item is None:
            return False
        return item[0] < 0 or pieces[item[0]].text[item[1]] in _SEPARATORS

    def char(k: int) -> str:
        item = stream[k] if 0 <= k < len(stream) else None
        if item is None or item[0] < 0:
            return ""
        return pieces[item[0]].text[item[1]]

    def pause_to(k: int) -> int | None:
        """Where the next run starts if only a pause lies between (from ``k``)."""
        gap = ""
        while k < n and len(gap) <= _MAX_PAUSE:
            d = digit(k)
            if d is not None:
                return k if d != "X" and gap and _PAUSE.fullmatch(gap) else None
            if stream[k] is None:
                return None
            gap += char(k) or " "
            k += 1
        return None

    runs: list[_Run] = []
    k, n = 0, len(stream)
    linked = -1  # stream position where a run joined by a pause to the previous one starts
    while k < n:
        d = digit(k)
        if d is None or d == "X":
            k += 1
            continue
        # an ID's check character may end a part of a number said with pauses
        after_pause = k == linked and bool(runs)
        digits: list[str] = []
        where: list[tuple[int, int]] = []
        groups: set[int] = set()
        separators = ""
        first = k
        last = k
        while k < n:
            d = digit(k)
            item = stream[k]
            if d is not None and item is not None:
                if d == "X" and len(digits) < 17 and not after_pause:
                    break
                if separators:
                    groups.add(len(digits))
                digits.append(d)
                where.append(item)
                separators = ""
                last = k
                k += 1
                if d == "X":
                    break
            elif is_separator(k) and len(separators) < _MAX_SEPARATORS:
                separators += char(k) or " "
                k += 1
            else:
                break
        k = last + 1
        before = _neighbour(stream, pieces, first, -1) in _UNIT_BEFORE
        after = _neighbour(stream, pieces, last, +1) in _UNIT_AFTER
        thousands = _thousands(stream, pieces, first, last, groups, len(digits))
        parts = _split_quantity(digits, where, groups, offsets, before, after, thousands)
        if after_pause:
            runs[-1].next = parts[0]
        for a, b in itertools.pairwise(parts):
            a.next = b
        runs.extend(parts)
        linked = next_at if (next_at := pause_to(k)) is not None else -1
    return runs


def _split_quantity(
    digits: Sequence[str],
    where: Sequence[tuple[int, int]],
    groups: set[int],
    offsets: Sequence[int],
    before: bool,
    after: bool,
    thousands: bool,
) -> list[_Run]:
    """The run, or its parts: a unit after a run makes a quantity of its last group only,
    a unit (第, ¥) before it of its first, unless the groups read as thousands (1 500元,
    13,800元): "打13790526148，两个工作日内" is a phone number and a quantity."""

    def run(lo: int, hi: int, quantity: bool, detached: bool = False) -> _Run:
        return _Run(
            digits="".join(digits[lo:hi]),
            where=list(where[lo:hi]),
            groups={g - lo for g in groups if lo < g < hi},
            pos=offsets[where[lo][0]] + where[lo][1],
            quantity=quantity,
            detached=detached,
        )

    n = len(digits)
    text = "".join(digits)
    quantity = before or after or thousands
    if not quantity or _strong(text):
        return [run(0, n, False)]
    bounds = [0, *sorted(groups), n]
    sizes = [b - a for a, b in itertools.pairwise(bounds)]
    if thousands or len(sizes) < 2 or (sizes[0] <= 3 and all(s == 3 for s in sizes[1:])):
        return [run(0, n, True)]
    lo = bounds[1] if before else 0
    hi = bounds[-2] if after else n
    if lo >= hi:
        return [run(0, n, True)]
    parts = [run(lo, hi, False, detached=True)]
    if lo:
        parts.insert(0, run(0, lo, True))
    if hi < n:
        parts.append(run(hi, n, True))
    return parts


def _neighbour(
    stream: Sequence[tuple[int, int] | None], pieces: Sequence[_Piece], k: int, step: int
) -> str:
    """The nearest two characters beside stream position ``k`` (outwards), spaces skipped.
    A point counts only as a decimal point (a digit beyond it), not as a full stop."""
    found = ""
    k += step
    while 0 <= k < len(stream) and len(found) < 2:
        item = stream[k]
        if item is None or item[0] < 0:
            break
        c = pieces[item[0]].text[item[1]]
        if c not in " \t\u3000":
            found += c
        k += step
    if found[:1] in (".", "．") and (len(found) < 2 or _DIGITS.get(found[1]) is None):
        return ""
    return found[:1]


def _thousands(
    stream: Sequence[tuple[int, int] | None],
    pieces: Sequence[_Piece],
    first: int,
    last: int,
    groups: set[int],
    count: int,
) -> bool:
    """12,345,678: digits in thousands, joined by commas only."""
    if not groups:
        return False
    bounds = [0, *sorted(groups), count]
    sizes = [b - a for a, b in itertools.pairwise(bounds)]
    if not (1 <= sizes[0] <= 3 and all(s == 3 for s in sizes[1:])):
        return False
    between = "".join(
        pieces[item[0]].text[item[1]]
        for item in stream[first : last + 1]
        if item is not None and item[0] >= 0
    )
    separators = {c for c in between if _DIGITS.get(c) is None}
    return bool(separators) and separators <= {",", "，"}


def _context(
    run: _Run,
    keywords: Sequence[tuple[int, str]],
    keyword_ends: Sequence[int],
    used: set[int],
    reach: int,
) -> tuple[str | None, int | None]:
    """The label of the nearest keyword before the run, if within reach and still free."""
    k = bisect.bisect_right(keyword_ends, run.pos) - 1
    if k < 0:
        return None, None
    end, label = keywords[k]
    if run.pos - end > reach or k in used or label == "block":
        return None, None
    return label, k


# --- what a digit string is ---------------------------------------------------------


def _strong(digits: str) -> bool:
    """A checksum-valid ID or card number: sensitive whatever the words around it."""
    return _is_id(digits) or (13 <= len(digits) <= 19 and digits.isdigit() and _luhn(digits))


def _is_id(digits: str) -> bool:
    from stdnum.cn import ric

    if len(digits) == 15 and digits.isdigit():  # 1st generation: no check digit, 19yy
        upgraded = digits[:6] + "19" + digits[6:]
        digits = upgraded + ric.calc_check_digit(upgraded + "0")
    if len(digits) != 18:
        return False
    try:
        return bool(ric.is_valid(digits))
    except KeyError:  # python-stdnum 1.x: some region entries lack a county
        return False


def _luhn(digits: str) -> bool:
    from stdnum import luhn

    return bool(luhn.is_valid(digits))


_MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")


def _is_phone(digits: str) -> bool:
    """A mainland mobile (86 prefix allowed) or a landline with its area code: 010 and 02x
    take 8 digits, 0xxx takes 7 or 8; local numbers start with 2-9."""
    if not digits.isdigit():
        return False
    if _MOBILE.fullmatch(digits):
        return True
    if len(digits) not in (11, 12) or digits[0] != "0" or digits[1] == "0":
        return False
    area = 3 if digits[1] in "12" else 4
    return len(digits) - area in (7, 8) and digits[area] not in "01"


def _valid(digits: str) -> str | None:
    """The kind a checksum or a numbering plan proves, if any."""
    if len(digits) in (15, 18) and _is_id(digits):
        return "id_number"
    if _MOBILE.fullmatch(digits):
        return "phone"
    if 13 <= len(digits) <= 19 and digits.isdigit() and _luhn(digits):
        return "card_number"
    if _is_phone(digits):
        return "phone"
    return None


def _fits(digits: str, label: str) -> bool:
    if label not in _CONTEXT_LENGTHS or len(digits) not in _CONTEXT_LENGTHS[label]:
        return False
    if label == "id_number":
        return _id_shaped(digits)
    if "X" in digits:
        return False
    if label == "phone":
        return not digits.startswith(_SERVICE_PREFIXES)
    return True


def _id_shaped(digits: str) -> bool:
    """Looks like an ID (birth year and month where they belong), checksum aside; a 16-17
    digit number said after 身份证 is an ID with a digit lost."""
    if not digits[:-1].isdigit() or (len(digits) != 18 and not digits.isdigit()):
        return False
    if len(digits) == 15:
        year, month = 1900 + int(digits[6:8]), int(digits[8:10])
    elif len(digits) == 18:
        year, month = int(digits[6:10]), int(digits[10:12])
    else:
        return True
    return 1900 <= year <= 2100 and 1 <= month <= 12


def _classify(digits: str, groups: set[int], label: str | None) -> list[tuple[int, int, str]]:
    """Sensitive stretches of ``digits`` as (from, to, label)."""
    n = len(digits)
    if n < 3:
        return []
    if label in ("card_number", "id_number", "phone") and _fits(digits, label):
        proven = _valid(digits)
        return [(0, n, proven if proven in ("card_number", "id_number") else label)]
    whole = _valid(digits)
    if whole:
        return [(0, n, whole)]
    if label is not None and _fits(digits, label):
        return [(0, n, label)]
    if n < 11:
        return []
    return _windows(digits, groups, 0, n)


def _windows(digits: str, groups: set[int], lo: int, hi: int) -> list[tuple[int, int, str]]:
    """Proven numbers inside a longer run. First cut only at the run's ends and pauses
    (groups): 卡号 then 手机 read in one breath. Failing that, a number proven after
    trimming a digit or two off either end (a stray 一 beside it), or anywhere in a run of
    20+ digits, takes the whole run with it: a long digit string holding a valid card
    number is not left half-said."""
    if hi - lo < 11:
        return []
    cuts = {g for g in groups if lo < g < hi}
    starts, ends = {lo} | cuts, {hi} | cuts
    for s, e in _by_length(starts, ends):
        kind = _valid(digits[s:e])
        if kind:
            return [
                *_windows(digits, groups, lo, s),
                (s, e, kind),
                *_windows(digits, groups, e, hi),
            ]
    if hi - lo >= 20:
        starts, ends = set(range(lo, hi)), set(range(lo + 1, hi + 1))
    else:
        starts, ends = starts | {lo + 1, lo + 2}, ends | {hi - 1, hi - 2}
    for s, e in _by_length(starts, ends):
        kind = _valid(digits[s:e])
        if kind:
            return [(lo, hi, kind)]
    return []


def _by_length(starts: set[int], ends: set[int]) -> list[tuple[int, int]]:
    """Windows of 11-19 digits, longest first, then leftmost."""
    return sorted(
        ((s, e) for s in starts for e in ends if 11 <= e - s <= 19),
        key=lambda w: (-(w[1] - w[0]), w[0]),
    )


# --- spans, words, times -------------------------------------------------------------


def _char_spans(where: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(piece, from, to) covering the digits, separators between them included."""
    spans: list[tuple[int, int, int]] = []
    for piece, char in where:
        if spans and spans[-1][0] == piece:
            spans[-1] = (piece, spans[-1][1], char + 1)
        else:
            spans.append((piece, char, char + 1))
    return spans


def _merge(spans: list[TextSpan]) -> list[TextSpan]:
    out: list[TextSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and span.start < out[-1].end:
            if span.end > out[-1].end:
                out[-1] = replace(out[-1], end=span.end)
            continue
        out.append(span)
    return out


def _apply(text: str, spans: Sequence[TextSpan]) -> str:
    parts, at = [], 0
    for span in spans:
        parts += [text[at : span.start], span.replacement]
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def _align_words(turn: Turn) -> list[tuple[int, int]] | None:
    """Each word's character span in the turn's text (None: no words)."""
    if not turn.words:
        return None
    text, spans, cursor = turn.text, [], 0
    for word in turn.words:
        core = word.text.strip()
        at = text.find(core, cursor) if core else cursor
        if at < 0 or text[cursor:at].strip():
            return _align_fuzzy(turn)
        spans.append((at, at + len(core)))
        cursor = at + len(core)
    return spans


def _align_fuzzy(turn: Turn) -> list[tuple[int, int]]:
    """Word spans when the words do not spell the text exactly (edited or re-converted)."""
    assert turn.words is not None
    joined, owner = "", []
    for i, word in enumerate(turn.words):
        joined += word.text
        owner += [i] * len(word.text)
    text_to_word: list[int | None] = [None] * len(turn.text)
    matcher = difflib.SequenceMatcher(None, turn.text, joined, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            text_to_word[a + k] = owner[b + k]
    spans: list[list[int]] = [[len(turn.text), 0] for _ in turn.words]
    last = 0
    for c, w in enumerate(text_to_word):
        w = last if w is None else w
        last = w
        spans[w][0], spans[w][1] = min(spans[w][0], c), max(spans[w][1], c + 1)
    return [(s, e) if s < e else (e, e) for s, e in spans]


def _time_span(
    turn: Turn, aligned: Sequence[tuple[int, int]] | None, lo: int, hi: int
) -> tuple[float, float]:
    """Audio time of ``turn.text[lo:hi]``: the words it touches, whole; without words, a
    share of the turn by the spoken characters before and inside it."""
    if turn.words and aligned is not None:
        touched = [w for w, (s, e) in zip(turn.words, aligned, strict=True) if s < hi and e > lo]
        if touched:
            return min(w.start for w in touched), max(w.end for w in touched)
    weights = [0 if (c.isspace() or not c.isalnum()) else 1 for c in turn.text]
    total = sum(weights) or 1
    before, inside = sum(weights[:lo]), sum(weights[lo:hi])
    length = turn.end - turn.start
    return turn.start + length * before / total, turn.start + length * (before + inside) / total


def _redact_words(
    turn: Turn, aligned: Sequence[tuple[int, int]] | None, spans: Sequence[TextSpan]
) -> tuple[Word, ...]:
    """Words touched by a span become one word per span cluster, its text redacted."""
    assert turn.words is not None and aligned is not None
    words = turn.words
    clusters: list[list[int]] = []  # [first word, last word, text from, text to]
    for span in spans:
        hit = [i for i, (s, e) in enumerate(aligned) if s < span.end and e > span.start]
        if not hit:
            continue
        lo, hi = min(hit), max(hit)
        if clusters and lo <= clusters[-1][1]:
            clusters[-1][1] = max(clusters[-1][1], hi)
        else:
            clusters.append([lo, hi])
    out: list[Word] = []
    i = 0
    for lo, hi in clusters:
        out.extend(words[i:lo])
        a = min(aligned[k][0] for k in range(lo, hi + 1))
        b = max(aligned[k][1] for k in range(lo, hi + 1))
        inside = [
            replace(s, start=max(s.start, a) - a, end=min(s.end, b) - a)
            for s in spans
            if s.start < b and s.end > a
        ]
        lead = words[lo].text[: len(words[lo].text) - len(words[lo].text.lstrip())]
        out.append(
            Word(
                start=min(w.start for w in words[lo : hi + 1]),
                end=max(w.end for w in words[lo : hi + 1]),
                text=lead + _apply(turn.text[a:b], inside),
                p=min(w.p for w in words[lo : hi + 1]),
            )
        )
        i = hi + 1
    out.extend(words[i:])
    return tuple(out)


__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "Kind",
    "RedactOptions",
    "TextSpan",
    "audio_spans",
    "redact_audio",
    "redact_text",
    "redact_transcript",
]
