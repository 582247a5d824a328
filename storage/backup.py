"""Backing up and restoring the scorecard store (policy §6.2: "regular backups").

A backup is two files in one folder::

    callqa-20261206T041500Z.sqlite          the store, copied by SQLite's online backup API
    callqa-20261206T041500Z.pgdump          or pg_dump's custom format (PostgreSQL)
    callqa-20261206T041500Z.manifest.json   engine, schema revision, rows per table, SHA-256

Both kinds are consistent snapshots while a batch writes: SQLite's backup runs in one step,
inside one read transaction (WAL lets writers go on); pg_dump runs on a snapshot exported
from the transaction that counts the rows, so the manifest describes exactly what the dump
holds. The manifest is written last: a folder without one holds no finished backup.

Errors::

    CallqaError
    └── StoreError              (storage.database)
        └── BackupError         a backup cannot be made, read, verified or restored
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from core.urls import masked_url
from storage.database import (
    StoreError,
    alembic_config,
    create_store_engine,
    migrate,
    parse_store_url,
)
from storage.schema import Base

FORMAT = "callqa-backup/1"
MANIFEST_SUFFIX = ".manifest.json"
DUMP_SUFFIX = {"sqlite": ".sqlite", "postgresql": ".pgdump"}
Progress = Callable[[str], None]
"""Called with a short description of each step, for a progress display."""


class BackupError(StoreError):
    """A backup cannot be made, read, verified or restored; the message names the file."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written beside the dump and checked on restore."""

    engine: str
    dump: str
    sha256: str
    bytes: int
    revision: str | None
    rows: dict[str, int]
    created_at: str
    store: str
    format: str = FORMAT

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"{path}: not a readable callqa backup manifest ({exc})") from exc

    def write(self, path: Path) -> None:
        write_private(path, json.dumps(asdict(self), indent=2, sort_keys=True).encode())


@dataclass(frozen=True)
class Backup:
    """A finished backup: the dump and its manifest."""

    dump: Path
    manifest_path: Path
    manifest: Manifest


@dataclass
class RestoreReport:
    backup: Backup
    store: str
    migrated_from: str | None = None
    problems: list[str] = field(default_factory=list)


def engine_of(url: str) -> str:
    backend = parse_store_url(url).get_backend_name()
    if backend not in DUMP_SUFFIX:
        raise BackupError(f"{masked_url(url)}: backups support SQLite and PostgreSQL stores only")
    return backend


def _no_progress(_step: str) -> None:
    pass


# --- backup -------------------------------------------------------------------------------
def backup(url: str, dest: Path, progress: Progress = _no_progress) -> Backup:
    """Writes a consistent backup of the store at ``url`` into the folder ``dest``."""
    engine = engine_of(url)
    dest.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dump = dest / f"callqa-{stamp}{DUMP_SUFFIX[engine]}"
    partial = dump.with_name(dump.name + ".partial")
    try:
        if engine == "sqlite":
            revision, rows = _backup_sqlite(_sqlite_path(url), partial, progress)
        else:
            from storage.backup_pg import backup_postgres

            revision, rows = backup_postgres(url, partial, progress)
        progress("checksum")
        digest, size = sha256_of(partial)
        os.replace(partial, dump)
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        engine=engine,
        dump=dump.name,
        sha256=digest,
        bytes=size,
        revision=revision,
        rows=rows,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        store=masked_url(url),
    )
    manifest_path = dump.with_name(dump.name.removesuffix(DUMP_SUFFIX[engine]) + MANIFEST_SUFFIX)
    manifest.write(manifest_path)
    return Backup(dump, manifest_path, manifest)


def _backup_sqlite(
    path: Path, target: Path, progress: Progress
) -> tuple[str | None, dict[str, int]]:
    if not path.is_file():
        raise BackupError(f"{path}: no SQLite store here to back up")
    write_private(target, b"")
    progress(f"copying {path}")
    source = sqlite3.connect(str(path), timeout=60)
    copy = sqlite3.connect(str(target))
    try:
        # One step = one read transaction: a snapshot even while a batch commits calls.
        source.backup(copy, pages=0)
        # A self-contained file: no -wal beside it, and readable with mode=ro on restore.
        copy.execute("PRAGMA journal_mode=DELETE")
        progress("checking the copy")
        problems = _sqlite_integrity(copy)
        if problems:
            raise BackupError(f"{path}: the copy fails PRAGMA integrity_check: {problems[:5]}")
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: SQLite backup failed ({exc})") from exc
    finally:
        copy.close()
        source.close()
    return _describe_file(target)


# --- restore ------------------------------------------------------------------------------
def find_backup(src: Path) -> Backup:
    """The backup at ``src``: a manifest, its dump, or a folder (its newest backup)."""
    if src.is_dir():
        manifests = sorted(src.glob(f"callqa-*{MANIFEST_SUFFIX}"))
        if not manifests:
            raise BackupError(f"{src}: no callqa backup here (no *{MANIFEST_SUFFIX} file)")
        src = manifests[-1]
    if not src.name.endswith(MANIFEST_SUFFIX):
        stem = next(
            (src.name.removesuffix(s) for s in DUMP_SUFFIX.values() if src.name.endswith(s)), None
        )
        if stem is None:
            raise BackupError(f"{src}: expected a backup folder, a *{MANIFEST_SUFFIX} or a dump")
        src = src.with_name(stem + MANIFEST_SUFFIX)
    if not src.is_file():
        raise BackupError(f"{src}: backup manifest not found; a backup without one is unfinished")
    manifest = Manifest.read(src)
    dump = src.with_name(manifest.dump)
    if not dump.is_file():
        raise BackupError(f"{dump}: the dump named by {src.name} is missing")
    return Backup(dump, src, manifest)


