"""Monthly and quarterly agent appraisal (§7) from a small real data set, on SQLite and on a
real PostgreSQL: numbers against hand-computed expectations, ranking, coaching, streaks, CLI.

Data: 3 agents over January-April 2026, each call an analysed evaluation transcript.
A1 takes clean calls, A2 a mix (a late answer, a missed identity check), A3 rude ones.
"""

from __future__ import annotations

import functools
import itertools
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rules.policy import Policy, load_policy

CALLS = Path(__file__).parent / "data" / "eval" / "calls"
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04")
PLAN = {
    "A1": ("ev01-cc-loss-ok", "ev07-cc-cancel-retention-long", "ev13-mortgage-prepay-ok",
           "ev30-declined-abroad-followup"),
    "A2": ("ev01-cc-loss-ok", "ev11-debit-loss-late-answer", "ev05-activation-no-result-cvv",
           "ev02-debit-freeze-verify-after"),
    "A3": ("ev10-remit-cancel-curt", "ev20-elderly-freeze-impatient", "ev28-pension-elderly-rude",
           "ev34-points-rude-brushoff"),
}  # fmt: skip
TEAMS = {"A1": "T1", "A2": "T1", "A3": "T2"}
_ids = itertools.count(1)


def test_policy() -> Policy:
    """The bundled policy with a volume target these few calls can meet (4 a month)."""
    policy = load_policy()
    targets = policy.appraisal.targets.model_copy(update={"monthly_calls": 4})
    return policy.model_copy(
        update={"appraisal": policy.appraisal.model_copy(update={"targets": targets})}
    )


test_policy.__test__ = False  # type: ignore[attr-defined]


@functools.cache
def analyser():
    from pipeline.analyze import load_analyser

    return load_analyser()


@functools.cache
def analysed(stem: str):
    """(redacted transcript, analysis) of one evaluation call, analysed once per session."""
    from core.transcript import Transcript

    transcript = Transcript.from_json((CALLS / f"{stem}.json").read_text(encoding="utf-8"))
    return analyser().analyse(transcript)


def save(session, stem: str, agent: str, started: datetime, call_id: str | None = None) -> str:
    from storage.results import CallRecord, save_call

    red, analysis = analysed(stem)
    call_id = call_id or f"{stem}-{agent}-{started:%Y%m%d%H%M}"
    record = CallRecord(
        call_id=call_id, source=f"{stem}.json", source_version="v1", models="hand",
        agent_id=agent, team_id=TEAMS.get(agent, "T9"), started_at=started,
    )  # fmt: skip
    save_call(session, record, red, analysis)
    return call_id


def call_id(stem: str, agent: str, month: str, index: int) -> str:
    return f"{stem}-{agent}-{month.replace('-', '')}{index + 1:02d}0900"


def fill(url: str, months: tuple[str, ...] = MONTHS):
    """The data set: every agent's four calls in every month (A1 only two in March)."""
    from storage.database import Store

    store = Store(url)
    with store.session() as session:
        for month in months:
            year, mon = int(month[:4]), int(month[5:])
            for agent, stems in PLAN.items():
                chosen = stems[:2] if (agent, month) == ("A1", "2026-03") else stems
                for index, stem in enumerate(chosen):
                    save(session, stem, agent, datetime(year, mon, index + 1, 9, 0))
    return store


def store_for(request, tmp_path_factory, backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'callqa.db'}"
    return request.getfixturevalue("pg_cluster").create_database(f"appraisal_{next(_ids)}")


def add_reviews_and_surveys(store) -> None:
    from appraisal.reviews import record_review
    from storage.schema import Survey

    policy = test_policy()
    with store.session() as s:
        # January: A1's greeting confirmed (accurate), A2's missed result overturned (accurate)
        record_review(s, call_id("ev01-cc-loss-ok", "A1", "2026-01", 0), "greeting",
                      "confirmed", "qa1", policy=policy)  # fmt: skip
        record_review(s, call_id("ev05-activation-no-result-cvv", "A2", "2026-01", 2),
                      "result_confirmation", "overturned", "qa1", "said so",
                      policy=policy)  # fmt: skip
        # January: A2's failed identity check confirmed (inaccurate): accuracy 1 of 2
        record_review(s, call_id("ev02-debit-freeze-verify-after", "A2", "2026-01", 3),
                      "identity_verification", "confirmed", "qa1", policy=policy)  # fmt: skip
        for agent, satisfied, n in (("A1", True, 0), ("A1", True, 1), ("A2", True, 0),
                                    ("A2", False, 1)):  # fmt: skip
            cid = call_id(PLAN[agent][n], agent, "2026-01", n)
            s.add(Survey(call_id=cid, agent_id=agent, month="2026-01", satisfied=satisfied,
                         source=f"test#{agent}{n}"))  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    from appraisal import compute_month, compute_quarter

    store = fill(store_for(request, tmp_path_factory, request.param))
    add_reviews_and_surveys(store)
    with store.session() as s:
        compute_quarter(s, "2026Q1", test_policy())
        compute_month(s, "2026-04", test_policy())
    yield store
    store.close()


