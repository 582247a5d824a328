"""Secrets are never echoed and the store is private (issue 10, item 9): a store URL's
password never appears in what ``callqa`` prints, whatever is wrong with the URL, and a
new SQLite store (and its WAL files) is readable by its owner only, in a folder that is."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CALLQA = [sys.executable, "-m", "callqa.cli"]
PASSWORD = "Secret"
BAD_URLS = {
    "unreachable": f"postgresql://qa:{PASSWORD}@127.0.0.1:1/x",
    "not a URL": f"qa:{PASSWORD}@x",
    "no driver": f"postgresql+nodriver://qa:{PASSWORD}@127.0.0.1:1/x",
    "@ in the password": f"postgresql://qa:{PASSWORD}@{PASSWORD}2@127.0.0.1:1/x",
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALLQA, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


@pytest.mark.parametrize("kind", sorted(BAD_URLS))
def test_users_list_never_prints_the_store_password(kind, tmp_path):
    result = run("users", "list", "--store", BAD_URLS[kind], cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert PASSWORD not in output and "qa:***@" in result.stderr, output


@pytest.mark.parametrize("kind", ["unreachable", "not a URL"])
def test_commands_never_print_the_store_password(kind, tmp_path):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    for args in (
        ("process", str(recordings), "--store", BAD_URLS[kind]),
        ("report", "--quarter", "2026Q3", "--store", BAD_URLS[kind]),
        ("backup", str(tmp_path / "backup"), "--store", BAD_URLS[kind]),
        ("retention", "--dry-run", "--store", BAD_URLS[kind]),
    ):
        result = run(*args, cwd=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode != 0, f"{args[0]}: {output}"
        assert PASSWORD not in output and "qa:***@" in output, f"{args[0]}: {output}"


def test_masked_url_and_settings_repr_hide_the_password():
    from core.config import load_settings
    from core.urls import masked_url

    for url in BAD_URLS.values():
        assert PASSWORD not in masked_url(url) and "qa:***@" in masked_url(url), url
    assert masked_url("sqlite:////data/a:b@c.db") == "sqlite:////data/a:b@c.db"
    settings = load_settings(None, store_url=BAD_URLS["unreachable"], s3_secret_key=PASSWORD)
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files were created world-readable before."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_is_private_to_its_owner(tmp_path, umask_022):
    from storage.database import Store
    from storage.schema import Team

    folder = tmp_path / "callqa-data"
    database = folder / "callqa.db"
    store = Store(f"sqlite:///{database}")
    try:
        with store.session() as session:  # a write: SQLite creates the -wal and -shm files
            session.add(Team(id="t-1", name="cards"))
        created = sorted(p.name for p in folder.iterdir())
        assert {"callqa.db", "callqa.db-wal", "callqa.db-shm"} <= set(created), created
        modes = {name: oct(mode(folder / name)) for name in created}
    finally:
        store.close()
    assert set(modes.values()) == {"0o600"}, modes
    assert mode(folder) == 0o700
    # a folder that was there already is left as its owner made it
    (tmp_path / "shared").mkdir(mode=0o755)
    Store(f"sqlite:///{tmp_path / 'shared' / 'callqa.db'}").close()
    assert mode(tmp_path / "shared") == 0o755 and mode(tmp_path / "shared" / "callqa.db") == 0o600
