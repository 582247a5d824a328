"""A private PostgreSQL 15 cluster on loopback, for tests and benchmarks.

``initdb`` refuses to run as root, so as root the cluster is created and run as the
``postgres`` user (``runuser``) in a temporary folder it owns. Nothing listens beyond
127.0.0.1; the socket lives in the cluster's folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PgClusterError(RuntimeError):
    """The private cluster cannot be created, started or stopped."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
    )
    if found is None:
        raise PgClusterError(
            f"PostgreSQL's {name} is not installed (looked in PATH and /usr/lib/postgresql/*/bin);"
            " install the postgresql-15 server package"
        )
    return found


class PgCluster:
    """initdb + pg_ctl start in a temp folder; ``stop()`` stops it and removes the folder.

    With ``root``, the cluster lives in that folder and is kept: ``start()`` reuses a cluster
    already there (the 10-million-call store of bench/bulk_load.py takes an hour to build)
    and ``stop()`` only stops the server. ``locale`` is initdb's; "C.UTF-8" classifies
    Chinese characters as letters, which full-text and trigram indexes need.
    """

    def __init__(
        self,
        settings: dict[str, str] | None = None,
        root: Path | None = None,
        locale: str = "C",
        port: int | None = None,
    ) -> None:
        self.keep = root is not None
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
        self.root = root if root is not None else Path(tempfile.mkdtemp(prefix="callqa-pg-"))
        self.data = self.root / "data"
        self.locale = locale
        self.port = port or _free_port()
        self.settings = {
            # a throwaway cluster: durability buys nothing, speed does
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            **(settings or {}),
        }
        self._as_postgres = os.geteuid() == 0
        self.user = "postgres" if self._as_postgres else (os.environ.get("USER") or "postgres")
        self.started = False

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = list(argv)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise PgClusterError(
                f"{' '.join(argv[:2])} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )
        return result

    def start(self) -> PgCluster:
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(
                initdb, "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
                f"--locale={self.locale}", "--no-sync",
            )  # fmt: skip
        if self.keep and (self.data / "postmaster.pid").exists():
            status = [pg_ctl, "-D", str(self.data), "status"]
            if self._as_postgres:
                status = ["runuser", "-u", "postgres", "--", *status]
            running = subprocess.run(status, capture_output=True, check=False)
            if running.returncode == 0:  # left running by an interrupted run: use it
                self.started = True
                return self
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} " + " ".join(
            f"-c {k}={v}" for k, v in self.settings.items()
        )
        self._run(pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
                  "-w", "-t", "600", "start")  # fmt: skip
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """The libpq connection string (for psycopg itself, e.g. its COPY)."""
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"

    def create_database(self, name: str, exist_ok: bool = False) -> str:
        """Creates an empty database (or, with ``exist_ok``, keeps the one there) and
        returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            there = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if there is None or not exist_ok:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.started:
                self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
                self.started = False
        finally:
            if not self.keep:
                shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
