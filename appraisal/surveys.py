"""Importing customer satisfaction surveys (§5.3) from a CSV file, each row linked to its call.

Columns (a header row is required; names are case-insensitive):

- ``call_id``, or ``agent_id`` + ``answered_at``: which call the answer is about. Without a
  call id the row goes to the agent's call that started closest before ``answered_at``,
  within ``window`` (24 h by default).
- ``satisfied`` (yes/no, y/n, 1/0, true/false) and/or ``rating`` (1-5). With a rating
  alone, satisfied means a rating of 4 or 5.
- optional ``category``, ``comment``; other columns are ignored and reported. Both are
  free text a customer wrote: phone, ID and card numbers in them are redacted
  (``pipeline.redact``) before they are stored, and a comment longer than
  ``MAX_COMMENT_CHARS`` is a bad row.

Re-importing a file adds nothing: each row's ``Survey.source`` is the file name, the row
number and a hash of the row's content, unique in the store. A bad row is reported with its
row number (row 1 is the header, as a spreadsheet numbers them) and the rest are imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.errors import CallqaError
from storage.database import Session
from storage.reads.appraisal import find_call, latest_call_between
from storage.schema import Call
from storage.surveys import SurveyAnswer, add_surveys, stored_sources

SATISFIED_FROM_RATING = 4  # a 1-5 rating of 4 or 5 counts as satisfied
MAX_COMMENT_CHARS = 4000  # a survey comment is a few sentences; more is not an answer
KNOWN = ("call_id", "agent_id", "answered_at", "satisfied", "rating", "category", "comment")
_TRUE = {"yes", "y", "1", "true", "t", "是", "满意"}
_FALSE = {"no", "n", "0", "false", "f", "否", "不满意"}


class SurveyImportError(CallqaError):
    """The survey file as a whole cannot be read: missing, not UTF-8, no usable header."""


@dataclass(frozen=True)
class BadRow:
    row: int
    problem: str


@dataclass
class SurveyImportReport:
    file: str
    rows: int = 0
    imported: int = 0
    already_present: int = 0
    bad: list[BadRow] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"{self.file}: {self.rows} rows, {self.imported} imported, "
            f"{self.already_present} already present, {len(self.bad)} bad"
        )


class _RowError(SurveyImportError):
    pass


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header (lower-cased) and rows of a UTF-8 CSV file, with or without a BOM."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SurveyImportError(f"{path}: cannot read the survey file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise SurveyImportError(
            f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8 CSV and import again"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise SurveyImportError(f"{path}: empty file; expected a header row") from None
    except csv.Error as exc:
        raise SurveyImportError(f"{path}: not a CSV file ({exc})") from exc
    has_link = "call_id" in header or {"agent_id", "answered_at"} <= set(header)
    has_answer = "satisfied" in header or "rating" in header
    if not (has_link and has_answer):
        raise SurveyImportError(
            f"{path}: header {','.join(header)!r} lacks "
            + ("call_id (or agent_id and answered_at)" if not has_link else "satisfied or rating")
            + f"; expected columns among {', '.join(KNOWN)}"
        )
    rows = []
    try:
        for values in reader:
            padded = values + [""] * (len(header) - len(values))
            rows.append({h: padded[i].strip() for i, h in enumerate(header)})
    except csv.Error as exc:
        raise SurveyImportError(f"{path}: broken CSV after row {len(rows) + 1} ({exc})") from exc
    return header, rows


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _RowError(
            f"answered_at {text!r} is not a date and time (write 2026-03-04 14:05)"
        ) from None
    if moment.tzinfo is not None:  # the store keeps naive UTC
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _parse_answer(row: dict[str, str]) -> tuple[bool, int | None]:
    if len(row.get("category", "")) > 64:
        raise _RowError(f"category {row['category'][:20]!r}... is longer than 64 characters")
    if len(row.get("comment", "")) > MAX_COMMENT_CHARS:
        raise _RowError(
            f"comment of {len(row['comment'])} characters is longer than {MAX_COMMENT_CHARS}"
        )
    rating: int | None = None
    if row.get("rating"):
        try:
            rating = int(row["rating"])
        except ValueError:
            raise _RowError(f"rating {row['rating']!r} is not a whole number 1-5") from None
        if not 1 <= rating <= 5:
            raise _RowError(f"rating {rating} is outside 1-5")
    text = row.get("satisfied", "").lower()
    if text in _TRUE:
        return True, rating
    if text in _FALSE:
        return False, rating
    if text:
        raise _RowError(f"satisfied {row['satisfied']!r} is not yes/no, 1/0 or true/false")
    if rating is None:
        raise _RowError("neither satisfied nor rating is given")
    return rating >= SATISFIED_FROM_RATING, rating


def _redacted(text: str | None) -> str | None:
    """Free text as it may be stored: customers write their phone or ID number into a
    comment as readily as they say it on a call (policy §6.2)."""
    from pipeline.redact import redact_text

    return redact_text(text)[0] if text else None


def _link(session: Session, row: dict[str, str], window: timedelta) -> tuple[Call, datetime | None]:
    answered = _parse_time(row["answered_at"]) if row.get("answered_at") else None
    if row.get("call_id"):
        call = find_call(session, row["call_id"])
        if call is None:
            raise _RowError(f"call {row['call_id']!r} is not in the store")
        if row.get("agent_id") and call.agent_id != row["agent_id"]:
            raise _RowError(
                f"call {call.id!r} was taken by {call.agent_id!r}, not {row['agent_id']!r}"
            )
        return call, answered
    agent = row.get("agent_id")
    if not agent or answered is None:
        raise _RowError("no call_id, and agent_id or answered_at is empty")
    call = latest_call_between(session, agent, answered - window, answered)
    if call is None:
        hours = window.total_seconds() / 3600
        raise _RowError(f"agent {agent!r} has no call in the {hours:g} h before {answered}")
    return call, answered


def import_surveys(
    session: Session, path: str | Path, *, window: timedelta = timedelta(hours=24)
) -> SurveyImportReport:
    """Imports the surveys in ``path``; returns what was imported, skipped and rejected."""
    path = Path(path)
    header, rows = read_rows(path)
    report = SurveyImportReport(
        file=str(path), rows=len(rows), ignored_columns=tuple(h for h in header if h not in KNOWN)
    )
    name = path.name[:160]
    sources = {}
    for number, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue  # a blank line is no survey
        digest = hashlib.sha256(
            "\x1f".join(f"{k}={row[k]}" for k in sorted(row)).encode()
        ).hexdigest()[:16]
        sources[number] = f"{name}#{number}:{digest}"
    present = stored_sources(session, list(sources.values()))
    answers: list[SurveyAnswer] = []
    for number, row in enumerate(rows, start=2):
        source = sources.get(number)
        if source is None:
            continue
        if source in present:
            report.already_present += 1
            continue
        try:
            satisfied, rating = _parse_answer(row)
            call, answered = _link(session, row, window)
        except _RowError as exc:
            report.bad.append(BadRow(number, str(exc)))
            continue
        # The survey counts for the month and the agent of the call it is about, so an
        # answer given on the 1st about a call on the 31st counts for the call's month.
        answers.append(
            SurveyAnswer(
                call_id=call.id,
                agent_id=call.agent_id,
                answered_at=answered,
                month=call.month,
                satisfied=satisfied,
                rating=rating,
                category=(_redacted(row.get("category")) or "")[:64] or None,
                comment=_redacted(row.get("comment")),
                source=source,
            )
        )
        present.add(source)
        report.imported += 1
    add_surveys(session, answers)
    return report
