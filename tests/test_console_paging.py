"""The scorecards and compliance pages at bank scale show a page of agents at a time (in
the page's own order, with the total and a page control), a supervisor still sees only
their team, and the exports and the API keep every row. A real store with 80 agents
in two teams: 60 in t-big, 20 in t-small, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

PASSWORD = "correct horse 7"
MONTH = "2026-09"
RULES = ("rule_a", "rule_b")
TEAMS = {"t-big": 60, "t-small": 20}
ORIGIN = {"Origin": "http://testserver"}


def _agents() -> list[tuple[str, str, float]]:
    """(agent, team, total): totals all different, so the order is the totals'."""
    out = []
    for team, count in TEAMS.items():
        for _ in range(count):
            n = len(out)
            out.append((f"a{n:03d}", team, round(30 + (n * 37 % 80) * 0.7, 1)))
    return out


def _groups(total: float, left_out: bool) -> dict:
    return {
        "business": {"score": None if left_out else total},
        "service": {"score": total},
        "compliance": {"score": total},
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    from console import FolderAudio, create_app
    from console.auth import create_user
    from storage.database import Store
    from storage.scale_schema import AdherenceCount
    from storage.schema import Agent, AgentScorecard, Team

    folder = tmp_path_factory.mktemp("paging")
    if request.param == "postgresql":  # the coaching test reads JSON: each dialect's own
        url = request.getfixturevalue("pg_cluster").create_database("callqa_paging")
    else:
        url = f"sqlite:///{folder / 'store.db'}"
    store = Store(url)
    with store.session() as session:
        for team in TEAMS:
            session.add(Team(id=team, name=team))
        session.flush()
        for agent_id, team, _total in _agents():
            session.add(Agent(id=agent_id, name=f"Agent {agent_id}", team_id=team))
        session.flush()
        for n, (agent_id, team, total) in enumerate(_agents()):
            left_out = n % 7 == 0  # business left out: stored as 0.0, not coaching material
            session.add(
                AgentScorecard(
                    agent_id=agent_id,
                    period=MONTH,
                    kind="month",
                    team_id=team,
                    calls=10,
                    business=0.0 if left_out else total,
                    service=total,
                    compliance=total,
                    total=total,
                    meets_standard=total >= 80,
                    rank=None,
                    details={"groups": _groups(total, left_out)},
                    computed_at=datetime(2026, 10, 1),
                )
            )
            for rule in RULES:
                for outcome, count in (("passed", 3 + n % 4), ("failed", 1 + n % 3)):
                    session.add(
                        AdherenceCount(
                            month=MONTH,
                            rule_id=rule,
                            team_id=team,
                            agent_id=agent_id,
                            outcome=outcome,
                            n=count,
                        )
                    )
        users = {
            "qa": ("qa_lead", None),
            "comp": ("compliance", None),
            "sup": ("supervisor", "t-big"),
        }
        for username, (role, team_id) in users.items():
            create_user(session, username, PASSWORD, role, team_id=team_id)
        session.commit()
    store.close()
    return create_app(url, FolderAudio(folder), allowed_hosts=["testserver"])


@pytest.fixture(scope="module")
def clients(app) -> dict[str, TestClient]:
    out = {}
    for name in ("qa", "comp", "sup"):
        client = TestClient(app, headers=ORIGIN)
        r = client.post("/api/session", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[name] = client
    return out


def _agent_rows(html: str) -> list[str]:
    """The agents of the scorecards page's Agents table, in order."""
    table = html.split("<h2>Agents", 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/scorecards/agents/([^"]+)">', table)


def _ordered(team: str | None = None) -> list[str]:
    rows = [(a, t, total) for a, t, total in _agents() if team in (None, t)]
    return [a for a, _, _ in sorted(rows, key=lambda r: (-r[2], r[0]))]


def test_scorecards_pages_follow_the_ranking(clients):
    qa = clients["qa"]
    first = qa.get(f"/scorecards?period={MONTH}")
    second = qa.get(f"/scorecards?period={MONTH}&page=2")
    assert first.status_code == second.status_code == 200
    assert _agent_rows(first.text) == _ordered()[:50]
    assert _agent_rows(second.text) == _ordered()[50:]
    assert "80 agents" in first.text and "page 1 of 2" in first.text
    assert f'href="/scorecards?period={MONTH}&amp;page=2"' in first.text
    beyond = qa.get(f"/scorecards?period={MONTH}&page=99")
    assert _agent_rows(beyond.text) == _ordered()[50:]  # past the last: the last


def test_scorecards_team_filter_and_supervisor_scope(clients):
    small = clients["qa"].get(f"/scorecards?period={MONTH}&team=t-small")
    assert _agent_rows(small.text) == _ordered("t-small")
    sup = clients["sup"]
    pages = [sup.get(f"/scorecards?period={MONTH}&page={n}").text for n in (1, 2)]
    assert _agent_rows(pages[0]) + _agent_rows(pages[1]) == _ordered("t-big")
    other = sup.get(f"/scorecards?period={MONTH}&team=t-small")
    assert _agent_rows(other.text) == []  # a team filter never widens the scope


def test_scorecards_coaching_list_matches_the_appraisal(clients):
    """The page's shortlist is ``coaching_list``'s first 50 (the API has them all); a group
    left out (0.0, its score null) does not put an agent on it."""
    api = clients["qa"].get(f"/api/scorecards?period={MONTH}").json()
    assert len(api["scorecards"]) == 80  # the API keeps every agent
    everyone = [c["agent_id"] for c in api["coaching"]]
    page = clients["qa"].get(f"/scorecards?period={MONTH}").text
    coaching = page.split("<h2>Coaching list</h2>", 1)[1].split("</table>", 1)[0]
    shown = re.findall(r'<a href="/scorecards/agents/([^"]+)">', coaching)
    assert len(everyone) > 50 and shown == everyone[:50]
    assert f"of {len(everyone)} agents" in page
    for entry in api["coaching"]:
        n = int(entry["agent_id"][1:])
        assert ("business" in entry["groups"]) == (n % 7 != 0)
    badges = {
        agent: "business" in row
        for agent, row in re.findall(r'agents/([^"]+)">[^<]*</a></td>(.*?)</tr>', coaching, re.S)
    }
    assert badges == {e["agent_id"]: "business" in e["groups"] for e in api["coaching"][:50]}


def _columns(html: str) -> list[str]:
    grid = html.split('class="data matrix"', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th class="num">([^<]+)</th>', grid)


def test_compliance_grid_pages_by_agent_and_exports_keep_all(clients):
    comp = clients["comp"]
    query = f"month_from={MONTH}&month_to={MONTH}&by=agent"
    agents = sorted(a for a, _, _ in _agents())
    first = comp.get(f"/compliance?{query}")
    second = comp.get(f"/compliance?{query}&page=2")
    assert _columns(first.text) == agents[:50]
    assert _columns(second.text) == agents[50:]
    assert "80 agents" in first.text and "page 1 of 2" in first.text
    # per rule still counts every agent, not the page's
    failed = sum(1 + n % 3 for n in range(80))
    assert f'<td class="num">{failed}</td>' in first.text
    exported = comp.get(f"/api/compliance/export.csv?{query}")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["group"] for r in rows} == set(agents)  # every agent, not one page
    assert len(rows) == 80 * len(RULES)
    xlsx = comp.get(f"/api/compliance/export.xlsx?{query}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 1 + 80 * len(RULES)


def test_compliance_grid_of_a_supervisor_is_their_team(clients):
    sup = clients["sup"]
    query = f"month_from={MONTH}&month_to={MONTH}&by=agent"
    big = sorted(a for a, t, _ in _agents() if t == "t-big")
    columns = _columns(sup.get(f"/compliance?{query}").text)
    columns += _columns(sup.get(f"/compliance?{query}&page=2").text)
    assert columns == big
