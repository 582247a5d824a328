"""The words that name a secret (卡号, 身份证, 手机, 验证码, 密码...) and the labels that make
a number harmless (尾号, 工号, 金额...); a keyword binds the first number after it."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

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


def find_keywords(text: str) -> list[tuple[int, str]]:
    """(end, label) of each keyword in ``text``, in order."""
    return [
        (m.end(), _LABEL_OF["".join(m.group(0).lower().split())])
        for m in _KEYWORD_RE.finditer(text)
    ]


def keyword_before(
    pos: int,
    keywords: Sequence[tuple[int, str]],
    keyword_ends: Sequence[int],
    used: set[int],
    reach: int,
) -> tuple[str | None, int | None]:
    """The label (and index) of the nearest keyword before text position ``pos`` (a
    number's first digit), if within ``reach`` characters and not in ``used``."""
    k = bisect.bisect_right(keyword_ends, pos) - 1
    if k < 0:
        return None, None
    end, label = keywords[k]
    if pos - end > reach or k in used or label == "block":
        return None, None
    return label, k
