"""Who took a call and when: read from three places, later ones winning.

1. the recording's file name, through ``settings.filename_pattern`` (a regex with named
   groups such as ``(?P<agent_id>A\\d+)_(?P<started_at>\\d{8}T\\d{6})``);
2. the object's user metadata (S3 ``x-amz-meta-agent-id`` and the like; '-' reads as '_');
3. a sidecar JSON object ``<stem>.meta.json`` beside the recording, the format
   ``pipeline.transcriber.read_metadata`` reads.

Unknown names are ignored in all three: buckets carry metadata for other systems too.
Times are stored as naive UTC; a time without a zone is taken to be UTC already.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import ConfigError
from storage.objects import ObjectNotFound, ObjectStore, StorageError, StoredObject

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"
# Compact stamps that file names carry; anything else goes to datetime.fromisoformat.
_COMPACT_TIME = re.compile(
    r"^(?P<date>\d{8})(?:[T_-]?(?P<time>\d{6}))?(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


_MAX_CALL_ID = 128  # calls.id is String(128)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class CallMetadataError(StorageError):
    """A recording's metadata has a value that cannot be used; names the key and field.
    The recording is quarantined with ``reason`` ``bad_metadata``."""

    reason = "bad_metadata"


class CallMetadata(BaseModel):
    """What callqa knows about a call besides its audio."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    # lengths as the store's columns hold them: a longer value is bad metadata, not a
    # database error that fails the call
    call_id: str
    agent_id: str | None = Field(None, max_length=64)
    team_id: str | None = Field(None, max_length=64)
    agent_name: str | None = Field(None, max_length=200)
    started_at: datetime | None = None
    customer_ref: str | None = Field(None, max_length=512)
    channel_layout: Literal["stereo", "mono"] | None = None
    agent_channel: Literal["left", "right"] | None = None
    ring_time_s: float | None = None

    @field_validator("started_at", mode="before")
    @classmethod
    def _started_at(cls, value: Any) -> Any:
        return parse_time(value) if isinstance(value, str) else value

    @field_validator("started_at")
    @classmethod
    def _naive_utc(cls, value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    @field_validator("channel_layout", "agent_channel", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


FIELDS = frozenset(CallMetadata.model_fields)


def parse_time(text: str) -> datetime:
    """``20260314T093000``, ``20260314_093000``, ``20260314093000Z``, ``20260314`` or ISO 8601."""
    text = text.strip()
    match = _COMPACT_TIME.match(text)
    if match:
        stamp = match["date"] + (match["time"] or "000000")
        parsed = datetime.strptime(stamp, "%Y%m%d%H%M%S")
        zone = match["zone"]
        if zone:
            parsed = datetime.fromisoformat(parsed.isoformat() + zone.replace("Z", "+00:00"))
        return parsed
    return datetime.fromisoformat(text)


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
    where = store.describe(obj.key)
    sidecar_key = sidecar_key_for(obj.key)
    sources = (
        ("file name", from_file_name(obj.key, pattern)),
        ("object metadata", _known({k.replace("-", "_"): v for k, v in obj.metadata.items()})),
        (f"sidecar {store.describe(sidecar_key)}", _read_sidecar(store, sidecar_key)),
    )
    values: dict[str, Any] = {"call_id": PurePosixPath(obj.key).stem}
    origin: dict[str, str] = {"call_id": "file name"}
    for label, found in sources:
        for name, value in found.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            values[name], origin[name] = value, label
    if origin["call_id"] != "file name":
        _check_stated_call_id(where, str(values["call_id"]), origin["call_id"])
    try:
        return CallMetadata.model_validate(values), origin
    except ValidationError as exc:
        problems = "; ".join(
            f"{_field(e)}={values.get(_field(e))!r} from {origin.get(_field(e), '?')}: {e['msg']}"
            for e in exc.errors()
        )
        raise CallMetadataError(f"{where}: bad call metadata: {problems}") from None


def _check_stated_call_id(where: str, call_id: str, origin: str) -> None:
    if len(call_id) > _MAX_CALL_ID or "/" in call_id or _CONTROL.search(call_id):
        raise CallMetadataError(
            f"{where}: bad call metadata: call_id={call_id!r} from {origin}: a call id has at "
            f"most {_MAX_CALL_ID} characters, no '/' and no control characters"
        )


def sidecar_key_for(key: str) -> str:
    """``2026/03/call-001.wav`` → ``2026/03/call-001.meta.json``."""
    path = PurePosixPath(key)
    return str(path.with_name(path.stem + SIDECAR_SUFFIX))


def from_file_name(key: str, pattern: str | None) -> dict[str, str]:
    """The named groups of ``pattern`` found in the key's file name (empty if no match)."""
    if not pattern:
        return {}
    name = PurePosixPath(key).name
    match = _compile(pattern).search(name)
    if match is None:
        logger.warning("%s: file name does not match filename_pattern %r", key, pattern)
        return {}
    return _known(match.groupdict())


@lru_cache(maxsize=16)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"filename_pattern {pattern!r} is not a valid regular expression ({exc})"
        ) from exc


def _read_sidecar(store: ObjectStore, key: str) -> dict[str, Any]:
    try:
        raw = store.get(key)
    except ObjectNotFound:
        return {}
    where = store.describe(key)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CallMetadataError(f"{where}: call metadata is not UTF-8 JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise CallMetadataError(
            f"{where}: call metadata must be a JSON object, got {type(data).__name__}"
        )
    return _known(data)


def _known(values: dict[str, Any]) -> dict[str, Any]:
    return {name.lower(): value for name, value in values.items() if name.lower() in FIELDS}


def _field(error: Any) -> str:
    return str(error["loc"][0]) if error.get("loc") else "?"


__all__ = [
    "CallMetadata",
    "CallMetadataError",
    "parse_time",
    "read_call_metadata",
    "read_call_metadata_with_origin",
    "sidecar_key_for",
]
