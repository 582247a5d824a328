"""A real PostgreSQL 15 on loopback for the tests (pytest plugin).

``postgres_url``: one private cluster per test session, with a database, stopped at the
end. ``fresh_postgres_url``: a new empty database in that cluster for each test. The
server binaries are required: a machine without them fails these tests, it does not skip.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from pgcluster import PgCluster, PgClusterError

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.start()
    except PgClusterError as exc:
        cluster.stop()
        pytest.fail(f"cannot start the private PostgreSQL the tests need: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(pg_cluster: PgCluster) -> str:
    """SQLAlchemy URL of a database in the session's private cluster."""
    return pg_cluster.create_database("callqa_test")


@pytest.fixture
def fresh_postgres_url(pg_cluster: PgCluster) -> str:
    """SQLAlchemy URL of a new, empty database: nothing a previous test left behind."""
    return pg_cluster.create_database(f"callqa_t{next(_numbers)}")
