"""A folder as an object store: the embedded default, and what tests and demos use.

Keys are '/'-separated paths under the root. Writes are atomic (temporary file, then
``os.replace``), so a reader never sees half a recording or half a result. The content type
and user metadata of an object live in a hidden sidecar ``.<name>.objmeta.json`` beside it
(a hashed name where that would pass the file system's 255-byte limit); names starting
with '.' belong to the store and are never listed.

The store never reads or writes outside its root: every path is opened one folder at a time
from the root without following symbolic links (``O_NOFOLLOW``, relative to the folder
above). A link or a special file (a pipe, a device) is listed, so that the batch sees and
quarantines it, but reading or copying it raises ``ObjectRefused``; its target is never
opened. A folder whose name ends in ``.wav`` is a folder: its contents are listed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.objects import (
    ObjectNotFound,
    ObjectRefused,
    StorageError,
    StorageUnavailable,
    StoredObject,
    check_key,
    normalise_metadata,
)

_SIDECAR_SUFFIX = ".objmeta.json"
# Sidecars of names too long for the plain form: a suffix no plain sidecar can end with.
_LONG_SIDECAR_SUFFIX = ".objmeta-long.json"
_NAME_MAX = 255  # bytes in one file name (ext4, xfs, btrfs, APFS, NTFS in UTF-16 units)
_HASH_CHUNK = 1 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a pipe for reading must not wait for a writer that never comes.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# Errors a network file system (NFS, SMB) raises while it is unreachable: worth retrying.
_TRANSIENT_ERRNOS = {errno.ETIMEDOUT, errno.EAGAIN, errno.ESTALE, errno.EHOSTDOWN, errno.EIO}
_Names = list[str]  # keys, or a key split at "/" (the class's own ``list`` hides the builtin)


class LocalStore:
    """Objects as files under ``root``; ``version`` is a SHA-256 prefix of the content."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()
        self.location = str(self.root)
        # Hashing a long recording costs a full read: remember it while size and mtime stay.
        self._hashes: dict[str, tuple[int, int, str]] = {}

    def __repr__(self) -> str:
        return f"LocalStore({self.location!r})"

    # --- reading --------------------------------------------------------------------
    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Objects under ``prefix`` sorted by key. ``metadata`` is left empty, as S3 listings
        leave it: ``stat`` an object for its metadata. Links and special files are listed
        (reading them is refused); folders are walked into, links to folders are not."""
        folders = prefix.split("/")[:-1]
        if any(part in ("", ".", "..") or part.startswith(".") for part in folders):
            return iter(())
        try:
            fd = self._open_folder(folders, create=False)
        except (ObjectNotFound, ObjectRefused):
            return iter(())
        keys: _Names = []
        try:
            self._walk(fd, "/".join(folders) + "/" if folders else "", prefix, keys)
        finally:
            os.close(fd)
        return self._stat_many(sorted(keys))

    def _walk(self, fd: int, base: str, prefix: str, keys: _Names) -> None:
        for entry in os.scandir(fd):
            if entry.name.startswith("."):
                continue
            key = base + _escape(entry.name)
            if entry.is_dir(follow_symlinks=False):
                if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                    try:
                        child = os.open(entry.name, _DIR_FLAGS, dir_fd=fd)
                    except OSError:
                        continue  # replaced or removed since the listing: not ours to read
                    try:
                        self._walk(child, key + "/", prefix, keys)
                    finally:
                        os.close(child)
            elif key.startswith(prefix):
                keys.append(key)

    def _stat_many(self, keys: Iterable[str]) -> Iterator[StoredObject]:
        for key in keys:
            try:
                yield self._stat(key, with_metadata=False)
            except ObjectNotFound:
                continue  # removed by someone else between the walk and now

    def stat(self, key: str) -> StoredObject:
        return self._stat(key, with_metadata=True)

    def get(self, key: str) -> bytes:
        parts = self._parts(key)
        fd = self._open_regular(parts, key)
        try:
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return fh.read()
        except OSError as exc:
            raise self._os_error(key, "read", exc) from exc
        finally:
            os.close(fd)

    def exists(self, key: str) -> bool:
        try:
            return stat.S_ISREG(self._lstat(self._parts(key), key).st_mode)
        except (ObjectNotFound, ObjectRefused):
            return False

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
        parts = self._parts(key)
        clean = normalise_metadata(metadata, self.describe(key))
        self._write(parts, key, "write", lambda out: out.write(data), content_type, clean)
        return self.stat(key)

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> StoredObject:
        src_parts, dst_parts = self._parts(src_key), self._parts(dst_key)
        content_type, src_metadata = self._read_sidecar(src_parts)
        clean = (
            src_metadata
            if metadata is None
            else normalise_metadata(metadata, self.describe(dst_key))
        )
        fd = self._open_regular(src_parts, src_key)
        try:
            with os.fdopen(fd, "rb", closefd=False) as src:
                fill = lambda out: shutil.copyfileobj(src, out, _HASH_CHUNK)  # noqa: E731
                self._write(dst_parts, dst_key, "copy to", fill, content_type, clean)
        finally:
            os.close(fd)
        return self.stat(dst_key)

    def _write(
        self,
        parts: _Names,
        key: str,
        action: str,
        fill: Callable[[Any], None],
        content_type: str,
        metadata: dict[str, str],
    ) -> None:
        try:
            folder = self._open_folder(parts[:-1], create=True)
            try:
                self._write_atomically(folder, parts[-1], fill)
                sidecar = {"content_type": content_type, "metadata": metadata}
                record = json.dumps(sidecar, ensure_ascii=False, sort_keys=True).encode()
                self._write_atomically(folder, _sidecar_name(parts[-1]), lambda o: o.write(record))
            finally:
                os.close(folder)
        except OSError as exc:
            raise self._os_error(key, action, exc) from exc

    # --- internals ------------------------------------------------------------------
    def _parts(self, key: str) -> _Names:
        check_key(key, self.location)
        parts = key.split("/")
        if any(part.startswith(".") for part in parts):
            raise StorageError(
                f"{self.location}: invalid object key {key!r}; names starting with '.' "
                "are reserved for the store's own files"
            )
        return [_unescape(part) for part in parts]

    def _open_folder(self, folders: _Names, *, create: bool, key: str | None = None) -> int:
        """A descriptor of ``root/folders...``, opened one level at a time without following
        a link; ``create`` makes missing folders (for writing). The caller closes it."""
        where = key or "/".join(folders)
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(where) from None
        try:
            for depth, name in enumerate(folders):
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, dir_fd=fd)
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except (FileNotFoundError, NotADirectoryError) as exc:
                    if _is_link(fd, name):
                        raise self._refused(where, "/".join(folders[: depth + 1])) from exc
                    raise self._missing(where) from None
                except OSError as exc:
                    if exc.errno == errno.ELOOP:
                        raise self._refused(where, "/".join(folders[: depth + 1])) from exc
                    raise
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _lstat(self, parts: _Names, key: str) -> os.stat_result:
        try:
            folder = self._open_folder(parts[:-1], create=False, key=key)
        except OSError as exc:
            raise self._os_error(key, "stat", exc) from exc
        try:
            return os.stat(parts[-1], dir_fd=folder, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            raise self._os_error(key, "stat", exc) from exc
        finally:
            os.close(folder)

    def _open_regular(self, parts: _Names, key: str) -> int:
        """A read descriptor of the regular file at ``parts``; never through a link."""
        try:
            folder = self._open_folder(parts[:-1], create=False, key=key)
        except OSError as exc:
            raise self._os_error(key, "read", exc) from exc
        try:
            fd = os.open(parts[-1], _READ_FLAGS, dir_fd=folder)
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(key) from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:  # no file can have that name: none is there
                raise self._missing(key) from None
            if exc.errno == errno.ELOOP:
                raise self._refused(key, key) from exc
            raise self._os_error(key, "read", exc) from exc
        finally:
            os.close(folder)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            if stat.S_ISDIR(mode):
                raise self._missing(key)
            raise ObjectRefused(
                f"{self.describe(key)}: not a regular file (a pipe, socket or device); "
                "the folder store does not read it",
                "special_file",
            )
        return fd

    def _stat(self, key: str, *, with_metadata: bool) -> StoredObject:
        parts = self._parts(key)
        info = self._lstat(parts, key)
        if stat.S_ISDIR(info.st_mode):
            raise self._missing(key)
        if stat.S_ISREG(info.st_mode):
            fd = self._open_regular(parts, key)
            try:
                info = os.fstat(fd)
                version = self._content_hash(key, fd, info)
            finally:
                os.close(fd)
            metadata = self._read_sidecar(parts)[1] if with_metadata else {}
        else:
            # A link or a pipe: a version from what it is, without reading what it leads to.
            what = f"{info.st_mode}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"
            version = "unread-" + hashlib.sha256(what.encode()).hexdigest()[:24]
            metadata = {}
        return StoredObject(
            key=key,
            version=version,
            size=info.st_size,
            metadata=metadata,
            last_modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
        )

    def _content_hash(self, key: str, fd: int, info: os.stat_result) -> str:
        cached = self._hashes.get(key)
        if cached and cached[:2] == (info.st_size, info.st_mtime_ns):
            return cached[2]
        digest = hashlib.sha256()
        with os.fdopen(fd, "rb", closefd=False) as fh:
            while chunk := fh.read(_HASH_CHUNK):
                digest.update(chunk)
        version = digest.hexdigest()[:32]
        self._hashes[key] = (info.st_size, info.st_mtime_ns, version)
        return version

    def _read_sidecar(self, parts: _Names) -> tuple[str, dict[str, str]]:
        sidecar = [*parts[:-1], _sidecar_name(parts[-1])]
        where = str(self.root.joinpath(*sidecar))
        try:
            fd = self._open_regular(sidecar, "/".join(sidecar))
        except ObjectNotFound:
            return "application/octet-stream", {}
        try:
            with os.fdopen(fd, "rb", closefd=False) as fh:
                record: Any = json.loads(fh.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise StorageError(f"{where}: object metadata cannot be read ({exc})") from exc
        finally:
            os.close(fd)
        metadata = record.get("metadata", {}) if isinstance(record, dict) else {}
        content_type = record.get("content_type") if isinstance(record, dict) else None
        return str(content_type or "application/octet-stream"), {
            str(k): str(v) for k, v in metadata.items()
        }

    @staticmethod
    def _write_atomically(folder: int, name: str, fill: Callable[[Any], None]) -> None:
        # The temporary name starts with '.' so that list() never returns a half-written file.
        tmp = f".{name}.{uuid.uuid4().hex}.tmp"
        if len(os.fsencode(tmp)) > _NAME_MAX:
            tmp = f".{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, _NEW_FILE_FLAGS, 0o666, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=folder)

    def _missing(self, key: str) -> ObjectNotFound:
        return ObjectNotFound(f"{self.describe(key)}: no such object (key {key!r} in {self})")

    def _refused(self, key: str, link: str) -> ObjectRefused:
        which = "a symbolic link" if link == key else f"{self.describe(link)} is a symbolic link"
        return ObjectRefused(
            f"{self.describe(key)}: {which}; the folder store never follows links (they can "
            "lead outside its root)",
            "symlink",
        )

    def _os_error(self, key: str, action: str, exc: OSError) -> StorageError:
        where = self.describe(key)
        if isinstance(exc, PermissionError):
            return StorageError(f"{where}: permission denied to {action} it ({exc.strerror})")
        if exc.errno in _TRANSIENT_ERRNOS:
            return StorageUnavailable(f"{where}: cannot {action} it right now ({exc})")
        return StorageError(f"{where}: cannot {action} it ({exc})")


# A file name that is not UTF-8 (a Windows recorder's GBK names, copied as bytes) has no
# text key: each undecodable byte is listed as U+FFFD and its two hex digits, so that the
# key is text (the ledger, JSON and the console can hold it) and leads back to the file.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_ESCAPED = re.compile("\ufffd([89A-F][0-9A-F])")


def _escape(name: str) -> str:
    return _UNDECODABLE.sub(lambda m: f"\ufffd{ord(m.group()) - 0xDC00:02X}", name)


def _unescape(name: str) -> str:
    return _ESCAPED.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), name)


def _sidecar_name(name: str) -> str:
    plain = f".{name}{_SIDECAR_SUFFIX}"
    if len(os.fsencode(plain)) <= _NAME_MAX:
        return plain
    return f".{hashlib.sha256(os.fsencode(name)).hexdigest()[:40]}{_LONG_SIDECAR_SUFFIX}"


def _is_link(folder: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


__all__ = ["LocalStore"]