def reference_inputs(store, agent: str, month: str):
    """The month's counts the slow way (every call row in Python), to check the SQL against."""
    from sqlalchemy import select

    from appraisal import MonthInputs
    from storage.schema import Call, Survey

    policy = test_policy()
    with store.session() as s:
        calls = list(s.scalars(select(Call).where(Call.agent_id == agent, Call.month == month)))
        surveys = list(s.scalars(select(Survey).where(Survey.agent_id == agent,
                                                      Survey.month == month)))  # fmt: skip
        flag = policy.sentiment.agent_negative_share_flag
        negative = [(c.agent_negative_share or 0) >= flag for c in calls]
        reviewed = [c for c in calls if c.reviewed]
        return MonthInputs(
            calls=len(calls),
            enquiries=sum(c.enquiry_answered is not None for c in calls),
            enquiries_answered=sum(c.enquiry_answered is True for c in calls),
            timed_calls=sum(c.answer_time_s is not None for c in calls),
            answered_in_time=sum(
                c.answer_time_s is not None and c.answer_time_s <= policy.answer_limit_s
                for c in calls
            ),
            language_breach_calls=sum(c.language_breach for c in calls),
            negative_tone_calls=sum(negative),
            cold_calls=sum(c.language_breach or n for c, n in zip(calls, negative, strict=True)),
            rules_applicable=sum(c.rules_applicable for c in calls),
            rules_passed=sum(c.rules_passed for c in calls),
            critical_failures=sum(c.severity for c in calls),
            reviewed_calls=len(reviewed),
            accurate_calls=sum(
                all(r.reviewed_outcome != "failed" for r in c.rules) for c in reviewed
            ),
            surveys=len(surveys),
            satisfied=sum(s.satisfied for s in surveys),
        )


@pytest.mark.parametrize("month", MONTHS)
def test_sql_aggregates_match_the_calls(store, month):
    from appraisal import month_inputs

    with store.session() as s:
        got = month_inputs(s, month, test_policy())
    assert set(got) == {"A1", "A2", "A3"}
    for agent in got:
        assert got[agent] == reference_inputs(store, agent, month), agent


def test_january_by_hand(store):
    """The numbers a supervisor can check with the calls in front of them."""
    from appraisal import agent_scorecard

    with store.session() as s:
        a1, a2, a3 = (agent_scorecard(s, a, "2026-01") for a in ("A1", "A2", "A3"))
    assert a1 and a2 and a3
    items = a2.details["groups"]
    # A2: 4 calls, target 4 -> 100; reviews: 2 calls reviewed, 1 accurate -> 50 % of 95 % = 52.6
    assert items["business"]["items"]["volume"]["score"] == 100.0
    accuracy = items["business"]["items"]["accuracy"]
    assert (accuracy["inputs"], accuracy["score"]) == (
        {"reviewed_calls": 2, "accurate_calls": 1}, 52.6)  # fmt: skip
    # satisfaction: 1 of 2 surveys -> 50 % against 90 % -> 55.6
    assert items["service"]["items"]["satisfaction"]["score"] == 55.6
    # response time: ev11 answered after 13.6 s (limit 10 s): 3 of 4 -> 75 % of 90 % -> 83.3
    assert items["service"]["items"]["response_time"]["score"] == 83.3
    # ev02 failed one critical rule; one is allowed -> no points off
    assert items["compliance"]["items"]["critical_failures"]["score"] == 100.0
    # A3: ev10 fails 2 critical rules, ev20, ev28, ev34 one each: 5, 4 over -> 100-4x25 = 0
    crit = a3.details["groups"]["compliance"]["items"]["critical_failures"]
    assert (crit["value"], crit["score"]) == (5, 0.0)
    # every A3 call has forbidden language: attitude 0 of 4 courteous
    assert a3.details["groups"]["service"]["items"]["attitude"]["score"] == 0.0
    # A1: one review confirming a passed greeting -> accurate; 2 of 2 surveys satisfied
    assert a1.details["groups"]["business"]["items"]["accuracy"]["score"] == 100.0
    assert a1.details["groups"]["service"]["items"]["satisfaction"]["score"] == 100.0


def test_items_without_data_are_left_out_and_say_so(store):
    from appraisal import agent_scorecard

    with store.session() as s:
        a3 = agent_scorecard(s, "A3", "2026-02")
    assert a3 is not None
    service = a3.details["groups"]["service"]
    assert service["items"]["satisfaction"]["left_out"] is True
    assert service["items"]["satisfaction"]["score"] is None
    assert "no surveys" in service["items"]["satisfaction"]["why"]
    assert service["left_out"] == ["satisfaction"]
    # the group is the weighted mean of what has data: response time and attitude
    rt, att = service["items"]["response_time"], service["items"]["attitude"]
    expected = (rt["score"] * rt["weight"] + att["score"] * att["weight"]) / (
        rt["weight"] + att["weight"]
    )
    assert a3.service == pytest.approx(expected, abs=0.05)


