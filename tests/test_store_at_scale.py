"""What keeps the console fast on ten million calls (migration 0006), on SQLite and
PostgreSQL alike: adherence counts kept by triggers equal the outcomes they count through
stores, reviews, moves and deletions; the queue's count stops at a cap and says so; the
months list skips through the index; the trigram index exists on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, func, select, text, update

from console.permissions import Scope
from storage.database import Store
from storage.reads.compliance import ComplianceFilters, adherence_cells
from storage.reads.queue import QueueFilters, months, queue
from storage.scale_schema import AdherenceCount
from storage.schema import Agent, Call, RuleOutcome, Team

NOW = datetime(2026, 10, 5, 9, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'scale.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    opened = Store(url)
    yield opened
    opened.close()


def _call(call_id: str, team: str | None, agent: str | None, month: str | None, **kw) -> Call:
    return Call(
        id=call_id, agent_id=agent, team_id=team, month=month,
        started_at=datetime.fromisoformat(f"{month}-03") if month else None,
        source=f"s/{call_id}", source_version="1", models="m", rule_pack="p", policy="q",
        score=kw.get("score", 90.0), flagged=kw.get("flagged", False),
        severity=kw.get("severity", 0), search_text=kw.get("text", ""), processed_at=NOW,
    )  # fmt: skip


def _outcome(call: Call, rule: str, outcome: str) -> RuleOutcome:
    return RuleOutcome(
        call_id=call.id, rule_id=rule, outcome=outcome, reason="r", month=call.month,
        team_id=call.team_id, agent_id=call.agent_id,
    )  # fmt: skip


def _fill(store: Store) -> None:
    with store.session() as s:
        s.add_all([Team(id="t1", name="One"), Team(id="t2", name="Two")])
        s.add_all([Agent(id="a1", name="A", team_id="t1"), Agent(id="a2", name="B", team_id="t2")])
        s.flush()
        calls = [
            _call("c1", "t1", "a1", "2026-09"),
            _call("c2", "t1", "a1", "2026-10"),
            _call("c3", "t2", "a2", "2026-10"),
            _call("c4", None, None, None),  # an unassigned call with no start time
        ]
        s.add_all(calls)
        s.flush()
        for call, outcomes in zip(
            calls,
            (
                {"greeting": "passed", "closing": "failed"},
                {"greeting": "failed", "closing": "needs_review"},
                {"greeting": "passed", "closing": "not_applicable"},
                {"greeting": "passed"},
            ),
            strict=True,
        ):
            s.add_all([_outcome(call, rule, outcome) for rule, outcome in outcomes.items()])


def _counted(store: Store) -> dict[tuple[str, ...], int]:
    with store.session() as s:
        rows = s.execute(
            select(
                AdherenceCount.month, AdherenceCount.rule_id, AdherenceCount.team_id,
                AdherenceCount.agent_id, AdherenceCount.outcome, AdherenceCount.n,
            ).where(AdherenceCount.n != 0)
        )  # fmt: skip
        return {tuple(r[:5]): r[5] for r in rows}


def _direct(store: Store) -> dict[tuple[str, ...], int]:
    eff = func.coalesce(RuleOutcome.reviewed_outcome, RuleOutcome.outcome)
    key = (
        func.coalesce(RuleOutcome.month, ""), RuleOutcome.rule_id,
        func.coalesce(RuleOutcome.team_id, ""), func.coalesce(RuleOutcome.agent_id, ""), eff,
    )  # fmt: skip
    with store.session() as s:
        rows = s.execute(select(*key, func.count()).group_by(*key))
        return {tuple(r[:5]): r[5] for r in rows}


def test_adherence_counts_follow_every_write_to_rule_outcomes(store):
    _fill(store)
    assert _counted(store) == _direct(store)
    assert _counted(store)[("2026-10", "greeting", "t1", "a1", "failed")] == 1
    with store.session() as s:  # a QA review overturns, another confirms
        s.execute(
            update(RuleOutcome)
            .where(RuleOutcome.call_id == "c2", RuleOutcome.rule_id == "greeting")
            .values(reviewed_outcome="passed")
        )
        s.execute(
            update(RuleOutcome)
            .where(RuleOutcome.call_id == "c2", RuleOutcome.rule_id == "closing")
            .values(reviewed_outcome="failed")
        )
        # a change that is not counted (the reason) moves nothing
        s.execute(update(RuleOutcome).where(RuleOutcome.call_id == "c1").values(reason="new"))
        # the call is moved to the other team, then one call goes (its outcomes with it)
        s.execute(update(RuleOutcome).where(RuleOutcome.call_id == "c3").values(team_id="t1"))
    with store.session() as s:
        s.execute(delete(RuleOutcome).where(RuleOutcome.call_id == "c1"))
        s.execute(delete(Call).where(Call.id == "c1"))
    counted = _counted(store)
    assert counted == _direct(store)
    assert ("2026-10", "greeting", "t1", "a1", "failed") not in counted
    assert counted[("2026-10", "greeting", "t1", "a1", "passed")] == 1
    assert not any(key[0] == "2026-09" for key in counted)


def test_compliance_cells_read_the_counts_like_the_outcomes(store):
    _fill(store)
    everyone = Scope(everything=True)
    cells = {(c.month, c.rule_id, c.team_id, c.agent_id): c for c in
             adherence_cells_of(store, everyone, ComplianceFilters())}  # fmt: skip
    assert cells[(None, "greeting", None, None)].passed == 1  # the unassigned call
    assert cells[("2026-10", "closing", "t1", "a1")].failed == 0  # needs_review: counted in none
    assert (cells[("2026-10", "greeting", "t1", "a1")].failed, len(cells)) == (1, 7)
    team = adherence_cells_of(store, Scope(team_id="t2"), ComplianceFilters(month_to="2026-10"))
    assert {(c.rule_id, c.passed, c.not_applicable) for c in team} == {
        ("greeting", 1, 0),
        ("closing", 0, 1),
    }
    with store.session() as s:  # every outcome of a group gone: the group is not shown
        s.execute(delete(RuleOutcome).where(RuleOutcome.call_id == "c3"))
    assert adherence_cells_of(store, Scope(team_id="t2"), ComplianceFilters()) == []


def adherence_cells_of(store: Store, scope: Scope, f: ComplianceFilters) -> list:
    with store.session() as s:
        return adherence_cells(s, scope, f)


def test_the_queue_count_stops_at_its_cap_and_says_so(store):
    with store.session() as s:
        s.add_all([_call(f"c{n}", None, None, "2026-10", score=50.0 + n) for n in range(7)])
    with store.session() as s:
        page = queue(s, Scope(everything=True), QueueFilters(), page_size=2, count_cap=5)
        assert (page.total, page.total_capped, page.pages) == (5, True, 3)
        assert [r.id for r in page.rows] == ["c0", "c1"]
        exact = queue(s, Scope(everything=True), QueueFilters(), page_size=2, count_cap=7)
        assert (exact.total, exact.total_capped, exact.pages) == (7, False, 4)


def test_months_are_listed_latest_first_without_gaps_or_blanks(store):
    with store.session() as s:
        s.add(Team(id="t1", name="One"))
        s.flush()
        s.add_all(
            [_call(f"c{n}", "t1" if n % 2 else None, None, m) for n, m in
             enumerate(["2026-01", "2026-03", "2026-03", "2025-12", None, ""])]
        )  # fmt: skip
    with store.session() as s:
        assert months(s, Scope(everything=True)) == ["2026-03", "2026-01", "2025-12"]
        assert months(s, Scope(team_id="t1")) == ["2026-03", "2025-12"]


def test_search_has_a_trigram_index_on_postgresql(store):
    with store.session() as s:
        if s.get_bind().dialect.name != "postgresql":
            assert "ix_calls_search_trgm" not in _index_names(s)
            return
        assert "ix_calls_search_trgm" in _index_names(s)
        s.add_all([_call(f"c{n}", None, None, "2026-10", text=f"通话{n}") for n in range(200)])
        s.add(_call("hit", None, None, "2026-10", text="客户申请年费减免"))
    with store.session() as s:
        s.execute(text("ANALYZE calls"))
        found = queue(s, Scope(everything=True), QueueFilters(q="年费减免"))
        assert [r.id for r in found.rows] == ["hit"]
        s.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(
            s.scalars(text("EXPLAIN SELECT id FROM calls WHERE search_text ILIKE '%年费减免%'"))
        )
        assert "ix_calls_search_trgm" in plan


def _index_names(s) -> set[str]:
    from sqlalchemy import inspect

    return {i["name"] for i in inspect(s.connection()).get_indexes("calls")}


def test_coaching_rules_are_counted_per_agent_in_the_viewers_scope(store):
    from storage.reads.scorecards import failed_rules_of

    _fill(store)
    with store.session() as s:  # a second failed greeting for a1 in October, reviewed so
        s.add(_call("c5", "t1", "a1", "2026-10"))
        s.flush()
        s.add(_outcome(s.get(Call, "c5"), "greeting", "passed"))
        s.flush()
        s.execute(update(RuleOutcome).where(RuleOutcome.call_id == "c5").values(
            reviewed_outcome="failed"))  # fmt: skip
    with store.session() as s:
        everyone = failed_rules_of(s, Scope(everything=True), ["a1", "a2"], "2026-10")
        assert everyone == {"a1": [("greeting", 2)]}
        assert failed_rules_of(s, Scope(team_id="t2"), ["a1"], "2026-10") == {}
        assert failed_rules_of(s, Scope(everything=True), ["a1"], "2026-09") == {
            "a1": [("closing", 1)]
        }
