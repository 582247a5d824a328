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
    """initdb + pg_ctl start in a temp folder; ``stop()`` stops it and removes the folder."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="callqa-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
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
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
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
        self._run(
            initdb, "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} " + " ".join(
            f"-c {k}={v}" for k, v in self.settings.items()
        )
        self._run(pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Creates an empty database and returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.started:
                self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
