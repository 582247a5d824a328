"""``callqa backup`` / ``callqa restore`` on the real store, SQLite and PostgreSQL: a restored
store holds every row the original held and serves the console the same calls, outcomes,
reviews and audit rows; a damaged dump or a non-empty target is refused; a SQLite backup
taken while another thread stores calls is a consistent snapshot."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from callqa.cli import app as cli_app
from tests.console_fixtures import PASSWORD, ConsoleData, build_console_store

# a loopback name: the console answers to its own names only
CONSOLE = "http://127.0.0.1"


def populate(root: Path, url: str | None = None) -> ConsoleData:
    """The console's store plus a QA review, an escalation and a legal hold."""
    from appraisal.reviews import escalate, record_review
    from rules.policy import load_policy
    from storage.database import Store
    from storage.retention import add_hold
    from storage.schema import RuleOutcome

    data = build_console_store(root, url)
    store = Store(data.store_url)
    call_id = sorted(data.calls)[0]
    with store.session() as session:
        outcome = session.scalars(
            select(RuleOutcome).where(
                RuleOutcome.call_id == call_id, RuleOutcome.outcome.in_(("passed", "failed"))
            )
        ).first()
        assert outcome is not None
        record_review(
            session, call_id, outcome.rule_id, "overturned", "qa", "heard it", policy=load_policy()
        )
        escalate(session, call_id, "qa", "to compliance")
        add_hold(session, call_id, "complaint 2026-117", "comp")
    store.close()
    return data


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every callqa table, in primary-key order."""
    from storage.database import Store
    from storage.schema import Base

    store = Store(url, migrate_schema=False)
    try:
        with store.session() as session:
            return {
                table.name: [
                    tuple(row)
                    for row in session.execute(
                        select(table).order_by(*table.primary_key.columns)
                    ).all()
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        store.close()


def console_view(data: ConsoleData, url: str) -> dict[str, Any]:
    """What the console's API answers a QA lead: the queue and each call with its outcomes."""
    from console import FolderAudio, create_app

    app = create_app(url, FolderAudio(data.results))
    client = TestClient(app, base_url=CONSOLE, headers={"Origin": CONSOLE})
    r = client.post("/api/session", json={"username": "qa", "password": PASSWORD})
    assert r.status_code == 200, r.text
    queue = client.get("/api/calls").json()["calls"]
    calls = {c["id"]: client.get(f"/api/calls/{c['id']}").json() for c in queue}
    return {"queue": queue, "calls": calls}


def run(*args: str) -> Any:
    return CliRunner().invoke(cli_app, [str(a) for a in args], catch_exceptions=False)


