"""What redaction removes and how the redacted text reads: the kinds of secret, their
placeholders, the options, and one replaced stretch of text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

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
