"""Retention (§6.2) and legal holds through ``callqa retention`` and ``callqa hold`` on the
real store: what is past its period goes with --apply and stays with --dry-run, a held call
stays whatever its age, and every change is in the audit log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from callqa.cli import app as cli_app
from tests.console_fixtures import PLAN, ConsoleData, build_console_store

NOW = "2027-01-01"
# Ages on NOW: the August and September calls are 108-150 days old, 2026-10-03 and
# 2026-10-12 are 89-90 and 80-81 days, 2026-10-20 is 72-73 days.
PERIODS = {"results_days": 100, "transcripts_days": 80, "audit_days": 20}


@pytest.fixture
def data(tmp_path) -> ConsoleData:
    return build_console_store(tmp_path / "store")


@pytest.fixture
def policy(tmp_path) -> Path:
    from rules.policy import DEFAULT_POLICY

    settings = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({**settings, "retention": PERIODS}), encoding="utf-8")
    return path


def run(*args: object) -> object:
    # wide enough for the table's examples column to show whole call ids
    result = CliRunner().invoke(
        cli_app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"}
    )
    return result


def row_of(output: str, kind: str) -> list[str]:
    """The cells of the retention table's row for ``kind``."""
    line = next(x for x in output.splitlines() if x.startswith(f"│ {kind} "))
    return [cell.strip() for cell in line.strip("│").split("│")]


def started(data: ConsoleData) -> dict[str, object]:

    ids = list(data.calls)  # in the order the fixture stored them, PLAN's order
    return dict(zip(ids, (s for _, _, s in PLAN), strict=True)) | {"now": datetime(2027, 1, 1)}


def rows(data: ConsoleData):
    from storage.database import Store

    return Store(data.store_url, migrate_schema=False)


def by_age(data: ConsoleData) -> tuple[list[str], list[str], list[str]]:
    """(past the results period, past only the transcripts period, within both)."""
    when = started(data)
    now = when.pop("now")
    results = timedelta(days=PERIODS["results_days"])
    transcripts = timedelta(days=PERIODS["transcripts_days"])
    old = sorted(c for c, s in when.items() if now - s > results)
    trim = sorted(c for c, s in when.items() if transcripts < now - s <= results)
    young = sorted(set(when) - set(old) - set(trim))
    return old, trim, young


def test_dry_run_lists_what_is_due_and_changes_nothing(data, policy):
    from tests.test_backup import snapshot

    old, trim, _ = by_age(data)
    before = snapshot(data.store_url)
    result = run(
        "retention", "--dry-run", "--now", NOW, "--policy", policy, "--store", data.store_url
    )
    assert result.exit_code == 0, result.output
    assert old[0] in result.output
    line = row_of(result.output, "results")
    assert line[:4] == ["results", "100", "2026-09-23", str(len(old))]
    assert snapshot(data.store_url) == before
    assert old and trim


def test_apply_removes_what_is_past_its_period_except_held_calls(data, policy, tmp_path):
    from appraisal.reviews import escalate
    from storage.schema import AuditEntry, Call, RuleOutcome, Turn

    old, trim, young = by_age(data)
    held = old[0]
    assert (
        run(
            "hold", "add", held, "--reason", "case 42", "--by", "comp", "--store", data.store_url
        ).exit_code
        == 0
    )
    store = rows(data)
    with store.session() as session:
        escalate(session, young[0], "qa", "an audit row about a call that is not held")
        scores = {c.id: c.score for c in session.scalars(select(Call))}
        store_audit_before = session.scalar(select(func.count()).select_from(AuditEntry))

    result = run(
        "retention", "--apply", "--now", NOW, "--policy", policy, "--store", data.store_url,
        "--archive", tmp_path / "archive", "--by", "ops",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    with store.session() as session:
        left = set(session.scalars(select(Call.id)))
        assert left == {held, *trim, *young}  # past results period and not held: gone
        for call_id in old[1:]:
            assert not session.scalars(select(Turn).where(Turn.call_id == call_id)).all()
            assert not session.scalars(
                select(RuleOutcome).where(RuleOutcome.call_id == call_id)
            ).all()
        for call_id in trim:  # the words go, the scores stay
            call = session.get(Call, call_id)
            assert call.search_text == "" and call.score == scores[call_id]
            assert not session.scalars(select(Turn).where(Turn.call_id == call_id)).all()
            outcomes = session.scalars(
                select(RuleOutcome).where(RuleOutcome.call_id == call_id)
            ).all()
            assert outcomes and all(o.evidence == [] for o in outcomes)
        for call_id in (held, *young):  # untouched
            assert session.scalars(select(Turn).where(Turn.call_id == call_id)).all()
            assert session.get(Call, call_id).search_text
        entries = {
            e.target: e
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("retention_%"))
            )
        }
        assert entries["retention:results"].username == "ops"
        assert entries["retention:results"].detail.startswith(f"{len(old) - 1} calls before")
        assert "1 kept under legal hold" in entries["retention:results"].detail
        assert entries["retention:transcripts"].detail.startswith(f"{len(trim)} transcripts")
        # audit rows older than 20 days: every row but the held call's and this run's own
        audit_left = list(session.scalars(select(AuditEntry)))
        assert {e.target for e in audit_left} == {f"call:{held}", *entries}
        kept = sum(1 for e in audit_left if e.target == f"call:{held}")
        assert store_audit_before > kept
        assert entries["retention:audit"].detail.startswith(
            f"{store_audit_before - kept} audit rows"
        )
    store.close()

    archived = sorted((tmp_path / "archive").glob("retention-*-results.jsonl"))
    assert len(archived) == 1 and archived[0].stat().st_mode & 0o077 == 0
    records = [json.loads(r) for r in archived[0].read_text(encoding="utf-8").splitlines()]
    assert sorted(r["call"]["id"] for r in records) == old[1:]
    assert all(r["turns"] and r["rule_results"] for r in records)

    again = run(
        "retention", "--dry-run", "--now", NOW, "--policy", policy, "--store", data.store_url
    )
    line = row_of(again.output, "results")
    assert line[3:5] == ["0", "1"]  # nothing left to do; the held call still held


