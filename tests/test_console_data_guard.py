"""What the console reads and hands out, guarded (issue 10): every route that returns
transcript text, evidence or a recording, or searches transcripts, writes an audit row;
CSV/XLSX exports never carry a live formula; an agent's scorecards stay with the team each
period was spent in; page numbers and free-text fields are bounded.

The real console (FastAPI TestClient) over a real SQLite store built by
``tests.console_fixtures``, plus an agent who moves from t-cards to t-loans and an agent and
team whose ids (from recording metadata) are spreadsheet formulas.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.console_fixtures import EVAL_CALLS, PASSWORD, ConsoleData, build_console_store

BASE = "http://localhost"  # a name the console trusts by default
ORIGIN = {"Origin": BASE}
MOVER = "a-sun"  # t-cards in August and September, t-loans from October
INJECT_AGENT = '=HYPERLINK("http://x","y")'
INJECT_TEAM = '=HYPERLINK("http://x","t")'
# (call stem, agent, team, started_at) saved on top of the console fixture's eight calls
EXTRA_CALLS = (
    ("ev01-cc-loss-ok", MOVER, "t-cards", datetime(2026, 8, 5, 9, 0)),
    ("ev02-debit-freeze-verify-after", MOVER, "t-cards", datetime(2026, 9, 3, 9, 0)),
    ("ev03-transfer-limit-let-me-check", MOVER, "t-cards", datetime(2026, 9, 10, 9, 0)),
    ("ev04-password-reset-no-risk-traditional", MOVER, "t-loans", datetime(2026, 9, 28, 9, 0)),
    ("ev05-activation-no-result-cvv", MOVER, "t-loans", datetime(2026, 10, 7, 9, 0)),
    ("ev06-phone-change-no-id", MOVER, "t-loans", datetime(2026, 10, 15, 9, 0)),
    ("ev07-cc-cancel-retention-long", INJECT_AGENT, INJECT_TEAM, datetime(2026, 10, 9, 9, 0)),
)
SEARCH_TERM = "挂失"  # said in ev01 (card loss)
NO_MATCH = "不存在的词语组合"
VISIBLE_CALL = "ev01-cc-loss-ok"  # a-li, t-cards: the qa lead and t-cards supervisor see it
FAILED_RULE = "customer_consent"  # failed in ev03 (t-cards)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> ConsoleData:
    return build_guarded_store(tmp_path_factory.mktemp("guard"))


def build_guarded_store(root: Path, store_url: str | None = None) -> ConsoleData:
    from appraisal import compute_month, compute_quarter
    from console.auth import create_user
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from storage.database import Store
    from storage.results import CallRecord, save_call

    data = build_console_store(root, store_url)
    analyser = load_analyser()
    store = Store(data.store_url)
    calls = dict(data.calls)
    with store.session() as session:
        for stem, agent, team, started in EXTRA_CALLS:
            redacted, analysis = analyser.analyse(Transcript.read(EVAL_CALLS / f"{stem}.json"))
            call_id = f"{stem}-x{started:%m%d}"
            record = CallRecord(
                call_id=call_id,
                source=f"/recordings/original/{call_id}.wav",
                source_version="v1",
                models="hand-labelled",
                agent_id=agent,
                agent_name=agent,
                team_id=team,
                started_at=started,
            )
            save_call(session, record, redacted, analysis)
            calls[call_id] = (agent, team)
        for month in ("2026-08", "2026-09", "2026-10"):
            compute_month(session, month, analyser.policy)
        for quarter in ("2026Q3", "2026Q4"):
            compute_quarter(session, quarter, analyser.policy, recompute_months=False)
        create_user(session, "sup-loans", PASSWORD, "supervisor", team_id="t-loans")
    store.close()
    return ConsoleData(data.store_url, data.results, calls)


@pytest.fixture(scope="module")
def app(guarded: ConsoleData):
    from console import FolderAudio, create_app

    return create_app(guarded.store_url, FolderAudio(guarded.results))


@pytest.fixture(scope="module")
def clients(app) -> dict[str, TestClient]:
    out = {}
    for name in ("admin", "qa", "comp", "sup", "sup-loans", "li"):
        client = TestClient(app, headers=ORIGIN, base_url=BASE)
        r = client.post("/api/session", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[name] = client
    return out


def open_store(data: ConsoleData):
    from storage.database import Store

    return Store(data.store_url, migrate_schema=False)


def audit_count(data: ConsoleData, username: str) -> int:
    from storage.schema import AuditEntry

    store = open_store(data)
    try:
        with store.session() as session:
            query = select(func.count()).where(
                AuditEntry.username == username, AuditEntry.action != "denied"
            )
            return int(session.scalar(query.select_from(AuditEntry)) or 0)
    finally:
        store.close()


def last_audit(data: ConsoleData, username: str):
    from storage.schema import AuditEntry

    store = open_store(data)
    try:
        with store.session() as session:
            query = select(AuditEntry).where(AuditEntry.username == username)
            return session.scalars(query.order_by(AuditEntry.id.desc()).limit(1)).one()
    finally:
        store.close()


# --- item 3: 0 transcript reads without an audit row ------------------------------------


def transcript_texts(data: ConsoleData) -> list[str]:
    """Every stored (redacted) turn text and evidence text long enough to be unmistakable."""
    from storage.schema import RuleOutcome, Turn

    store = open_store(data)
    try:
        with store.session() as session:
            turns = {t.strip() for t in session.scalars(select(Turn.text))}
            evidence = {
                str(e.get("text", "")).strip()
                for items in session.scalars(select(RuleOutcome.evidence))
                for e in items or []
            }
    finally:
        store.close()
    # evidence quoted from a turn (not a whole-call explanation such as "none found")
    quoted = {e for e in evidence if any(e in t for t in turns)}
    return sorted(t for t in turns | quoted if len(t) >= 6)


def readable_text(response) -> str:
    """What a response shows a person, whatever its format."""
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)
    if "json" in kind:
        strings: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(response.json())
        return "\n".join(strings)
    if "html" in kind:
        return html.unescape(re.sub(r"<[^>]+>", "", response.text))
    if kind.startswith("text/"):
        return response.text
    return ""


PATH_VALUES = {
    "call_id": [VISIBLE_CALL],
    "rule_id": [FAILED_RULE],
    "agent_id": ["a-li"],
    "fmt": ["csv", "xlsx"],
}


def get_paths(routes: list[Any], prefix: str = "") -> list[str]:
    """The GET path templates of ``routes``, through included routers (FastAPI keeps them
    nested, each with its include prefix)."""
    out: list[str] = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            context = getattr(route, "include_context", None)
            out += get_paths(nested.routes, prefix + getattr(context, "prefix", ""))
        elif "GET" in (getattr(route, "methods", None) or ()):
            out.append(prefix + route.path)
    return out


def get_routes(app) -> list[str]:
    """Every GET path the console serves (pages and API), with its parameters filled in."""
    urls = []
    for template in get_paths(app.routes):
        names = re.findall(r"{(\w+)}", template)
        unknown = [n for n in names if n not in PATH_VALUES]
        assert not unknown, f"{template}: tell this test a value for {unknown}"
        paths = [template]
        for name in names:
            paths = [p.replace(f"{{{name}}}", v) for p in paths for v in PATH_VALUES[name]]
        urls += paths
    assert len(urls) >= 20, urls  # every page and API route, not only the app's own few
    return urls


@pytest.mark.parametrize("user", ["qa", "sup"])
def test_every_read_of_transcript_text_evidence_or_audio_writes_an_audit_row(
    app, clients, guarded, user
):
    """Walks every GET route twice, searching for a word said in a call and for one said in
    none: a response that shows transcript or evidence text, plays a recording, or changes
    with the search (it searched the transcripts) must have written an audit row."""
    texts = transcript_texts(guarded)
    client = clients[user]
    readers: set[str] = set()
    unaudited: list[str] = []
    for url in get_routes(app):
        shown = {}
        for term in (SEARCH_TERM, NO_MATCH):
            before = audit_count(guarded, user)
            r = client.get(url, params={"q": term}, follow_redirects=False)
            assert r.status_code < 500, (url, r.status_code, r.text[:300])
            audited = audit_count(guarded, user) > before
            body = readable_text(r)
            shown[term] = (body.replace(SEARCH_TERM, "").replace(NO_MATCH, ""), audited, r)
            reads = any(t in body for t in texts) or r.headers.get("content-type", "").startswith(
                "audio/"
            )
            if reads:
                readers.add(url)
                if not audited:
                    unaudited.append(f"{url}?q={term}")
        searched = shown[SEARCH_TERM][0] != shown[NO_MATCH][0]
        if searched:
            readers.add(url)
            unaudited += [f"{url}?q={t} (search)" for t in shown if not shown[t][1]]
    assert not unaudited, f"transcript reads without an audit row: {unaudited}"
    # the walker recognised what it must: otherwise it proves nothing
    expected = {
        f"/calls/{VISIBLE_CALL}",
        f"/api/calls/{VISIBLE_CALL}",
        f"/api/calls/{VISIBLE_CALL}/audio",
        f"/compliance/rules/{FAILED_RULE}",
        f"/api/compliance/rules/{FAILED_RULE}/calls",
        "/queue",
        "/api/calls",
    }
    assert expected <= readers, expected - readers


def test_search_and_drill_down_audit_who_what_how_many_and_from_where(clients, guarded):
    qa = clients["qa"]
    found = qa.get("/api/calls", params={"q": SEARCH_TERM}).json()
    row = last_audit(guarded, "qa")
    assert (row.action, row.target) == ("search_transcripts", f"search:{SEARCH_TERM}")
    assert row.detail.startswith(f"{found['total']} calls matched")
    assert all(c["id"] in row.detail for c in found["calls"]) and row.client

    qa.get("/queue", params={"q": SEARCH_TERM})
    assert last_audit(guarded, "qa").action == "search_transcripts"

    drill = qa.get(f"/api/compliance/rules/{FAILED_RULE}/calls?month_from=2026-09").json()
    row = last_audit(guarded, "qa")
    assert (row.action, row.target) == ("view_evidence", f"rule:{FAILED_RULE}")
    assert row.detail.startswith(f"evidence of {len(drill['calls'])} calls")
    assert "2026-09" in row.detail and row.client
    assert all(c["call_id"] in row.detail for c in drill["calls"]) and drill["calls"]

    page = qa.get(f"/compliance/rules/{FAILED_RULE}")
    assert page.status_code == 200
    assert last_audit(guarded, "qa").target == f"rule:{FAILED_RULE}"
    # the admin can find them in the log
    entries = clients["admin"].get("/api/audit?action=view_evidence").json()["entries"]
    assert entries and entries[0]["username"] == "qa"


# --- item 5: no live formula in an export ------------------------------------------------


def test_safe_cell_prefixes_formula_text_and_keeps_numbers():
    from console.spreadsheet import safe_cell

    for dangerous in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", " =1", INJECT_TEAM):
        assert safe_cell(dangerous) == "'" + dangerous, dangerous
    for kept in (0.25, 3, -2, None, True, "-12.5", "+3", "1e-3", "t-cards", "李娜", ""):
        assert safe_cell(kept) == kept, kept


@pytest.mark.parametrize("by", ["agent", "team"])
def test_compliance_exports_carry_no_formula(clients, by):
    injected = INJECT_AGENT if by == "agent" else INJECT_TEAM
    r = clients["comp"].get(f"/api/compliance/export.csv?by={by}&month_from=2026-10")
    assert r.status_code == 200
    import csv

    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    groups = [row[3] for row in rows[1:]]
    assert "'" + injected in groups
    assert not [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@")]

    from openpyxl import load_workbook

    r = clients["comp"].get(f"/api/compliance/export.xlsx?by={by}&month_from=2026-10")
    sheet = load_workbook(io.BytesIO(r.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert "'" + injected in [c.value for c in sheet["D"]]
    rates = [c.value for c in sheet["H"][1:] if c.value is not None]
    assert rates and all(isinstance(v, float | int) for v in rates)  # numbers stay numbers


def test_appraisal_report_csv_carries_no_formula(guarded, tmp_path):
    import csv

    import typer
    from typer.testing import CliRunner

    from callqa.cli_appraisal import register

    cli = typer.Typer()
    register(cli)
    out = tmp_path / "q4.csv"
    result = CliRunner().invoke(
        cli,
        ["report", "--quarter", "2026Q4", "--store", guarded.store_url, "--csv", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["agent_id"] for r in rows} >= {"'" + INJECT_AGENT, MOVER}
    assert "'" + INJECT_TEAM in {r["team_id"] for r in rows}
    assert not [v for r in rows for v in r.values() if v[:1] in ("=", "+", "@")]


# --- item 8: scorecards stay with the team each period was spent in ----------------------


def stored_teams(data: ConsoleData, agent: str) -> dict[str, str | None]:
    from storage.schema import AgentScorecard

    store = open_store(data)
    try:
        with store.session() as session:
            rows = session.execute(
                select(AgentScorecard.period, AgentScorecard.team_id).where(
                    AgentScorecard.agent_id == agent
                )
            )
            return {period: team for period, team in rows}
    finally:
        store.close()


def test_appraisal_records_the_team_of_each_period(guarded):
    assert stored_teams(guarded, MOVER) == {
        "2026-08": "t-cards",
        "2026-09": "t-cards",  # two calls in t-cards, one in t-loans
        "2026-10": "t-loans",
        "2026Q3": "t-cards",
        "2026Q4": "t-loans",
    }
    assert stored_teams(guarded, "a-li")["2026-09"] == "t-cards"


def periods_seen(client: TestClient, agent: str) -> tuple[list[str], list[str]]:
    r = client.get(f"/api/agents/{agent}/scorecards")
    if r.status_code == 404:
        return [], []
    data = r.json()
    return [c["period"] for c in data["months"]], [c["period"] for c in data["quarters"]]


def test_a_transferred_agents_past_months_stay_with_the_old_team(clients):
    sup_cards, sup_loans = clients["sup"], clients["sup-loans"]

    def agents_in(client: TestClient, period: str) -> set[str]:
        return {c["agent_id"] for c in client.get(f"/api/scorecards?period={period}").json()[
            "scorecards"
        ]}  # fmt: skip

    assert MOVER in agents_in(sup_cards, "2026-09") and MOVER not in agents_in(sup_cards, "2026-10")
    assert MOVER in agents_in(sup_loans, "2026-10") and MOVER not in agents_in(sup_loans, "2026-09")
    assert periods_seen(sup_cards, MOVER) == (["2026-08", "2026-09"], ["2026Q3"])
    assert periods_seen(sup_loans, MOVER) == (["2026-10"], ["2026Q4"])
    assert periods_seen(clients["qa"], MOVER) == (
        ["2026-08", "2026-09", "2026-10"],
        ["2026Q3", "2026Q4"],
    )
    page = sup_loans.get(f"/scorecards/agents/{MOVER}")
    assert page.status_code == 200 and "2026-09" not in page.text and "2026-10" in page.text
    # the team ranking counts an agent for the team of that period
    ranking = {
        r["team_id"]: r for r in clients["qa"].get("/api/scorecards?period=2026-09").json()[
            "team_ranking"
        ]
    }  # fmt: skip
    assert ranking["t-cards"]["agents"] == 3  # a-li, a-wang and a-sun, who was still there
    assert ranking["t-loans"]["agents"] == 1  # a-zhao


def test_rows_from_before_the_team_column_follow_the_current_team(clients, guarded):
    from storage.schema import AgentScorecard

    def set_team(team: str | None) -> None:
        store = open_store(guarded)
        try:
            with store.session() as session:
                session.execute(
                    update(AgentScorecard)
                    .where(AgentScorecard.agent_id == MOVER, AgentScorecard.period == "2026-08")
                    .values(team_id=team)
                )
        finally:
            store.close()

    set_team(None)  # as computed before migration 0004
    try:
        assert "2026-08" in periods_seen(clients["sup-loans"], MOVER)[0]
        assert "2026-08" not in periods_seen(clients["sup"], MOVER)[0]
    finally:
        set_team("t-cards")
    assert "2026-08" in periods_seen(clients["sup"], MOVER)[0]


def test_below_standard_streaks_show_only_the_months_spent_in_the_viewers_team(clients, guarded):
    from storage.schema import AgentScorecard

    def set_below(below: bool) -> None:
        store = open_store(guarded)
        try:
            with store.session() as session:
                session.execute(
                    update(AgentScorecard)
                    .where(AgentScorecard.agent_id == MOVER, AgentScorecard.kind == "month")
                    .values(meets_standard=not below)
                )
        finally:
            store.close()

    def streaks(user: str, period: str) -> dict[str, list[str]]:
        data = clients[user].get(f"/api/scorecards?period={period}").json()
        return {s["agent_id"]: s["months"] for s in data["streaks"]}

    set_below(True)  # below standard in August, September and October
    try:
        assert streaks("qa", "2026-10")[MOVER] == ["2026-08", "2026-09", "2026-10"]
        assert streaks("sup", "2026-09")[MOVER] == ["2026-08", "2026-09"]
        # October is the new team's only month: the old team's totals are not shown
        assert MOVER not in streaks("sup-loans", "2026-10")
    finally:
        set_below(False)


# --- item 9: bounded page numbers, bounded comments --------------------------------------

HUGE = str(10**30)


@pytest.mark.parametrize("page", [HUGE, "-5", "0", "abc", "1e9", "9" * 5000])
def test_page_numbers_never_crash_the_pages(clients, page):
    r = clients["admin"].get("/audit", params={"page": page})
    assert r.status_code == 200, r.text[:300]
    assert re.search(r"page \d+ of \d+|entr", r.text)
    r = clients["qa"].get("/queue", params={"page": page})
    assert r.status_code == 200


@pytest.mark.parametrize("page", [HUGE, "-5", "0", "abc"])
def test_page_numbers_in_the_api_are_clamped_or_refused(clients, page):
    for client, url in ((clients["admin"], "/api/audit"), (clients["qa"], "/api/calls")):
        r = client.get(url, params={"page": page})
        assert r.status_code in (200, 400, 422), (url, page, r.status_code)
        if r.status_code == 200:
            data = r.json()
            assert data["page"] <= data["pages"]
            assert page == HUGE and data["page"] == data["pages"]


def test_audit_pages_past_the_last_show_the_last(clients):
    data = clients["admin"].get("/api/audit", params={"page": HUGE}).json()
    assert data["page"] == data["pages"] >= 1 and data["entries"]


LONG = "很" * 2001


def test_comments_and_escalation_reasons_are_bounded(clients, guarded):
    from storage.schema import QAReview

    qa = clients["qa"]
    call = "ev02-debit-freeze-verify-after"
    review = {"rule_id": "identity_verification", "verdict": "confirmed"}
    r = qa.post(f"/api/calls/{call}/reviews", json={**review, "comment": LONG})
    assert r.status_code == 422
    r = qa.post(f"/calls/{call}/review", data={**review, "comment": LONG})
    assert r.status_code == 400 and "2,000" in r.text
    r = qa.post(f"/api/calls/{call}/escalate", json={"comment": LONG})
    assert r.status_code == 422
    r = qa.post(f"/calls/{call}/escalate", data={"comment": LONG})
    assert r.status_code == 400
    store = open_store(guarded)
    try:
        with store.session() as session:
            longest = session.scalar(select(func.max(func.length(QAReview.comment))))
    finally:
        store.close()
    assert (longest or 0) <= 2000
    ok = qa.post(f"/api/calls/{call}/reviews", json={**review, "comment": LONG[:2000]})
    assert ok.status_code == 200, ok.text


def test_the_openapi_description_states_the_limits(clients):
    spec = clients["qa"].get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["ReviewIn"]["properties"]["comment"]["maxLength"] == 2000
    assert schemas["EscalateIn"]["properties"]["comment"]["maxLength"] == 2000
    assert json.dumps(spec)  # serialisable, no crash


# --- the same on PostgreSQL, the production store -----------------------------------------


def test_transfer_scoping_audit_and_bounds_on_postgresql(tmp_path_factory, pg_cluster):
    from console import FolderAudio, create_app

    url = pg_cluster.create_database("callqa_console_guard")
    data = build_guarded_store(tmp_path_factory.mktemp("pg-guard"), url)
    assert stored_teams(data, MOVER)["2026-09"] == "t-cards"
    app = create_app(data.store_url, FolderAudio(data.results))

    def signed_in(username: str) -> TestClient:
        client = TestClient(app, headers=ORIGIN, base_url=BASE)
        r = client.post("/api/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return client

    sup_cards, sup_loans, qa = signed_in("sup"), signed_in("sup-loans"), signed_in("qa")
    assert periods_seen(sup_cards, MOVER) == (["2026-08", "2026-09"], ["2026Q3"])
    assert periods_seen(sup_loans, MOVER) == (["2026-10"], ["2026Q4"])
    ranking = qa.get("/api/scorecards?period=2026-09").json()["team_ranking"]
    assert {r["team_id"]: r["agents"] for r in ranking} == {"t-cards": 3, "t-loans": 1}
    assert sup_loans.get("/scorecards?period=2026-10").status_code == 200
    qa.get("/api/calls", params={"q": SEARCH_TERM, "page": HUGE})
    assert last_audit(data, "qa").action == "search_transcripts"
    qa.get(f"/compliance/rules/{FAILED_RULE}")
    assert last_audit(data, "qa").action == "view_evidence"
    admin = signed_in("admin")
    assert admin.get("/audit", params={"page": HUGE}).status_code == 200
    assert admin.get("/api/audit", params={"page": HUGE}).json()["entries"]


def test_a_quarter_shows_a_viewer_only_the_months_spent_in_their_team():
    """An agent who moved mid-quarter: the quarter belongs to the team of most of its calls,
    but its month-by-month list must not show that team's supervisor the month spent in the
    other team."""
    from console.permissions import Principal
    from console.scorecard_views import scorecard_json
    from console.services import Ctx
    from storage.reads.scorecards import PeriodCard

    months = {
        "2026-07": {"team_id": "t-loans", "calls": 3, "total": 71.0},
        "2026-08": {"team_id": "t-cards", "calls": 9, "total": 88.0},
        "2026-09": {"team_id": "t-cards", "calls": 8, "total": 90.0},
    }
    quarter = PeriodCard(
        agent_id=MOVER,
        period="2026Q3",
        kind="quarter",
        team_id="t-cards",
        calls=20,
        business=80.0,
        service=85.0,
        compliance=90.0,
        total=85.0,
        meets_standard=True,
        rank=None,
        details={"kind": "quarter", "months": months},
        computed_at=datetime(2026, 10, 1),
    )

    def shown(principal: Principal) -> list[str]:
        ctx = Ctx(session=None, who=principal, policy=None, rule_titles={}, client=None, cache=None)
        return sorted(scorecard_json(quarter, ctx)["details"]["months"])

    assert shown(Principal("sup", "supervisor", team_id="t-cards")) == ["2026-08", "2026-09"]
    assert shown(Principal("sup2", "supervisor", team_id="t-loans")) == ["2026-07"]
    assert shown(Principal("qa", "qa_lead")) == ["2026-07", "2026-08", "2026-09"]
    assert shown(Principal("sun", "agent", agent_id=MOVER)) == ["2026-07", "2026-08", "2026-09"]
