"""A folder as an object store: the embedded default, and what tests and demos use.

Keys are '/'-separated paths under the root. Writes are atomic (temporary file, then
``os.replace``), so a reader never sees half a recording or half a result. The content type
and user metadata of an object live in a hidden sidecar ``.<name>.objmeta.json`` beside it;
names starting with '.' belong to the store and are never listed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.objects import (
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    StoredObject,
    check_key,
    normalise_metadata,
)

_SIDECAR_SUFFIX = ".objmeta.json"
_HASH_CHUNK = 1 << 20
# Errors a network file system (NFS, SMB) raises while it is unreachable: worth retrying.
_TRANSIENT_ERRNOS = {errno.ETIMEDOUT, errno.EAGAIN, errno.ESTALE, errno.EHOSTDOWN, errno.EIO}


class LocalStore:
    """Objects as files under ``root``; ``version`` is a SHA-256 prefix of the content."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()
        self.location = str(self.root)
        # Hashing a long recording costs a full read: remember it while size and mtime stay.
        self._hashes: dict[Path, tuple[int, int, str]] = {}

    def __repr__(self) -> str:
        return f"LocalStore({self.location!r})"

    # --- reading --------------------------------------------------------------------
    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Objects under ``prefix`` sorted by key. ``metadata`` is left empty, as S3 listings
        leave it: ``stat`` an object for its metadata."""
        folder = self.root.joinpath(*prefix.split("/")[:-1]) if "/" in prefix else self.root
        if ".." in prefix.split("/") or not folder.is_dir():
            return iter(())
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(folder, onerror=None):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            relative = Path(dirpath).relative_to(self.root).as_posix()
            base = "" if relative == "." else relative + "/"
            keys.extend(
                base + name
                for name in filenames
                if not name.startswith(".") and (base + name).startswith(prefix)
            )
        return self._stat_many(sorted(keys))

    def _stat_many(self, keys: Iterable[str]) -> Iterator[StoredObject]:
        for key in keys:
            try:
                yield self._stat(key, with_metadata=False)
            except ObjectNotFound:
                continue  # removed by someone else between the walk and now

    def stat(self, key: str) -> StoredObject:
        return self._stat(key, with_metadata=True)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            raise self._os_error(key, "read", exc) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def describe(self, key: str) -> str:
        return str(self.root.joinpath(*key.split("/")))

    # --- writing --------------------------------------------------------------------
    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        path = self._path(key)
        clean = normalise_metadata(metadata, self.describe(key))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomically(path, lambda tmp: tmp.write_bytes(data))
            self._write_sidecar(path, content_type, clean)
        except OSError as exc:
            raise self._os_error(key, "write", exc) from exc
        return self.stat(key)

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> StoredObject:
        src, dst = self._path(src_key), self._path(dst_key)
        if not src.is_file():
            raise self._missing(src_key)
        content_type, src_metadata = self._read_sidecar(src)
        clean = src_metadata if metadata is None else normalise_metadata(metadata, str(dst))
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomically(dst, lambda tmp: shutil.copyfile(src, tmp))
            self._write_sidecar(dst, content_type, clean)
        except OSError as exc:
            raise self._os_error(dst_key, "copy to", exc) from exc
        return self.stat(dst_key)

    # --- internals ------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        check_key(key, self.location)
        if any(part.startswith(".") for part in key.split("/")):
            raise StorageError(
                f"{self.location}: invalid object key {key!r}; names starting with '.' "
                "are reserved for the store's own files"
            )
        return self.root.joinpath(*key.split("/"))

    def _stat(self, key: str, *, with_metadata: bool) -> StoredObject:
        path = self._path(key)
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            raise self._os_error(key, "stat", exc) from exc
        if not path.is_file():
            raise self._missing(key)
        return StoredObject(
            key=key,
            version=self._content_hash(path, info.st_size, info.st_mtime_ns),
            size=info.st_size,
            metadata=self._read_sidecar(path)[1] if with_metadata else {},
            last_modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
        )

    def _content_hash(self, path: Path, size: int, mtime_ns: int) -> str:
        cached = self._hashes.get(path)
        if cached and cached[:2] == (size, mtime_ns):
            return cached[2]
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                digest.update(chunk)
        version = digest.hexdigest()[:32]
        self._hashes[path] = (size, mtime_ns, version)
        return version

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(f".{path.name}{_SIDECAR_SUFFIX}")

    def _read_sidecar(self, path: Path) -> tuple[str, dict[str, str]]:
        sidecar = self._sidecar(path)
        try:
            record: Any = json.loads(sidecar.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return "application/octet-stream", {}
        except (OSError, ValueError) as exc:
            raise StorageError(f"{sidecar}: object metadata cannot be read ({exc})") from exc
        metadata = record.get("metadata", {}) if isinstance(record, dict) else {}
        content_type = record.get("content_type") if isinstance(record, dict) else None
        return str(content_type or "application/octet-stream"), {
            str(k): str(v) for k, v in metadata.items()
        }

    def _write_sidecar(self, path: Path, content_type: str, metadata: dict[str, str]) -> None:
        record = {"content_type": content_type, "metadata": metadata}
        text = json.dumps(record, ensure_ascii=False, sort_keys=True)
        self._write_atomically(
            self._sidecar(path), lambda tmp: tmp.write_text(text, encoding="utf-8")
        )

    @staticmethod
    def _write_atomically(path: Path, write: Any) -> None:
        # The temporary name starts with '.' so that list() never returns a half-written file.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _missing(self, key: str) -> ObjectNotFound:
        return ObjectNotFound(f"{self.describe(key)}: no such object (key {key!r} in {self})")

    def _os_error(self, key: str, action: str, exc: OSError) -> StorageError:
        where = self.describe(key)
        if isinstance(exc, PermissionError):
            return StorageError(f"{where}: permission denied to {action} it ({exc.strerror})")
        if exc.errno in _TRANSIENT_ERRNOS:
            return StorageUnavailable(f"{where}: cannot {action} it right now ({exc})")
        return StorageError(f"{where}: cannot {action} it ({exc})")


__all__ = ["LocalStore"]
