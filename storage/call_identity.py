"""Which id a call is stored under, and the personal data kept out of ids and references.

A call's id belongs to one recording: its location (``s3://bucket/key`` or a path) and,
through the ledger, each version of it. A new version of the same object is the same call
re-recorded and replaces it; a *different* recording whose name maps to an id already
taken (two recorders' ``0001.wav`` in different folders or buckets) gets a distinct id,
``<id>-<keyed hash of its location>``, and never overwrites the other call. An id the
recorder stated (object metadata or a ``.meta.json``) is not guessed at: a recording that
names an id another recording holds is quarantined as ``duplicate_call_id``.

Recorder file names often carry the customer's phone number or ID (``13812345678_20261201``):
ids are stored with such numbers masked by ``pipeline.redact`` (``***********_20261201``),
and ``customer_ref`` is stored as a keyed hash (HMAC-SHA256): the same customer gives the
same value, so their calls can still be found and linked (a data subject's request, repeat
calls), while the store, its backups and exports hold no reference a reader can turn back
into an account or phone number. Masking would lose that link; an unkeyed hash of a phone
number is reversed by trying all of them.

The key is ``$CALLQA_PSEUDONYM_KEY`` where set (set the same on every worker machine), else
``<data_dir>/pseudonym.key``, made once (32 random bytes, mode 0600) and kept apart from
store backups.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.objects import StorageError
from storage.schema import Call, ProcessedRecording

MAX_CALL_ID = 128  # calls.id is String(128)
KEY_ENV = "CALLQA_PSEUDONYM_KEY"
KEY_FILE = "pseudonym.key"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SUFFIX_LENGTHS = (8, 16, 32)


class CallIdTaken(StorageError):
    """The recording's metadata names a call id that another recording holds."""

    reason = "duplicate_call_id"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.problem = message


def mask_personal_numbers(text: str) -> str:
    """``text`` with phone, ID and card numbers masked as '*', digit for digit."""
    from pipeline.redact import RedactOptions, redact_text

    masked, _ = redact_text(text, RedactOptions(style="mask", mask_char="*"))
    return masked


def pseudonymise(value: str | None, key: bytes) -> str | None:
    """A customer reference as stored: ``hmac:`` and 32 hex digits of its keyed hash."""
    if value is None:
        return None
    digest = hmac.new(key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"hmac:{digest[:32]}"


def pseudonym_key(data_dir: Path) -> bytes:
    """The key of ``pseudonymise`` and of id suffixes (see the module's docstring)."""
    given = os.environ.get(KEY_ENV)
    if given:
        return given.encode("utf-8")
    path = Path(data_dir).expanduser() / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # fails if another worker made it first: theirs is used
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_bytes()
    except OSError as exc:
        raise StorageError(
            f"{path}: cannot create the pseudonymisation key ({exc}); set {KEY_ENV} instead"
        ) from exc


def resolve_call_id(
    session: Session,
    wanted: str,
    *,
    explicit: bool,
    source: str,
    version: str,
    key: bytes,
) -> str:
    """The id to store the recording ``source`` (at ``version``) under.

    The id it already has (a rerun, a re-analysis, a new version of the same object), else
    ``wanted`` with personal numbers masked, else that plus a keyed hash of ``source``.
    Raises ``CallIdTaken`` when ``explicit`` (the recorder named the id) and another
    recording holds it. Call it in the transaction that stores the call.
    """
    own = session.scalar(
        select(ProcessedRecording.call_id).where(
            ProcessedRecording.source == source,
            ProcessedRecording.version == version,
            ProcessedRecording.call_id.is_not(None),
        )
    )
    if own:
        return own
    masked = _CONTROL.sub("_", mask_personal_numbers(wanted))
    earlier = session.scalar(
        select(ProcessedRecording.call_id)
        .where(ProcessedRecording.source == source, ProcessedRecording.call_id.is_not(None))
        .order_by(ProcessedRecording.finished_at.desc())
        .limit(1)
    )
    # a new version of the object, under the same name: the call re-recorded, replaced
    if earlier and (earlier == masked or earlier.startswith(masked[: MAX_CALL_ID - 9] + "-")):
        return earlier
    if len(masked) <= MAX_CALL_ID and _free(session, masked, source):
        return masked
    holder = _holder(session, masked)
    if explicit and masked == wanted and holder is not None:
        raise CallIdTaken(
            f"{source}: its metadata names call id {wanted!r}, which belongs to another "
            f"recording ({holder}); a call is never overwritten by another recording's, and "
            "an id the recorder gave is not guessed at: correct the metadata and run again"
        )
    for length in _SUFFIX_LENGTHS:
        tag = hmac.new(key, source.encode("utf-8"), hashlib.sha256).hexdigest()[:length]
        candidate = f"{masked[: MAX_CALL_ID - length - 1]}-{tag}"
        if _free(session, candidate, source):
            return candidate
    raise CallIdTaken(f"{source}: no free call id derived from {masked!r}")


def _holder(session: Session, call_id: str) -> str | None:
    """The recording that holds ``call_id``: a stored call, or the ledger's record of one."""
    stored = session.get(Call, call_id)
    if stored is not None:
        return stored.source
    return session.scalar(
        select(ProcessedRecording.source).where(ProcessedRecording.call_id == call_id).limit(1)
    )


def _free(session: Session, call_id: str, source: str) -> bool:
    stored = session.get(Call, call_id)
    if stored is not None:
        return stored.source == source
    other = session.scalar(
        select(ProcessedRecording.source)
        .where(ProcessedRecording.call_id == call_id, ProcessedRecording.source != source)
        .limit(1)
    )
    return other is None


__all__ = [
    "CallIdTaken",
    "mask_personal_numbers",
    "pseudonym_key",
    "pseudonymise",
    "resolve_call_id",
]
