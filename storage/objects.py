"""The object-store seam: where recordings are read from and results are written to.

Two real implementations sit behind the ``ObjectStore`` protocol: ``storage.local.LocalStore``
(a folder, the embedded default) and ``storage.s3.S3Store`` (any S3 server, via ``minio``).
Errors::

    CallqaError
    └── StorageError                access is denied, a name is invalid, ...
        ├── ObjectNotFound          no object at that key (or no such bucket)
        ├── ObjectRefused           there is one, but the store will not read it (a link)
        ├── StorageUnavailable      the store cannot be reached right now: retry later
        └── CallMetadataError       (storage.call_metadata) a recording's metadata is bad

Callers that retry (Prefect tasks) retry on ``StorageUnavailable`` only: retrying a missing
key or a denied request cannot help.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from core.errors import CallqaError


class StorageError(CallqaError):
    """A storage operation failed for a reason that retrying will not fix. The message
    names the location (``s3://bucket/key`` or a path) and the problem."""


class StorageUnavailable(StorageError):
    """The store did not answer (connection refused, timeout, 5xx). Worth retrying."""


class ObjectNotFound(StorageError):
    """No object at that key (or no such bucket)."""


class ObjectRefused(StorageError):
    """Something is at that key, but the store will not read it: a symbolic link (it could
    lead outside the store's root: a folder store never reads outside it) or a special file
    (a pipe or a device, whose reading can block or never end). ``reason`` is a stable code
    (``symlink``, ``special_file``) for quarantine records; the object is never copied."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.problem = message


@dataclass(frozen=True)
class StoredObject:
    """One object as the store sees it. ``version`` changes whenever the content does: the
    S3 version id where the bucket is versioned, else its ETag; a content hash locally."""

    key: str
    version: str
    size: int
    metadata: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None


@runtime_checkable
class ObjectStore(Protocol):
    """A flat namespace of '/'-separated keys holding bytes plus small text metadata.

    There is deliberately no delete: recordings are evidence in a regulated process (call
    recordings in banking must be retained), so callqa only ever copies them; retention and
    deletion belong to the bank's storage policies, not to an analytics pipeline.
    """

    location: str

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object whose key starts with ``prefix``, recursively, sorted by key."""
        ...

    def stat(self, key: str) -> StoredObject:
        """The object at ``key``; ``StorageError`` naming the location if there is none."""
        ...

    def get(self, key: str) -> bytes: ...

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject: ...

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> StoredObject:
        """Copy within the store; ``metadata`` replaces the source's user metadata if given."""
        ...

    def exists(self, key: str) -> bool: ...

    def describe(self, key: str) -> str:
        """Where ``key`` lives, for people: ``s3://bucket/key`` or a file path."""
        ...


# S3 carries user metadata in HTTP headers: names are case-insensitive tokens and values one
# line (S3Store encodes non-ASCII values per RFC 2047, as AWS does). Both stores enforce the
# same rules so that code tested against a folder does not break on S3.
_METADATA_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def normalise_metadata(metadata: Mapping[str, str] | None, where: str) -> dict[str, str]:
    """User metadata with lower-case names, checked the way S3 will check it."""
    result: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        lowered = str(name).lower()
        if not _METADATA_NAME.match(lowered):
            raise StorageError(
                f"{where}: metadata name {name!r} is not allowed; use letters, digits, "
                "'-', '_' or '.'"
            )
        text = str(value)
        if any(ch in text for ch in "\r\n\0"):
            raise StorageError(
                f"{where}: metadata {lowered}={text!r} must be one line of text (S3 sends it "
                "in an HTTP header); put longer text in a sidecar JSON object instead"
            )
        result[lowered] = text
    return result


def check_key(key: str, where: str) -> str:
    """A key is a relative '/'-separated path without empty, '.' or '..' parts."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise StorageError(
            f"{where}: invalid object key {key!r}; expected a relative path such as "
            "'2026/03/call-001.wav' without '.', '..' or empty parts"
        )
    return key


__all__ = [
    "ObjectNotFound",
    "ObjectRefused",
    "ObjectStore",
    "StorageError",
    "StorageUnavailable",
    "StoredObject",
    "check_key",
    "normalise_metadata",
]
