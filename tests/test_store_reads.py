"""The console's call queue, call page, compliance view and Live page read the store through
named functions in ``storage.reads`` (issue 11, "the store behind its boundary"): the console
modules that ask import no SQLAlchemy and no table, and what the reads hand back are frozen
rows, never ORM objects that could lazily run more SQL where they are shown."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from storage.database import Store
from storage.live import LiveStore
from storage.reads import calls, live
from storage.schema import Agent, Base, Call, CallScorecard, QAReview, RuleOutcome, Team, Turn
from tests.test_layers import imported_modules

ROOT = Path(__file__).resolve().parents[1]
ASKING_MODULES = (
    "console/services.py",
    "console/live_stream.py",
    "console/compliance_views.py",
    "console/exports.py",
    "console/pages.py",
    "console/api.py",
    "console/live_views.py",
    "console/present.py",
)
NOW = datetime(2026, 10, 5, 9, 0)


@pytest.mark.parametrize("module", ASKING_MODULES)
def test_the_console_module_leaves_its_sql_and_tables_to_storage(module):
    imported = imported_modules(ROOT / module)
    leaks = sorted(
        name
        for name in imported
        if name.split(".")[0] == "sqlalchemy"
        or name in ("storage.schema", "storage.live_schema", "storage.scale_schema")
    )
    assert not leaks, f"{module} imports {leaks}: its reads belong in storage/reads/"


def _orm_objects(value: object) -> list[object]:
    """Every ORM instance inside ``value`` (frozen rows, lists, dicts), however deep."""
    if isinstance(value, Base):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            found
            for f in dataclasses.fields(value)
            for found in _orm_objects(getattr(value, f.name))
        ]
    if isinstance(value, list | tuple):
        return [found for item in value for found in _orm_objects(item)]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _orm_objects(item)]
    return []


@pytest.fixture
def store(tmp_path):
    opened = Store(f"sqlite:///{tmp_path / 'reads.db'}")
    with opened.session() as s:
        s.add(Team(id="t1", name="One"))
        s.flush()
        s.add(Agent(id="a1", name="Ann", team_id="t1"))
        s.flush()
        s.add(
            Call(
                id="c1", agent_id="a1", team_id="t1", month="2026-10", started_at=NOW,
                source="s3://raw/c1.wav", source_version="1", models="m", rule_pack="p",
                policy="q", score=70.0, flagged=True, severity=1, processed_at=NOW,
                redacted_audio_key="redacted/c1.wav", metrics={"silence_share": 0.1},
            )
        )  # fmt: skip
        s.flush()
        s.add_all(
            [
                Turn(call_id="c1", index=1, speaker="customer", start=2, end=3, text="later"),
                Turn(call_id="c1", index=0, speaker="agent", start=0, end=1, text="hello"),
                RuleOutcome(
                    call_id="c1", rule_id="b_rule", outcome="passed", reason="ok",
                    evidence=[{"turn": 0, "text": "hello"}],
                ),
                RuleOutcome(
                    call_id="c1", rule_id="a_rule", outcome="failed", reason="no", critical=True,
                    reviewed_outcome="passed",
                ),
                CallScorecard(
                    call_id="c1", analysed_score=60.0, score=70.0, breakdown={"pass_mark": 80},
                    flags=["critical"], updated_at=NOW,
                ),
                QAReview(
                    call_id="c1", rule_id="a_rule", verdict="overturned", outcome="passed",
                    reviewer="qa", comment="heard it", created_at=NOW,
                ),
            ]
        )  # fmt: skip
    yield opened
    opened.close()


def test_one_call_is_read_as_frozen_rows_without_the_recordings_location(store):
    with store.session() as s:
        call = calls.call_row(s, "c1")
        assert call is not None and calls.call_row(s, "missing") is None
        detail = calls.call_detail(s, call)
    assert not _orm_objects(detail)
    assert "source" not in {f.name for f in dataclasses.fields(calls.StoredCall)}
    assert (detail.agent_name, detail.call.redacted_audio_key) == ("Ann", "redacted/c1.wav")
    assert [t.text for t in detail.turns] == ["hello", "later"]
    # critical first, then by rule id; the review settles the effective outcome
    assert [(r.rule_id, r.effective_outcome) for r in detail.rules] == [
        ("a_rule", "passed"),
        ("b_rule", "passed"),
    ]
    assert detail.scorecard is not None and detail.scorecard.flags == ["critical"]
    assert [r.comment for r in detail.reviews] == ["heard it"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        detail.call.score = 0.0  # type: ignore[misc]


def test_the_score_after_a_review_includes_the_sessions_pending_change(store):
    with store.session() as s:
        row = s.get(Call, "c1")
        assert row is not None
        row.score = 85.0  # as appraisal.reviews leaves it, not flushed yet
        assert calls.score_now(s, "c1") == 85.0
        assert calls.score_now(s, "missing") is None


def test_a_live_stream_reads_every_new_id_but_only_the_lines_of_the_calls_in_view(store):
    writer = LiveStore(store)
    writer.open_call("in-view", "a1", NOW, "a.wav")
    writer.open_call("elsewhere", None, NOW, "b.wav")
    first = writer.add_segment("in-view", 0, 1, "agent", "one")
    other = writer.add_segment("elsewhere", 0, 1, "agent", "not yours")
    last = writer.add_segment("in-view", 1, 2, "customer", "two")
    writer.add_alert("in-view", 1.5, "a_rule", "high", "two")
    with store.session() as s:
        present, lines = live.lines_since(s, first, ["in-view"])
        alert_ids, alerts = live.alerts_since(s, 0, ["elsewhere"])
        nothing = live.lines_since(s, last, ["in-view"])
        page = live.latest_lines(s, ["in-view"], per_call=1)
    assert present == [other, last] and [line.text for line in lines] == ["two"]
    assert len(alert_ids) == 1 and alerts == []
    assert nothing == ([], [])
    assert [line.text for line in page] == ["two"]
    assert not _orm_objects([lines, page, alerts])
