"""Which call a recording is: its metadata (file name < object metadata < sidecar), the
id it will be stored under, and the key that pseudonymises its customer reference."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.call_metadata import FILE_NAME, CallMetadata
from storage.objects import ObjectStore, StoredObject


@dataclass
class CallNaming:
    """Reads a recording's metadata and decides its call id; shared by a worker's threads."""

    source: ObjectStore
    filename_pattern: str | None
    data_dir: Path
    _key: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def metadata(self, obj: StoredObject) -> tuple[CallMetadata, bool]:
        """The recording's metadata, and whether its call id was stated (not a file name)."""
        from storage.call_metadata import read_call_metadata_with_origin

        meta, origin = read_call_metadata_with_origin(self.source, obj, self.filename_pattern)
        return meta, origin.get("call_id") != FILE_NAME

    def call_id(
        self,
        session: Any,
        obj: StoredObject,
        source_id: str,
        meta: CallMetadata,
        explicit: bool,
    ) -> str:
        """The id the call is stored under, decided in ``session``: a stated id that is
        taken raises ``CallIdTaken``; a file name's id that is taken gets a distinct one."""
        from storage.call_identity import resolve_call_id

        return resolve_call_id(
            session,
            meta.call_id,
            explicit=explicit,
            source=source_id,
            version=obj.version,
            key=self.pseudonym_key(),
        )

    def pseudonym_key(self) -> bytes:
        with self._lock:
            if self._key is None:
                from storage.call_identity import pseudonym_key

                self._key = pseudonym_key(self.data_dir)
            return self._key


__all__ = ["CallNaming"]
