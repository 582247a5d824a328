"""The live store (issue 12) on the real SQLite and PostgreSQL stores: what ``callqa live``
writes while a call is on, and what the Live page reads back."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from storage.database import Store
from storage.live import (
    RECENTLY_CLOSED,
    LiveStore,
    LiveStoreError,
    alerts_after,
    last_ids,
    latest_segments,
    live_calls,
    prune_closed,
    segments_after,
    utcnow,
)
from storage.live_schema import LiveAlert, LiveCall, LiveSegment
from storage.schema import Agent, Team

STARTED = datetime(2026, 12, 6, 9, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    opened = Store(url)
    with opened.session() as session:
        session.add_all([Team(id="t-cards", name="Cards"), Team(id="t-loans", name="Loans")])
        session.flush()
        session.add_all(
            [
                Agent(id="a-li", name="李娜", team_id="t-cards"),
                Agent(id="a-zhao", name="赵敏", team_id="t-loans"),
            ]
        )
    yield opened
    opened.close()


def _count(store: Store, table: type) -> int:
    with store.session() as session:
        return session.query(table).count()


def test_opening_a_call_again_keeps_one_row_and_counts_the_reconnect(store):
    live = LiveStore(store)
    live.open_call("c1", "a-li", STARTED, "ws://pbx/1")
    live.add_segment("c1", 0.0, 1.5, "agent", "您好")
    live.close_call("c1", "stream stopped without an end message", "/spool/c1.wav")
    live.open_call("c1", "a-li", STARTED, "ws://pbx/1")  # the stream came back
    with store.session() as session:
        call = session.get(LiveCall, "c1")
        assert call is not None
        assert call.reconnects == 1
        assert call.closed_at is None and call.close_reason is None
        assert call.recording_path == "/spool/c1.wav"
    assert _count(store, LiveCall) == 1
    assert _count(store, LiveSegment) == 1  # what came before the drop is kept


def test_simultaneous_opens_of_one_call_make_one_row(store):
    live = LiveStore(store)
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def open_it() -> None:
        try:
            barrier.wait()
            live.open_call("c-race", "a-li", STARTED, "ws://pbx/race")
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with store.session() as session:
        call = session.get(LiveCall, "c-race")
        assert call is not None and call.reconnects == 5
    assert _count(store, LiveCall) == 1


def test_an_alert_is_stored_once_per_call_and_rule(store):
    live = LiveStore(store)
    live.open_call("c1", "a-li", STARTED, "f.wav")
    live.open_call("c2", "a-li", STARTED, "g.wav")
    assert live.add_alert("c1", 12.5, "rule_a", "critical", "“你烦不烦”") is True
    assert live.add_alert("c1", 40.0, "rule_a", "critical", "again") is False
    assert live.add_alert("c1", 41.0, "rule_b", "major", "other rule") is True
    assert live.add_alert("c2", 3.0, "rule_a", "critical", "other call") is True
    with store.session() as session:
        rows = alerts_after(session, 0, ["c1", "c2"])
    assert [(a.call_id, a.rule_id, a.t, a.evidence) for a in rows] == [
        ("c1", "rule_a", 12.5, "“你烦不烦”"),
        ("c1", "rule_b", 41.0, "other rule"),
        ("c2", "rule_a", 3.0, "other call"),
    ]


def test_writes_for_a_call_never_opened_are_refused_by_name(store):
    live = LiveStore(store)
    with pytest.raises(LiveStoreError, match=r"'ghost'.*never opened"):
        live.add_segment("ghost", 0.0, 1.0, "agent", "hello")
    with pytest.raises(LiveStoreError, match="'ghost'"):
        live.add_alert("ghost", 1.0, "rule_a", "critical", "x")
    assert _count(store, LiveSegment) == 0


def test_closing_a_call_never_opened_records_why_and_the_first_reason_stays(store):
    live = LiveStore(store)
    live.close_call("no-meta", "metadata missing: no call id in the first message", None)
    live.close_call("no-meta", "cleanup at exit", "/spool/no-meta.raw")
    with store.session() as session:
        rows = live_calls(session, everything=True)
    assert [(r.id, r.in_progress, r.close_reason, r.kept_for_batch) for r in rows] == [
        ("no-meta", False, "metadata missing: no call id in the first message", True)
    ]


def test_calls_are_scoped_by_the_agents_team(store):
    live = LiveStore(store)
    live.open_call("cards-1", "a-li", STARTED, "a.wav")
    live.open_call("loans-1", "a-zhao", STARTED + timedelta(minutes=1), "b.wav")
    live.open_call("nobody", None, STARTED + timedelta(minutes=2), "c.wav")
    live.open_call("new-agent", "a-new", STARTED + timedelta(minutes=3), "d.wav")
    with store.session() as session:
        cards = live_calls(session, team_id="t-cards")
        loans = live_calls(session, team_id="t-loans")
        no_team = live_calls(session, team_id=None)
        every = live_calls(session, everything=True)
        one = live_calls(session, team_id="t-loans", call_id="cards-1")
    assert [(c.id, c.agent_name, c.team_id) for c in cards] == [("cards-1", "李娜", "t-cards")]
    assert [c.id for c in loans] == ["loans-1"]
    assert no_team == [] and one == []
    # newest first; calls whose agent the store does not know yet are for every-team viewers
    assert [c.id for c in every] == ["new-agent", "nobody", "loans-1", "cards-1"]


def test_closed_calls_stay_listed_for_a_while_after_those_in_progress(store):
    live = LiveStore(store)
    live.open_call("ended", "a-li", STARTED + timedelta(minutes=5), "a.wav")
    live.close_call("ended", "end message received", "/spool/ended.wav")
    live.open_call("on", "a-li", STARTED, "b.wav")
    with store.session() as session:
        now = live_calls(session, team_id="t-cards")
        later = live_calls(session, team_id="t-cards", now=utcnow() + RECENTLY_CLOSED * 2)
    assert [(c.id, c.in_progress) for c in now] == [("on", True), ("ended", False)]
    assert [c.id for c in later] == ["on"]


def test_segments_read_after_an_id_in_order_and_the_rolling_tail(store):
    live = LiveStore(store)
    live.open_call("c1", "a-li", STARTED, "a.wav")
    live.open_call("c2", "a-zhao", STARTED, "b.wav")
    ids = []
    for i in range(6):
        call = "c1" if i % 2 == 0 else "c2"
        ids.append(live.add_segment(call, i, i + 0.9, "agent", f"line {i}"))
    assert ids == sorted(ids)
    with store.session() as session:
        after = segments_after(session, ids[1], ["c1"])
        both = segments_after(session, 0, ["c1", "c2"], limit=4)
        tail = latest_segments(session, ["c1", "c2"], per_call=2)
        marks = last_ids(session)
        nothing = segments_after(session, 0, [])
    assert [s.text for s in after] == ["line 2", "line 4"]
    assert [s.text for s in both] == ["line 0", "line 1", "line 2", "line 3"]
    assert [s.text for s in tail] == ["line 2", "line 3", "line 4", "line 5"]
    assert marks == (ids[-1], 0)
    assert nothing == []


def test_an_aware_start_time_is_stored_as_utc(store):
    live = LiveStore(store)
    beijing = timezone(timedelta(hours=8))
    live.open_call("c1", None, datetime(2026, 12, 6, 17, 0, tzinfo=beijing), "a.wav")
    with store.session() as session:
        call = session.get(LiveCall, "c1")
        assert call is not None
        assert call.started_at == datetime(2026, 12, 6, 9, 0)


def test_pruning_removes_old_closed_calls_with_their_segments_and_alerts(store):
    live = LiveStore(store)
    live.open_call("old", "a-li", STARTED, "a.wav")
    live.add_segment("old", 0, 1, "agent", "x")
    live.add_alert("old", 0.5, "rule_a", "critical", "x")
    live.close_call("old", "end message received", None)
    live.open_call("on", "a-li", STARTED, "b.wav")
    live.add_segment("on", 0, 1, "agent", "y")
    with store.session() as session:
        assert prune_closed(session, utcnow() + timedelta(seconds=1)) == 1
    with store.session() as session:
        assert [c.id for c in live_calls(session, everything=True)] == ["on"]
    assert _count(store, LiveSegment) == 1
    assert _count(store, LiveAlert) == 0


def test_callqa_live_prune_removes_ended_calls_older_than_the_days_given(store):
    from sqlalchemy import update
    from typer.testing import CliRunner

    from callqa.cli import app

    live = LiveStore(store)
    for call_id in ("ended-long-ago", "ended-lately", "on-for-long"):
        live.open_call(call_id, "a-li", STARTED, f"{call_id}.wav")
        live.add_segment(call_id, 0, 1, "agent", "您好")
        live.add_alert(call_id, 0.5, "rule_a", "critical", "x")
    live.close_call("ended-long-ago", "end message received", None)
    live.close_call("ended-lately", "end message received", None)
    with store.session() as session:
        ago = {"ended-long-ago": 31, "ended-lately": 29}
        for call_id, days in ago.items():
            session.execute(
                update(LiveCall)
                .where(LiveCall.id == call_id)
                .values(closed_at=utcnow() - timedelta(days=days))
            )
        session.execute(
            update(LiveCall)
            .where(LiveCall.id == "on-for-long")
            .values(started_at=utcnow() - timedelta(days=60))
        )
    done = CliRunner().invoke(app, ["live-prune", "--older-than", "30", "--store", store.url])
    assert done.exit_code == 0, done.output
    assert "removed 1 ended live call" in done.output
    with store.session() as session:
        left = sorted(c.id for c in session.query(LiveCall))
    assert left == ["ended-lately", "on-for-long"]
    assert _count(store, LiveSegment) == _count(store, LiveAlert) == 2
    refused = CliRunner().invoke(app, ["live-prune", "--older-than", "-1", "--store", store.url])
    assert refused.exit_code != 0 and _count(store, LiveSegment) == 2
