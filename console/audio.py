"""Serving the redacted recordings: where they come from (an ``AudioSource``) and HTTP range
responses (206 partial content), so that playback starts at once and seeking works.

Only ``Call.redacted_audio_key`` is ever looked up here; ``Call.source`` (the original
recording) is never served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, runtime_checkable

from starlette.responses import Response

from console.permissions import ConsoleError, NotFound
from storage.objects import ObjectNotFound, ObjectStore

# An open-ended range ("bytes=0-") is answered with at most this much: the browser asks for
# the rest as it plays, and the first bytes go out at once however long the call.
OPEN_RANGE_CHUNK = 1 << 20

MEDIA_TYPES = {
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}


class AudioNotFound(NotFound):
    """No recording at that key."""


@runtime_checkable
class AudioSource(Protocol):
    """Where redacted recordings are read from, by key."""

    def size(self, key: str) -> int:
        """The recording's length in bytes; ``AudioNotFound`` if there is none."""
        ...

    def read(self, key: str, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` (fewer at the end of the recording)."""
        ...


class FolderAudio:
    """Recordings in a local folder (the results folder); keys are '/'-separated paths."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"FolderAudio({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(p in ("..", "") for p in parts):
            raise AudioNotFound(key)
        path = self.root.joinpath(*parts)
        if not path.is_file():
            raise AudioNotFound(key)
        return path

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def read(self, key: str, start: int, length: int) -> bytes:
        with self._path(key).open("rb") as fh:
            fh.seek(start)
            return fh.read(length)


class ObjectStoreAudio:
    """Recordings in an ``storage.objects.ObjectStore`` (local folder or S3), by key.

    The store's ``get`` returns a whole object, so the last one read is kept: a player's
    successive range requests for one call then cost one fetch.
    """

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._last: tuple[str, bytes] | None = None

    def _bytes(self, key: str) -> bytes:
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        try:
            data = bytes(self.store.get(key))
        except (ObjectNotFound, LookupError) as exc:
            raise AudioNotFound(key) from exc
        self._last = (key, data)
        return data

    def size(self, key: str) -> int:
        return len(self._bytes(key))

    def read(self, key: str, start: int, length: int) -> bytes:
        return self._bytes(key)[start : start + length]


class LocationAudio:
    """Recordings by full location, as the flows store them: ``s3://bucket/key`` (read
    with this console's S3 settings) or an absolute path in a results folder. Only keys
    from ``Call.redacted_audio_key`` reach here, never a path a browser sent."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._buckets: dict[str, ObjectStoreAudio] = {}

    def _source(self, key: str) -> tuple[AudioSource, str]:
        if key.startswith("s3://"):
            from storage.s3 import S3Store

            bucket, _, object_key = key.removeprefix("s3://").partition("/")
            if bucket not in self._buckets:
                self._buckets[bucket] = ObjectStoreAudio(
                    S3Store.from_settings(self.settings, bucket)
                )
            return self._buckets[bucket], object_key
        path = Path(key)
        if not path.is_absolute() or ".." in path.parts:
            raise AudioNotFound(key)
        return FolderAudio(path.parent), path.name

    def size(self, key: str) -> int:
        source, inner = self._source(key)
        return source.size(inner)

    def read(self, key: str, start: int, length: int) -> bytes:
        source, inner = self._source(key)
        return source.read(inner, start, length)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(ConsoleError):
    """A Range header outside the recording."""

    status = 416


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range asked for, clipped to the recording; None for the whole file.

    Multiple ranges are answered with the first one only (players never ask for several).
    """
    if not header:
        return None
    match = _RANGE.match(header.split(",")[0].strip())
    if match is None:
        return None  # a malformed Range header is ignored (RFC 9110 §14.2)
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable(header)
    end = min(int(last), size - 1) if last else min(size - 1, start + OPEN_RANGE_CHUNK - 1)
    if end < start:
        raise RangeNotSatisfiable(header)
    return ByteRange(start, end)


MAGIC = (
    (b"RIFF", "audio/wav"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"ID3", "audio/mpeg"),
    (b"\x1aE\xdf\xa3", "audio/webm"),
)


def media_type(key: str, head: bytes = b"") -> str:
    """By the key's suffix, else by the first bytes (results may be stored without one)."""
    by_suffix = MEDIA_TYPES.get(PurePosixPath(key).suffix.lower())
    if by_suffix:
        return by_suffix
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    return "application/octet-stream"


def audio_response(source: AudioSource, key: str, range_header: str | None) -> Response:
    """200 with the whole recording, 206 with the asked-for range, or 416."""
    size = source.size(key)
    kind = media_type(key, b"" if PurePosixPath(key).suffix else source.read(key, 0, 12))
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
    }
    try:
        wanted = parse_range(range_header, size)
    except RangeNotSatisfiable:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    if wanted is None:
        return Response(source.read(key, 0, size), media_type=kind, headers=headers)
    headers["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{size}"
    body = source.read(key, wanted.start, wanted.length)
    return Response(body, status_code=206, media_type=kind, headers=headers)
