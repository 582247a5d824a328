"""From what an operator types (``s3://bucket/prefix`` or a folder) to a store and a prefix,
and which objects under it are recordings.

By default results and quarantined copies live beside the recordings, under
``results_prefix`` and ``quarantine_prefix`` of the source prefix; ``list_recordings`` skips
them, so that a second run never mistakes its own output for input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from core.call_metadata import SIDECAR_SUFFIX
from storage.objects import ObjectStore, StorageError, StoredObject

if TYPE_CHECKING:
    from core.config import Settings

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".mp4", ".webm"})


def open_location(source: str, settings: Settings) -> tuple[ObjectStore, str]:
    """The store behind ``source`` and the key prefix within it ('' for a folder)."""
    if source.startswith("s3://"):
        from storage.s3 import S3Store

        bucket, _, prefix = source.removeprefix("s3://").partition("/")
        if not bucket:
            raise StorageError(f"{source!r}: no bucket; expected s3://bucket or s3://bucket/prefix")
        return S3Store.from_settings(settings, bucket), _as_folder_prefix(prefix)
    if "://" in source:
        raise StorageError(
            f"{source!r}: unsupported location; expected s3://bucket/prefix or a folder path"
        )
    from storage.local import LocalStore

    folder = Path(source).expanduser()
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "folder not found"
        raise StorageError(f"{folder}: {what}; give a folder of recordings or s3://bucket/prefix")
    return LocalStore(folder), ""


def results_store(
    source_store: ObjectStore, source_prefix: str, settings: Settings
) -> tuple[ObjectStore, str]:
    """Where results go: ``settings.results_location`` if set (a folder there is created),
    else the source store under ``<source prefix><results_prefix>``."""
    if settings.results_location:
        location = settings.results_location
        if "://" not in location:
            try:
                Path(location).expanduser().mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{location}: cannot create the results folder ({exc})") from exc
        return open_location(location, settings)
    return source_store, source_prefix + _as_folder_prefix(settings.results_prefix)


def quarantine_prefix(source_prefix: str, settings: Settings) -> str:
    """Where bad recordings of this source are copied to, in the source store."""
    return source_prefix + _as_folder_prefix(settings.quarantine_prefix)


def is_recording(key: str) -> bool:
    """An audio file by its suffix (any case); call-metadata sidecars are not."""
    name = PurePosixPath(key).name.lower()
    return not name.endswith(SIDECAR_SUFFIX) and PurePosixPath(name).suffix in AUDIO_SUFFIXES


def list_recordings(store: ObjectStore, prefix: str, settings: Settings) -> Iterator[StoredObject]:
    """The recordings under ``prefix``, in key order, leaving out our own results and
    quarantined copies."""
    # An empty results/quarantine prefix would put output among the recordings: then there
    # is nothing to skip by prefix (and everything would be skipped by mistake).
    skipped = tuple(
        prefix + relative
        for relative in map(
            _as_folder_prefix, (settings.results_prefix, settings.quarantine_prefix)
        )
        if relative
    )
    for obj in store.list(prefix):
        if not obj.key.startswith(skipped) and is_recording(obj.key):
            yield obj


def _as_folder_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return prefix + "/" if prefix else ""


__all__ = [
    "AUDIO_SUFFIXES",
    "is_recording",
    "list_recordings",
    "open_location",
    "quarantine_prefix",
    "results_store",
]