def test_totals_weights_and_standard(store):
    from appraisal import month_scorecards

    policy = test_policy()
    weights = policy.appraisal.weights
    with store.session() as s:
        rows = month_scorecards(s, "2026-02")
    for row in rows:
        expected = (
            row.business * weights.business
            + row.service * weights.service
            + row.compliance * weights.compliance
        )
        assert row.total == pytest.approx(expected, abs=0.06)
        assert row.meets_standard == (row.total >= policy.appraisal.standard)
        for group in row.details["groups"].values():
            for item in group["items"].values():
                assert {"value", "target", "score", "weight", "inputs", "why"} <= set(item)
    assert [r.agent_id for r in rows] == ["A1", "A2", "A3"]
    assert [r.rank for r in rows] == [1, 2, 3]


def test_quarter_rolls_up_months_weighted_by_calls(store):
    from appraisal import agent_scorecard

    with store.session() as s:
        quarter = agent_scorecard(s, "A1", "2026Q1")
        found = [agent_scorecard(s, "A1", m) for m in MONTHS[:3]]
    months = [m for m in found if m is not None]
    assert quarter is not None and len(months) == 3
    assert quarter.kind == "quarter" and quarter.calls == 4 + 4 + 2
    expected = sum(m.total * m.calls for m in months) / quarter.calls
    assert quarter.total == pytest.approx(expected, abs=0.05)
    assert set(quarter.details["months"]) == set(MONTHS[:3])
    assert quarter.rank == 1


def test_coaching_list_names_the_groups(store):
    from appraisal import coaching_list

    policy = test_policy()
    with store.session() as s:
        entries = {e.agent_id: e for e in coaching_list(s, "2026-02", policy)}
    assert "A1" not in entries
    assert {"service", "compliance"} <= set(entries["A3"].groups)
    for shortfall in entries["A3"].below:
        assert shortfall.score < policy.appraisal.coaching_threshold


def test_three_consecutive_months_below_standard(store):
    from appraisal import below_standard_streaks

    policy = test_policy()
    with store.session() as s:
        march = below_standard_streaks(s, "2026-03", policy)
        april = below_standard_streaks(s, "2026-04", policy)
        february = below_standard_streaks(s, "2026-02", policy)
    assert [(x.agent_id, x.months) for x in march] == [("A3", MONTHS[:3])]
    assert [(x.agent_id, x.months) for x in april] == [("A3", MONTHS)]
    assert february == []  # only two months so far


def test_recompute_is_idempotent(store):
    from appraisal import compute_month, month_scorecards

    with store.session() as s:
        before = [(r.agent_id, r.total, r.rank) for r in month_scorecards(s, "2026-02")]
        compute_month(s, "2026-02", test_policy())
        after = [(r.agent_id, r.total, r.rank) for r in month_scorecards(s, "2026-02")]
    assert before == after


def test_periods_are_checked():
    from appraisal import PeriodError, parse_month, parse_quarter, quarter_months

    assert parse_quarter("2026q2") == "2026Q2"
    assert quarter_months("2026Q4") == ("2026-10", "2026-11", "2026-12")
    for bad in ("2026-13", "2026/01", "26-01"):
        with pytest.raises(PeriodError, match="YYYY-MM"):
            parse_month(bad)
    with pytest.raises(PeriodError, match="YYYYQN"):
        parse_quarter("2026Q5")


# --- the CLI ---------------------------------------------------------------------------


@pytest.fixture
def app():
    import typer

    from callqa.cli_appraisal import register

    cli = typer.Typer()
    register(cli)
    return cli


def test_cli_scorecard_shows_every_item(store, app, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        Path("rules/policy.yaml")
        .read_text(encoding="utf-8")
        .replace("monthly_calls: 150", "monthly_calls: 4"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        ["scorecard", "--agent", "A2", "--month", "2026-01", "--store", store.url,
         "--policy", str(policy_file), "--recompute"],
        env={"COLUMNS": "250"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for word in ("volume", "accuracy", "enquiry_answer_rate", "satisfaction", "response_time",
                 "attitude", "adherence", "critical_failures", "1 of 2"):  # fmt: skip
        assert word in result.output


def test_cli_scorecard_errors(store, app):
    runner = CliRunner()
    bad = runner.invoke(app, ["scorecard", "--agent", "A1", "--month", "2026-13",
                              "--store", store.url])  # fmt: skip
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    none = runner.invoke(app, ["scorecard", "--agent", "ZZ", "--month", "2026-01",
                               "--store", store.url])  # fmt: skip
    assert none.exit_code == 1 and "no calls" in none.output


def test_cli_report_writes_csv(store, app, tmp_path):
    out = tmp_path / "q1.csv"
    result = CliRunner().invoke(
        app, ["report", "--quarter", "2026Q1", "--store", store.url, "--csv", str(out)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "ranking" in result.output and "Coaching" in result.output
    assert "A3:" in result.output.split("Below standard")[1]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("period,kind,rank,agent_id")
    assert len(lines) == 1 + 9 + 3  # 3 agents x 3 months, then the quarter
