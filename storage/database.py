"""Opening the scorecard store: SQLite file by default, PostgreSQL by URL. The schema is
brought up to date by Alembic migrations (never ``create_all``), the same on both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callqa.errors import CallqaError

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(CallqaError):
    """The scorecard store cannot be opened or is not at the expected schema."""


def create_store_engine(url: str) -> Engine:
    """An engine for the store at ``url``; SQLite gets WAL and foreign keys switched on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"{url!r} is not a database URL ({exc})") from exc
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Several workers write to one file: wait for the lock rather than fail at once.
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


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
        raise StoreError(f"cannot open the scorecard store {_safe(url)}: {exc.orig}") from exc
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
        return _safe(self.url)

    def close(self) -> None:
        self.engine.dispose()


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