def only(folder: Path, pattern: str) -> Path:
    found = list(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_sqlite_backup_restores_every_row_and_the_same_console(tmp_path):
    data = populate(tmp_path / "live")
    before = snapshot(data.store_url)
    assert before["qa_reviews"] and before["audit_log"] and before["legal_holds"]

    made = run("backup", tmp_path / "backups", "--store", data.store_url)
    assert made.exit_code == 0, made.output
    dump = only(tmp_path / "backups", "callqa-*.sqlite")
    manifest = json.loads(only(tmp_path / "backups", "*.manifest.json").read_text())
    assert manifest["engine"] == "sqlite" and manifest["dump"] == dump.name
    assert manifest["rows"]["calls"] == len(data.calls)
    assert manifest["rows"]["audit_log"] == len(before["audit_log"])
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # transcripts and password hashes

    restored_url = f"sqlite:///{tmp_path / 'restored' / 'callqa.db'}"
    done = run("restore", tmp_path / "backups", "--store", restored_url)
    assert done.exit_code == 0, done.output
    assert "check passed" in done.output
    assert snapshot(restored_url) == before
    assert console_view(data, restored_url) == console_view(data, data.store_url)


def test_restore_refuses_a_non_empty_store_without_force(tmp_path):
    data = populate(tmp_path / "live")
    assert run("backup", tmp_path / "b", "--store", data.store_url).exit_code == 0
    other = build_console_store(tmp_path / "other")  # a different store, with data
    other_rows = snapshot(other.store_url)

    refused = run("restore", tmp_path / "b", "--store", other.store_url)
    assert refused.exit_code == 2
    assert "not empty" in refused.output and "--force" in refused.output
    assert snapshot(other.store_url) == other_rows

    forced = run("restore", tmp_path / "b", "--store", other.store_url, "--force")
    assert forced.exit_code == 0, forced.output
    assert snapshot(other.store_url) == snapshot(data.store_url)


def test_restore_refuses_a_damaged_dump_and_names_it(tmp_path):
    data = populate(tmp_path / "live")
    assert run("backup", tmp_path / "b", "--store", data.store_url).exit_code == 0
    dump = only(tmp_path / "b", "callqa-*.sqlite")
    damaged = bytearray(dump.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    dump.write_bytes(bytes(damaged))
    target = tmp_path / "restored" / "callqa.db"

    refused = run("restore", dump, "--store", f"sqlite:///{target}")
    assert refused.exit_code == 2
    assert "checksum mismatch" in refused.output and dump.name in refused.output
    assert not target.exists()


def test_sqlite_backup_while_another_thread_stores_calls_is_consistent(tmp_path):
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from storage.backup import backup, check_store, find_backup, restore
    from storage.database import Store
    from storage.results import CallRecord, save_call
    from storage.schema import Call, RuleOutcome, Turn
    from tests.console_fixtures import EVAL_CALLS

    data = build_console_store(tmp_path / "live")
    redacted, analysis = load_analyser().analyse(
        Transcript.read(sorted(EVAL_CALLS.glob("*.json"))[0])
    )
    store = Store(data.store_url)
    stop, written = threading.Event(), [0]

    def writer() -> None:
        while not stop.is_set():
            record = CallRecord(
                call_id=f"busy-{written[0]:04d}",
                source="s3://x/busy",
                source_version="v",
                models="m",
            )
            with store.session() as session:
                save_call(session, record, redacted, analysis)
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        backups = [backup(data.store_url, tmp_path / "b" / str(i)) for i in range(4)]
    finally:
        stop.set()
        thread.join()
    store.close()
    assert written[0] > 0
    counts = [b.manifest.rows["calls"] for b in backups]
    assert counts == sorted(counts) and counts[-1] > len(data.calls), counts
    turns, outcomes = len(redacted.turns), len(analysis.rules)
    for i, made in enumerate(backups):
        url = f"sqlite:///{tmp_path / f'r{i}.db'}"
        assert restore(made.manifest_path, url).problems == []
        assert check_store(url, find_backup(made.dump).manifest) == []
        # each call whole or absent: a save_call transaction is never half in a backup
        copy = Store(url, migrate_schema=False)
        with copy.session() as session:
            busy = session.scalars(select(Call.id).where(Call.id.like("busy-%"))).all()
            for call_id in busy:
                assert (
                    len(session.scalars(select(Turn).where(Turn.call_id == call_id)).all()) == turns
                )
                assert (
                    len(
                        session.scalars(
                            select(RuleOutcome).where(RuleOutcome.call_id == call_id)
                        ).all()
                    )
                    == outcomes
                )
        copy.close()
        assert len(busy) == made.manifest.rows["calls"] - len(data.calls)


def test_postgres_backup_restores_every_row_and_the_same_console(tmp_path, pg_cluster):
    source_url = pg_cluster.create_database("callqa_backup_src")
    data = populate(tmp_path / "live", source_url)
    before = snapshot(source_url)

    made = run("backup", tmp_path / "b", "--store", source_url)
    assert made.exit_code == 0, made.output
    dump = only(tmp_path / "b", "callqa-*.pgdump")
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600

    target = pg_cluster.create_database("callqa_backup_dst")
    done = run("restore", tmp_path / "b", "--store", target)
    assert done.exit_code == 0, done.output
    assert snapshot(target) == before
    assert console_view(data, target) == console_view(data, source_url)

    refused = run("restore", tmp_path / "b", "--store", target)
    assert refused.exit_code == 2 and "not empty" in refused.output
    forced = run("restore", tmp_path / "b", "--store", target, "--force")
    assert forced.exit_code == 0, forced.output
    assert snapshot(target) == before  # the console's sign-ins since are not in the backup


def test_a_sqlite_backup_is_not_restored_into_postgres(tmp_path, pg_cluster):
    data = build_console_store(tmp_path / "live")
    assert run("backup", tmp_path / "b", "--store", data.store_url).exit_code == 0
    refused = run("restore", tmp_path / "b", "--store", pg_cluster.create_database("callqa_x"))
    assert refused.exit_code == 2 and "sqlite backup cannot be restored" in refused.output


@pytest.mark.parametrize("what", ["nothing", "no manifest"])
def test_restore_without_a_finished_backup_says_so(tmp_path, what):
    folder = tmp_path / "b"
    folder.mkdir()
    if what == "no manifest":
        (folder / "callqa-20261206T000000000000Z.sqlite").write_bytes(b"x")
        src = folder / "callqa-20261206T000000000000Z.sqlite"
    else:
        src = folder
    refused = run("restore", src, "--store", f"sqlite:///{tmp_path / 'r.db'}")
    assert refused.exit_code == 2
    assert "manifest" in refused.output


# --- the results bucket's protection ------------------------------------------------------
def test_results_versioning_warning_on_the_real_s3_server(s3_server, s3_settings, tmp_path):
    from minio.versioningconfig import SUSPENDED, VersioningConfig

    from storage.s3 import S3Store
    from storage.s3_versioning import results_versioning_warning

    plain, versioned = s3_server.new_bucket(), s3_server.new_bucket(versioned=True)
    suspended = s3_server.new_bucket(versioned=True)
    s3_server.client().set_bucket_versioning(suspended, VersioningConfig(SUSPENDED))
    assert S3Store.from_settings(s3_settings, plain).versioning() == "Off"
    assert S3Store.from_settings(s3_settings, suspended).versioning() == "Suspended"

    warning = results_versioning_warning(f"s3://{plain}/calls/", s3_settings)
    assert warning and f"s3://{plain} has versioning off" in warning
    assert f"mc version enable ALIAS/{plain}" in warning
    assert "versioning suspended" in (
        results_versioning_warning(f"s3://{suspended}", s3_settings) or ""
    )
    assert results_versioning_warning(f"s3://{versioned}/calls/", s3_settings) is None
    # results elsewhere: the recordings' bucket is not where results are written
    elsewhere = s3_settings.model_copy(update={"results_location": str(tmp_path / "results")})
    assert results_versioning_warning(f"s3://{plain}", elsewhere) is None
    into_plain = s3_settings.model_copy(update={"results_location": f"s3://{plain}/results"})
    assert results_versioning_warning(f"s3://{versioned}", into_plain)


def test_process_warns_at_start_when_the_results_bucket_is_unversioned(s3_server, tmp_path):
    import os
    import subprocess
    import sys

    bucket = s3_server.new_bucket()  # empty: the batch itself has nothing to do
    env = os.environ | {
        "CALLQA_S3_ENDPOINT": s3_server.endpoint,
        "CALLQA_S3_ACCESS_KEY": s3_server.access_key,
        "CALLQA_S3_SECRET_KEY": s3_server.secret_key,
        "CALLQA_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "COLUMNS": "300",
    }
    done = subprocess.run(
        [sys.executable, "-m", "callqa.cli", "process", f"s3://{bucket}/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("warning:") and f"s3://{bucket} has versioning off" in first
