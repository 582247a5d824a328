"""What a digit string is: an ID or card number proven by its checksum (python-stdnum),
a phone number by the numbering plan, or a number of the length a naming keyword asked
for; and the proven numbers inside a longer run."""

from __future__ import annotations

import re

_SERVICE_PREFIXES = ("400", "800", "95", "96", "10086", "10010", "10000", "12315")

# Lengths each context accepts for a number that fails (or has no) checksum.
CONTEXT_LENGTHS = {
    "card_number": range(12, 20),
    "id_number": range(15, 19),
    "phone": range(7, 14),
    "security_code": range(3, 5),
    "otp": range(4, 9),
    "pin": range(4, 7),
}


def always_secret(digits: str) -> bool:
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


def proven_kind(digits: str) -> str | None:
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


def fits_context(digits: str, label: str) -> bool:
    if label not in CONTEXT_LENGTHS or len(digits) not in CONTEXT_LENGTHS[label]:
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


def classify(digits: str, groups: set[int], label: str | None) -> list[tuple[int, int, str]]:
    """Sensitive stretches of ``digits`` as (from, to, label)."""
    n = len(digits)
    if n < 3:
        return []
    if label in ("card_number", "id_number", "phone") and fits_context(digits, label):
        proven = proven_kind(digits)
        return [(0, n, proven if proven in ("card_number", "id_number") else label)]
    whole = proven_kind(digits)
    if whole:
        return [(0, n, whole)]
    if label is not None and fits_context(digits, label):
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
        kind = proven_kind(digits[s:e])
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
        kind = proven_kind(digits[s:e])
        if kind:
            return [(lo, hi, kind)]
    return []


def _by_length(starts: set[int], ends: set[int]) -> list[tuple[int, int]]:
    """Windows of 11-19 digits, longest first, then leftmost."""
    return sorted(
        ((s, e) for s in starts for e in ends if 11 <= e - s <= 19),
        key=lambda w: (-(w[1] - w[0]), w[0]),
    )
