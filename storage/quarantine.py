"""Set a recording that cannot be processed aside, with the reason, for a person to look at.

The recording is copied, never moved: the original stays where the recording system put it
(see ``storage.objects.ObjectStore`` on why nothing is deleted). Quarantining the same
recording again overwrites the copy and its reason, so a retried task does no harm.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from storage.objects import ObjectStore, StorageError, StoredObject

REASON_SUFFIX = ".reason.json"
_OWN_FIELDS = frozenset({"source", "key", "version", "problem", "reason", "at"})


def quarantine(
    store: ObjectStore,
    obj: StoredObject,
    reason: dict[str, Any] | BaseException | str,
    *,
    prefix: str,
    source_prefix: str = "",
    copy_original: bool = True,
) -> str:
    """Copy ``obj`` to ``<prefix><key less source_prefix>`` and write ``.reason.json``
    beside the copy; returns the key of the copy.

    ``reason`` is an ``AudioError`` (its ``problem`` and ``reason`` are recorded), any other
    exception, a dict with ``problem`` and ``reason``, or a plain description.
    """
    if not prefix.strip("/"):
        raise StorageError(
            f"{store.describe(obj.key)}: quarantine prefix {prefix!r} is empty; it would "
            "copy the recording onto itself"
        )
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    relative = obj.key[len(source_prefix) :] if obj.key.startswith(source_prefix) else obj.key
    copy_key = prefix + relative
    if copy_original:  # False for what must not be read (a link): only the reason is kept
        store.copy(obj.key, copy_key)
    record = {
        "source": store.describe(obj.key),
        "key": obj.key,
        "version": obj.version,
        **_problem_and_reason(reason),
    }
    record["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    store.put(
        _reason_key(copy_key),
        json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
        content_type="application/json",
    )
    return copy_key


def _reason_key(copy_key: str) -> str:
    """``<copy>.reason.json``; a hashed name where that would pass a file system's 255-byte
    limit on one name (the record names the recording's key inside)."""
    folder, _, name = copy_key.rpartition("/")
    if len((name + REASON_SUFFIX).encode("utf-8")) <= 255:
        return copy_key + REASON_SUFFIX
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]
    return f"{folder}/{digest}{REASON_SUFFIX}" if folder else digest + REASON_SUFFIX


def _problem_and_reason(reason: dict[str, Any] | BaseException | str) -> dict[str, Any]:
    if isinstance(reason, dict):
        # Extra details (a stage name, a duration) are kept, but never over our own fields.
        extras = {k: v for k, v in reason.items() if k not in _OWN_FIELDS}
        return {
            "problem": str(reason.get("problem", "")),
            "reason": str(reason.get("reason", "unspecified")),
            **extras,
        }
    if isinstance(reason, BaseException):
        # AudioError carries .problem (for people) and .reason (a stable code); other
        # exceptions are described by their message and class.
        return {
            "problem": str(getattr(reason, "problem", None) or reason),
            "reason": str(getattr(reason, "reason", None) or type(reason).__name__),
        }
    return {"problem": str(reason), "reason": "unspecified"}


__all__ = ["REASON_SUFFIX", "quarantine"]