def verify_checksum(found: Backup) -> None:
    digest, size = sha256_of(found.dump)
    if digest != found.manifest.sha256 or size != found.manifest.bytes:
        raise BackupError(
            f"{found.dump}: checksum mismatch (SHA-256 {digest[:16]}…, {size} bytes; "
            f"{found.manifest_path.name} says {found.manifest.sha256[:16]}…, "
            f"{found.manifest.bytes} bytes): the file is damaged or not this backup's"
        )


def restore(
    src: Path, url: str, *, force: bool = False, progress: Progress = _no_progress
) -> RestoreReport:
    """Restores the backup at ``src`` into the store at ``url``, then checks the result."""
    found = find_backup(src)
    engine = engine_of(url)
    if found.manifest.engine != engine:
        raise BackupError(
            f"{found.manifest_path}: a {found.manifest.engine} backup cannot be restored into "
            f"a {engine} store ({masked_url(url)})"
        )
    head = _head(url)
    _check_known_revision(found, url)
    progress(f"verifying {found.dump.name}")
    verify_checksum(found)
    rows = _existing_rows(url)
    if rows and not force:
        raise BackupError(
            f"{masked_url(url)} is not empty ({rows} rows); restoring would replace it: "
            "give --force"
        )
    progress(f"restoring into {masked_url(url)}")
    if engine == "sqlite":
        _restore_sqlite(found.dump, _sqlite_path(url))
    else:
        from storage.backup_pg import restore_postgres

        restore_postgres(found.dump, url)
    report = RestoreReport(found, masked_url(url))
    if found.manifest.revision != head:
        progress(f"migrating from {found.manifest.revision} to {head}")
        report.migrated_from = found.manifest.revision
        migrate(url)
    progress("checking the restored store")
    report.problems = check_store(url, found.manifest)
    return report


def _restore_sqlite(dump: Path, target: Path) -> None:
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        write_private(target, b"")
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    store = sqlite3.connect(str(target), timeout=60)
    try:
        source.backup(store, pages=0)  # replaces the target's pages, its WAL included
    except sqlite3.Error as exc:
        raise BackupError(f"{dump}: cannot restore into {target} ({exc})") from exc
    finally:
        store.close()
        source.close()
    os.chmod(target, 0o600)


# --- checks -------------------------------------------------------------------------------
def check_store(url: str, manifest: Manifest) -> list[str]:
    """What is wrong with the store at ``url`` against ``manifest``: integrity (SQLite),
    schema revision at head, rows per table as the manifest counted them."""
    problems: list[str] = []
    if manifest.engine == "sqlite":
        raw = sqlite3.connect(str(_sqlite_path(url)))
        try:
            problems += [f"integrity_check: {p}" for p in _sqlite_integrity(raw)]
        finally:
            raw.close()
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            revision, rows = describe(connection)
    finally:
        engine.dispose()
    head = _head(url)
    if revision != head:
        problems.append(f"schema revision {revision}, expected {head}")
    for table, count in sorted(manifest.rows.items()):
        if rows.get(table) != count:
            problems.append(f"{table}: {rows.get(table)} rows, the backup had {count}")
    return problems


def _sqlite_integrity(connection: sqlite3.Connection) -> list[str]:
    found = [str(r[0]) for r in connection.execute("PRAGMA integrity_check")]
    found += [f"foreign key {r}" for r in connection.execute("PRAGMA foreign_key_check")]
    return [] if found == ["ok"] else [f for f in found if f != "ok"]


def describe(connection: Connection) -> tuple[str | None, dict[str, int]]:
    """The schema revision and rows per callqa table, as ``connection`` sees them."""
    present = set(inspect(connection).get_table_names())
    revision = (
        connection.scalar(text("SELECT version_num FROM alembic_version"))
        if "alembic_version" in present
        else None
    )
    rows = {
        name: int(connection.scalar(text(f'SELECT COUNT(*) FROM "{name}"')) or 0)
        for name in sorted(Base.metadata.tables)
        if name in present
    }
    return revision, rows


def _describe_file(path: Path) -> tuple[str | None, dict[str, int]]:
    engine = create_store_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return describe(connection)
    finally:
        engine.dispose()


def _existing_rows(url: str) -> int:
    if engine_of(url) == "sqlite" and not _sqlite_path(url).exists():
        return 0
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            return sum(describe(connection)[1].values())
    except Exception as exc:
        raise BackupError(f"cannot open the target store {masked_url(url)}: {exc}") from exc
    finally:
        engine.dispose()


def _head(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def _check_known_revision(found: Backup, url: str) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    revision = found.manifest.revision
    if revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config(url)).get_revision(revision)
    except CommandError as exc:
        raise BackupError(
            f"{found.manifest_path}: schema revision {revision!r} is unknown to this callqa "
            "(made by a newer version?); restore it with that version"
        ) from exc


# --- helpers ------------------------------------------------------------------------------
def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_private(path: Path, data: bytes) -> None:
    """Writes ``path`` readable by its owner only: it holds transcripts and password hashes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def _sqlite_path(url: str) -> Path:
    database = parse_store_url(url).database
    if not database or database == ":memory:":
        raise BackupError(
            f"{masked_url(url)}: an in-memory SQLite store cannot be backed up or restored"
        )
    return Path(database)


__all__ = [
    "Backup",
    "BackupError",
    "Manifest",
    "RestoreReport",
    "backup",
    "check_store",
    "find_backup",
    "restore",
    "verify_checksum",
]
