"""PostgreSQL's side of storage.backup: pg_dump -Fc on the snapshot the rows are counted in,
pg_restore in one transaction. The client tools come from /usr/lib/postgresql/<version>/bin
(the newest there) or PATH; credentials reach them through the environment only."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from core.urls import masked_url
from storage.backup import BackupError, Progress, describe, write_private
from storage.database import create_store_engine
from storage.scale_schema import STORE_FUNCTIONS
from storage.schema import Base


def backup_postgres(
    url: str, target: Path, progress: Progress
) -> tuple[str | None, dict[str, int]]:
    write_private(target, b"")
    engine = create_store_engine(url)
    try:
        with engine.connect() as plain:
            connection = plain.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                # Counted in the very snapshot pg_dump reads: the manifest matches the dump.
                snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
                progress("counting rows")
                revision, rows = describe(connection)
                progress(f"pg_dump of {masked_url(url)}")
                _run_pg(
                    "pg_dump",
                    [
                        "-Fc",
                        "--no-owner",
                        "--no-privileges",
                        f"--snapshot={snapshot}",
                        "-f",
                        str(target),
                    ],
                    url,
                )
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(f"cannot back up {masked_url(url)}: {exc}") from exc
    finally:
        engine.dispose()
    os.chmod(target, 0o600)
    return revision, rows


def restore_postgres(dump: Path, url: str) -> None:
    engine = create_store_engine(url)
    try:
        with engine.begin() as connection:
            # Ours only, and every one: a newer schema's extra tables would break migrate().
            ours = set(Base.metadata.tables) | {"alembic_version"}
            present = [t for t in inspect(connection).get_table_names() if t in ours]
            for table in present:
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
            for function in STORE_FUNCTIONS:
                connection.execute(text(f'DROP FUNCTION IF EXISTS "{function}"() CASCADE'))
    finally:
        engine.dispose()
    _run_pg(
        "pg_restore",
        [
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            _pg_database(make_url(url)),
            str(dump),
        ],
        url,
    )


def pg_binary(name: str) -> str:
    """A PostgreSQL client tool: the newest under /usr/lib/postgresql, else on PATH (a dump
    tool older than the server refuses to dump it)."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    found = str(installed[-1]) if installed else shutil.which(name)
    if found is None:
        raise BackupError(
            f"PostgreSQL's {name} is not installed (looked in /usr/lib/postgresql/*/bin and "
            "PATH); install the postgresql-client package of the server's version"
        )
    return found


def _pg_database(url: URL) -> str:
    if not url.database:
        raise BackupError(f"{masked_url(str(url))}: the PostgreSQL URL names no database")
    return url.database


def _run_pg(tool: str, args: list[str], url: str) -> None:
    """Runs a client tool on the database at ``url``; credentials go in the environment,
    never on the command line (where ``ps`` shows them)."""
    parsed = make_url(url)
    env = dict(os.environ)
    settings: dict[str, Any] = {
        "PGHOST": parsed.host or parsed.query.get("host"),
        "PGPORT": parsed.port,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": _pg_database(parsed),
        "PGSSLMODE": parsed.query.get("sslmode"),
    }
    env.update({k: str(v) for k, v in settings.items() if v})
    result = subprocess.run(
        [pg_binary(tool), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            f"{tool} on {masked_url(url)} failed ({result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-1500:]}"
        )
