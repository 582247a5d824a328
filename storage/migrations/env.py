"""Alembic environment: run by storage.database.migrate (or the alembic CLI with -x url=)."""

from __future__ import annotations

from typing import Any

from alembic import context

from storage.database import create_store_engine
from storage.schema import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_store_engine(str(url))
    with engine.begin() as conn:
        _run(conn)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
