"""Where a batch reads and writes: the recordings' store and prefix, where their results
go, and where a bad recording is copied to. Opened once per worker from what an operator
typed (``s3://bucket/prefix`` or a folder)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from core.config import Settings
from storage.objects import ObjectStore, StoredObject


@dataclass(frozen=True)
class Places:
    """The stores and prefixes of one source."""

    source: ObjectStore
    prefix: str
    results: ObjectStore
    results_prefix: str
    quarantine_prefix: str
    location: str = ""  # as typed: what a deployment's worker is told to open

    def results_base(self, obj: StoredObject) -> str:
        """``<results prefix><key less the source prefix, less its suffix>``."""
        relative = obj.key[len(self.prefix) :] if obj.key.startswith(self.prefix) else obj.key
        return self.results_prefix + str(PurePosixPath(relative).with_suffix(""))

    def result_location(self, key: str | None) -> str | None:
        """A result's full location: the console and auditors find it without the run."""
        return self.results.describe(key) if key else None


def open_places(source: str, settings: Settings) -> Places:
    """The places of ``source`` as ``settings`` lay them out (results beside the
    recordings unless ``results_location`` says otherwise)."""
    from storage.locations import open_location, quarantine_prefix, results_store

    store, prefix = open_location(source, settings)
    results, results_prefix = results_store(store, prefix, settings)
    return Places(
        source=store,
        prefix=prefix,
        results=results,
        results_prefix=results_prefix,
        quarantine_prefix=quarantine_prefix(prefix, settings),
        location=source,
    )


__all__ = ["Places", "open_places"]
