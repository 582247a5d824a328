"""The console's queries on PostgreSQL (the production store), not only on SQLite: the
queue with its filters and search, a call, compliance by team and month, scorecards, and a
review that changes the score."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.console_fixtures import PASSWORD, build_console_store

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(scope="module")
def pg_console(tmp_path_factory, pg_cluster):
    from console import FolderAudio, create_app

    url = pg_cluster.create_database("callqa_console")
    data = build_console_store(tmp_path_factory.mktemp("pg-console"), url)
    app = create_app(data.store_url, FolderAudio(data.results), allowed_hosts=["testserver"])

    def signed_in(username: str) -> TestClient:
        client = TestClient(app, headers=ORIGIN)
        r = client.post("/api/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return client

    return data, signed_in


def test_queue_search_and_call_on_postgresql(pg_console):
    data, signed_in = pg_console
    qa = signed_in("qa")
    calls = qa.get("/api/calls").json()["calls"]
    assert len(calls) == len(data.calls)
    severities = [c["severity"] for c in calls]
    assert severities == sorted(severities, reverse=True)
    found = qa.get("/api/calls", params={"q": "挂失"}).json()["calls"]
    assert found and len(found) < len(calls)
    first = qa.get(f"/api/calls/{calls[0]['id']}").json()
    assert first["rules"] and first["turns"]


def test_compliance_and_scorecards_on_postgresql(pg_console):
    _, signed_in = pg_console
    comp = signed_in("comp")
    by_team = comp.get("/api/compliance?by=team").json()
    assert {r["group"] for r in by_team["grouped"]} == {"t-cards", "t-loans"}
    assert by_team["trend"]["months"] == ["2026-08", "2026-09", "2026-10"]
    assert comp.get("/api/compliance/export.xlsx?by=month").status_code == 200
    qa = signed_in("qa")
    assert qa.get("/api/scorecards?period=2026Q3").json()


def test_an_overturned_review_changes_the_score_on_postgresql(pg_console):
    _, signed_in = pg_console
    qa = signed_in("qa")
    call_id = "ev02-debit-freeze-verify-after"
    before = qa.get(f"/api/calls/{call_id}").json()
    failed = next(r for r in before["rules"] if r["effective_outcome"] == "failed")
    r = qa.post(
        f"/api/calls/{call_id}/reviews",
        json={"rule_id": failed["rule_id"], "verdict": "overturned", "comment": "said later"},
    )
    assert r.status_code == 200, r.text
    after = qa.get(f"/api/calls/{call_id}").json()
    assert after["score"] > before["score"]