def test_holds_are_listed_released_and_audited(data):
    from storage.schema import AuditEntry

    call_id = sorted(data.calls)[2]
    url = data.store_url
    assert (
        run(
            "hold", "add", call_id, "--reason", "subpoena 7", "--by", "legal", "--store", url
        ).exit_code
        == 0
    )
    twice = run("hold", "add", call_id, "--reason", "again", "--store", url)
    assert twice.exit_code == 2 and "already held" in twice.output
    listed = run("hold", "list", "--store", url)
    assert call_id in listed.output and "subpoena 7" in listed.output
    assert run("hold", "remove", call_id, "--by", "legal", "--store", url).exit_code == 0
    assert call_id not in run("hold", "list", "--store", url).output
    unknown = run("hold", "add", "no-such-call", "--reason", "x", "--store", url)
    assert unknown.exit_code == 2 and "no-such-call" in unknown.output
    store = rows(data)
    with store.session() as session:
        audited = [
            (e.action, e.username, e.detail)
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.target == f"call:{call_id}")
                .order_by(AuditEntry.id)
            )
        ]
    store.close()
    assert audited[-2:] == [
        ("legal_hold_add", "legal", "subpoena 7"),
        ("legal_hold_remove", "legal", "subpoena 7"),
    ]


def test_retention_needs_one_mode_and_a_sane_policy(data, tmp_path):
    neither = run("retention", "--store", data.store_url)
    assert neither.exit_code == 2 and "exactly one" in neither.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: p\nversion: '1'\nretention: {results_days: 30, transcripts_days: 90}\n",
        encoding="utf-8",
    )
    refused = run("retention", "--dry-run", "--policy", bad, "--store", data.store_url)
    assert (
        refused.exit_code == 2 and "transcripts_days cannot exceed results_days" in refused.output
    )


def test_retention_periods_do_not_change_the_policy_digest(tmp_path):
    from rules.policy import DEFAULT_POLICY, load_policy

    settings = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(yaml.safe_dump({**settings, "retention": PERIODS}), encoding="utf-8")
    second.write_text(
        yaml.safe_dump({**settings, "retention": {**PERIODS, "audit_days": 9999}}), encoding="utf-8"
    )
    changed = tmp_path / "c.yaml"
    changed.write_text(yaml.safe_dump({**settings, "answer_limit_s": 12}), encoding="utf-8")
    assert (
        load_policy(first).label == load_policy(second).label == load_policy(DEFAULT_POLICY).label
    )
    assert load_policy(changed).label != load_policy(first).label


def test_apply_on_postgresql(tmp_path, policy, fresh_postgres_url):
    from storage.schema import Call

    data = build_console_store(tmp_path / "pg", fresh_postgres_url)
    old, trim, young = by_age(data)
    assert run("hold", "add", old[0], "--reason", "r", "--store", data.store_url).exit_code == 0
    result = run(
        "retention", "--apply", "--now", NOW, "--policy", policy, "--store", data.store_url
    )
    assert result.exit_code == 0, result.output
    store = rows(data)
    with store.session() as session:
        assert set(session.scalars(select(Call.id))) == {old[0], *trim, *young}
        assert all(not session.get(Call, c).search_text for c in trim)
    store.close()
