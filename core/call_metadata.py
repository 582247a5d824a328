"""Who took a call and when (``CallMetadata``), and the one parser of its sources.

The type lives here, below every stage, because the pipeline analyses with it
(``pipeline.one_call``) and storage reads it from object stores (``storage.call_metadata``:
file name < object metadata < sidecar). A sidecar ``<stem>.meta.json`` beside a local
recording is read by ``metadata_beside``; both paths merge their sources with
``merge_metadata``, so the same file gives the same metadata and the same errors.

Unknown names are ignored: recorders carry metadata for other systems too. Times are
stored as naive UTC; a time without a zone is taken to be UTC already.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import CallqaError

_AnyPath = TypeVar("_AnyPath", bound=PurePath)

SIDECAR_SUFFIX = ".meta.json"
FILE_NAME = "file name"  # the origin of a call id nobody stated
_MAX_CALL_ID = 128  # calls.id is String(128)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Compact stamps that file names carry; anything else goes to datetime.fromisoformat.
_COMPACT_TIME = re.compile(
    r"^(?P<date>\d{8})(?:[T_-]?(?P<time>\d{6}))?(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


class CallMetadataError(CallqaError):
    """A recording's metadata has a value that cannot be used; names the file and field.
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

    def for_rules(self) -> dict[str, object]:
        """The values the rule engine reads (``ring_time_s`` and the like), unset ones left out."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


FIELDS = frozenset(CallMetadata.model_fields)
Origin = dict[str, str]


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


def known_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The values whose (case-insensitive) names are metadata fields; the rest is ignored."""
    return {name.lower(): value for name, value in values.items() if name.lower() in FIELDS}


def parse_sidecar(raw: bytes, where: str) -> dict[str, Any]:
    """The known fields of a sidecar's bytes; ``where`` names it in errors."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CallMetadataError(f"{where}: call metadata is not UTF-8 JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise CallMetadataError(
            f"{where}: call metadata must be a JSON object, got {type(data).__name__}"
        )
    return known_fields(data)


def merge_metadata(
    where: str, default_call_id: str, sources: Iterable[tuple[str, dict[str, Any]]]
) -> tuple[CallMetadata, Origin]:
    """Metadata from ``sources`` (label, values), later ones winning over earlier ones and
    over ``default_call_id`` (the file name's stem), and where each value came from. A call
    id the recorder stated must fit the store: at most 128 characters, no '/' and no
    control characters."""
    values: dict[str, Any] = {"call_id": default_call_id}
    origin: Origin = {"call_id": FILE_NAME}
    for label, found in sources:
        for name, value in found.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            values[name], origin[name] = value, label
    if origin["call_id"] != FILE_NAME:
        _check_stated_call_id(where, str(values["call_id"]), origin["call_id"])
    try:
        return CallMetadata.model_validate(values), origin
    except ValidationError as exc:
        problems = "; ".join(
            f"{_field(e)}={values.get(_field(e))!r} from {origin.get(_field(e), '?')}: {e['msg']}"
            for e in exc.errors()
        )
        raise CallMetadataError(f"{where}: bad call metadata: {problems}") from None


def sidecar_path(recording: str) -> str:
    """``2026/03/call-001.wav`` → ``2026/03/call-001.meta.json`` (an object key)."""
    return str(sidecar_beside(PurePosixPath(recording)))


def sidecar_beside(recording: _AnyPath) -> _AnyPath:
    """The sidecar's path beside a recording: ``call-001.wav`` → ``call-001.meta.json``."""
    return recording.with_name(recording.stem + SIDECAR_SUFFIX)


def metadata_beside(recording: Path, sidecar: Path | None = None) -> CallMetadata:
    """A local recording's (or transcript's) metadata: its stem as the call id, overridden
    by ``sidecar`` or, without one, by ``<stem>.meta.json`` beside it if there is one."""
    chosen = sidecar or sidecar_beside(recording)
    sources: list[tuple[str, dict[str, Any]]] = []
    if sidecar is not None or chosen.is_file():
        try:
            raw = chosen.read_bytes()
        except OSError as exc:
            raise CallMetadataError(f"{chosen}: call metadata cannot be read ({exc})") from exc
        sources.append((f"sidecar {chosen}", parse_sidecar(raw, str(chosen))))
    return merge_metadata(str(recording), recording.stem, sources)[0]


def _check_stated_call_id(where: str, call_id: str, origin: str) -> None:
    if len(call_id) > _MAX_CALL_ID or "/" in call_id or _CONTROL.search(call_id):
        raise CallMetadataError(
            f"{where}: bad call metadata: call_id={call_id!r} from {origin}: a call id has at "
            f"most {_MAX_CALL_ID} characters, no '/' and no control characters"
        )


def _field(error: Any) -> str:
    return str(error["loc"][0]) if error.get("loc") else "?"


__all__ = [
    "FIELDS",
    "SIDECAR_SUFFIX",
    "CallMetadata",
    "CallMetadataError",
    "known_fields",
    "merge_metadata",
    "metadata_beside",
    "parse_sidecar",
    "parse_time",
    "sidecar_beside",
    "sidecar_path",
]
