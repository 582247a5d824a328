"""Who took a call and when, for a recording in an object store: read from three places,
later ones winning.

1. the recording's file name, through ``settings.filename_pattern`` (a regex with named
   groups such as ``(?P<agent_id>A\\d+)_(?P<started_at>\\d{8}T\\d{6})``);
2. the object's user metadata (S3 ``x-amz-meta-agent-id`` and the like; '-' reads as '_');
3. a sidecar JSON object ``<stem>.meta.json`` beside the recording, parsed as
   ``core.call_metadata.metadata_beside`` parses one beside a local file.

The type and the merging live in ``core.call_metadata`` (re-exported here); this module
adds what only a store has: object metadata and the sidecar as another object.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from core.call_metadata import (
    FIELDS,
    SIDECAR_SUFFIX,
    CallMetadata,
    CallMetadataError,
    known_fields,
    merge_metadata,
    parse_sidecar,
    parse_time,
)
from core.call_metadata import sidecar_path as sidecar_key_for
from core.errors import ConfigError
from storage.objects import ObjectNotFound, ObjectStore, StoredObject

logger = logging.getLogger(__name__)


def read_call_metadata(
    store: ObjectStore, obj: StoredObject, pattern: str | None = None
) -> CallMetadata:
    """Metadata of the recording ``obj``: file name < object metadata < sidecar JSON.

    ``obj.metadata`` is used as given; pass an object from ``store.stat`` (listings leave
    metadata empty).
    """
    return read_call_metadata_with_origin(store, obj, pattern)[0]


def read_call_metadata_with_origin(
    store: ObjectStore, obj: StoredObject, pattern: str | None = None
) -> tuple[CallMetadata, dict[str, str]]:
    """``read_call_metadata`` and where each value came from: ``file name``, ``object
    metadata`` or ``sidecar <location>``. A call id the recorder stated (not the file
    name) must fit the store: at most 128 characters, no '/' and no control characters."""
    sidecar_key = sidecar_key_for(obj.key)
    sources = (
        ("file name", from_file_name(obj.key, pattern)),
        (
            "object metadata",
            known_fields({k.replace("-", "_"): v for k, v in obj.metadata.items()}),
        ),
        (f"sidecar {store.describe(sidecar_key)}", _read_sidecar(store, sidecar_key)),
    )
    return merge_metadata(store.describe(obj.key), PurePosixPath(obj.key).stem, sources)


def from_file_name(key: str, pattern: str | None) -> dict[str, str]:
    """The named groups of ``pattern`` found in the key's file name (empty if no match)."""
    if not pattern:
        return {}
    name = PurePosixPath(key).name
    match = _compile(pattern).search(name)
    if match is None:
        logger.warning("%s: file name does not match filename_pattern %r", key, pattern)
        return {}
    return known_fields(match.groupdict())


@lru_cache(maxsize=16)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"filename_pattern {pattern!r} is not a valid regular expression ({exc})"
        ) from exc


def _from_object(obj: StoredObject) -> dict[str, Any]:
    """The object's user metadata ('-' in S3 names reads as '_')."""
    return known_fields({k.replace("-", "_"): v for k, v in obj.metadata.items()})


def _read_sidecar(store: ObjectStore, key: str) -> dict[str, Any]:
    try:
        raw = store.get(key)
    except ObjectNotFound:
        return {}
    return parse_sidecar(raw, store.describe(key))


__all__ = [
    "FIELDS",
    "SIDECAR_SUFFIX",
    "CallMetadata",
    "CallMetadataError",
    "parse_time",
    "read_call_metadata",
    "read_call_metadata_with_origin",
    "sidecar_key_for",
]
