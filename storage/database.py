"""Opening the scorecard store: SQLite file by default, PostgreSQL by URL. The schema is
brought up to date by Alembic migrations (never ``create_all``), the same on both.

The store holds transcripts and password hashes: a SQLite file is created readable by its
owner only (0600; SQLite gives its -wal, -shm and -journal files the same mode) in a folder
created 0700, and a URL is only ever shown with its password masked (``masked_url``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import CallqaError
from core.urls import masked_url, without_password

MIGRATIONS = Path(__file__).with_name("migrations")


# What a caller above storage/ catches without importing SQLAlchemy: the database did not
# answer or dropped the connection (worth retrying later), and a write lost a race to
# another worker's (a unique key taken meanwhile: read again, then retry).
TRANSIENT_STORE_ERRORS: tuple[type[Exception], ...] = (OperationalError,)
WRITE_CONFLICTS: tuple[type[Exception], ...] = (IntegrityError,)


class StoreError(CallqaError):
    """The scorecard store cannot be opened or is not at the expected schema."""


def parse_store_url(url: str) -> URL:
    """``url`` parsed; a ``StoreError`` showing it masked when it is not a database URL."""
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"{masked_url(url)!r} is not a database URL (expected sqlite:///FILE or "
            "postgresql://USER:PASSWORD@HOST/DB)"
        ) from exc


def create_store_engine(url: str) -> Engine:
    """An engine for the store at ``url``; SQLite gets WAL and foreign keys switched on."""
    parsed = parse_store_url(url)
    try:
        if parsed.drivername.startswith("sqlite"):
            if parsed.database and parsed.database != ":memory:":
                _create_private_file(Path(parsed.database))
            # Several workers write to one file: wait for the lock rather than fail at once.
            engine = create_engine(url, connect_args={"timeout": 60})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        if parsed.drivername in ("postgresql", "postgres"):
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        # no server-side prepared statements: a prepared query may be given a generic plan,
        # blind to its values (a search pattern, a LIMIT), which on ten million calls can be
        # a scan of every transcript where the values' own plan reads an index
        psycopg3 = make_url(url).drivername == "postgresql+psycopg"
        connect_args: dict[str, Any] = {"prepare_threshold": None} if psycopg3 else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"cannot open the scorecard store {masked_url(url)}: no database driver for "
            f"{parsed.drivername!r}; use sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB"
        ) from exc


def _create_private_file(path: Path) -> None:
    """Creates the SQLite file (and its folder) for the owner only, before SQLite opens it
    with the process's umask; an existing file keeps the mode it has."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the scorecard store {path}: {exc.strerror}") from exc
    os.close(descriptor)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Brings the store at ``url`` forward to ``revision`` (creating it if need be)."""
    from alembic import command

    engine = create_store_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the scorecard store {masked_url(url)}: "
            f"{without_password(str(exc.orig), url)}"
        ) from exc
    finally:
        engine.dispose()


class Store:
    """The scorecard store: an engine and a session factory, migrated on open."""

    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        if migrate_schema:
            migrate(url)
        self.url = url
        self.engine = create_store_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def describe(self) -> str:
        return masked_url(self.url)

    def close(self) -> None:
        self.engine.dispose()
