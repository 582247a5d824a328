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

The package, stage by stage:

- ``options``: the kinds, their placeholders, ``RedactOptions``, ``TextSpan``;
- ``spoken_digits``: digits as said (numerals, pauses, fillers, turns) read into runs,
  quantities split off;
- ``keywords``: the naming words (卡号, 验证码...) and the labels that block them;
- ``numbers``: what a digit string is (checksums via python-stdnum, numbering plans,
  lengths a keyword accepts);
- ``text``: secrets found across texts and replaced (``redact_text``);
- ``transcript``: the same on a transcript's turns and words, with audio times;
- ``audio``: those times silenced or beeped in the recording;
- ``unfinished``: the same on a call still in progress (callqa live), where the rest of a
  number may not have arrived: long digit runs masked too.
"""

from pipeline.redact.audio import (
    Cover,
    Span,
    audio_spans,
    redact_audio,
    redacted_blocks,
    write_redacted_audio,
)
from pipeline.redact.options import KINDS, PLACEHOLDERS, Kind, RedactOptions, TextSpan
from pipeline.redact.text import redact_text
from pipeline.redact.transcript import redact_transcript
from pipeline.redact.unfinished import mask_digit_runs, redact_unfinished

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "Cover",
    "Kind",
    "RedactOptions",
    "Span",
    "TextSpan",
    "audio_spans",
    "mask_digit_runs",
    "redact_audio",
    "redact_text",
    "redact_transcript",
    "redact_unfinished",
    "redacted_blocks",
    "write_redacted_audio",
]
