"""The web console through FastAPI's TestClient against a real SQLite store: sign-in, each
role refused what it may not see (pages and API), the audit log, range requests, reviews."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tests import console_fixtures
from tests.console_fixtures import PASSWORD, ConsoleData, audit_rows

console_data = console_fixtures.console_data  # the store fixture, shared by these tests

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(scope="module")
def app(console_data: ConsoleData):
    from console import FolderAudio, create_app

    return create_app(
        console_data.store_url, FolderAudio(console_data.results), allowed_hosts=["testserver"]
    )


def client_for(app, username: str | None) -> TestClient:
    client = TestClient(app, headers=ORIGIN)
    if username is not None:
        r = client.post("/api/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
    return client


@pytest.fixture(scope="module")
def clients(app) -> dict[str, TestClient]:
    return {name: client_for(app, name) for name in ("admin", "qa", "comp", "sup", "li")}


# --- sign-in ----------------------------------------------------------------------------


def test_pages_redirect_to_sign_in_and_api_answers_401(app):
    anonymous = client_for(app, None)
    r = anonymous.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/queue")
    for path in ("/api/calls", "/api/openapi.json", "/api/calls/ev01-cc-loss-ok/audio"):
        assert anonymous.get(path).status_code == 401, path


def test_wrong_password_is_refused_and_recorded(app, console_data):
    client = client_for(app, None)
    r = client.post("/login", data={"username": "qa", "password": "wrong password"})
    assert r.status_code == 401 and "Wrong username or password" in r.text
    assert "callqa_session" not in client.cookies
    assert audit_rows(console_data, username="qa", action="sign_in_failed")


def test_sign_in_form_sets_a_strict_httponly_cookie(app):
    client = client_for(app, None)
    r = client.post(
        "/login",
        data={"username": "comp", "password": PASSWORD, "next": "/compliance"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/compliance"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/compliance").status_code == 200


def test_a_forged_or_tampered_cookie_is_not_a_session(app, clients):
    value = clients["li"].cookies["callqa_session"]
    forged = TestClient(app, headers=ORIGIN)
    forged.cookies.set("callqa_session", ("B" if value[0] == "A" else "A") + value[1:])
    assert forged.get("/api/me").status_code == 401


def test_posts_from_another_origin_are_refused(app, clients):
    call_id = "ev03-transfer-limit-let-me-check"
    r = clients["qa"].post(
        f"/calls/{call_id}/escalate",
        data={"comment": "cross-site"},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    bare = TestClient(app)  # no Origin, no Referer
    bare.cookies = clients["qa"].cookies
    assert bare.post(f"/api/calls/{call_id}/escalate", json={"comment": "x"}).status_code == 403


# --- the queue --------------------------------------------------------------------------


def test_queue_puts_critical_failures_first_then_flagged_then_lowest_score(clients):
    calls = clients["qa"].get("/api/calls").json()["calls"]
    assert len(calls) == 8
    keys = [(-c["severity"], not c["flagged"], c["score"]) for c in calls]
    assert keys == sorted(keys)
    assert calls[0]["severity"] > 0
    assert all(c["severity"] == 0 for c in calls if not c["flagged"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"team": "t-loans"},
            {
                "ev05-activation-no-result-cvv",
                "ev06-phone-change-no-id",
                "ev07-cc-cancel-retention-long",
            },
        ),
        (
            {"agent": "a-wang"},
            {"ev03-transfer-limit-let-me-check", "ev04-password-reset-no-risk-traditional"},
        ),
        (
            {"rule": "identity_verification"},
            {"ev02-debit-freeze-verify-after", "ev06-phone-change-no-id"},
        ),
        (
            {"date_from": "2026-10-01", "date_to": "2026-10-31"},
            {
                "ev04-password-reset-no-risk-traditional",
                "ev07-cc-cancel-retention-long",
                "ev08-bill-instalment-fees",
            },
        ),
        ({"q": "挂失"}, {"ev01-cc-loss-ok"}),
    ],
)
def test_queue_filters(clients, params, expected):
    calls = clients["qa"].get("/api/calls", params=params).json()["calls"]
    found = {c["id"] for c in calls}
    if "q" in params:
        assert expected <= found
    else:
        assert found == expected


def test_queue_sentiment_filter_splits_every_call_once(clients):
    seen: list[str] = []
    for band in ("negative", "neutral", "positive"):
        seen += [c["id"] for c in clients["qa"].get(f"/api/calls?sentiment={band}").json()["calls"]]
    assert sorted(seen) == sorted(set(seen))


def test_queue_is_scoped_to_the_supervisors_team_and_the_agents_own_calls(clients, console_data):
    sup = {c["id"] for c in clients["sup"].get("/api/calls").json()["calls"]}
    assert sup == set(console_data.calls_of(team="t-cards"))
    li = {c["id"] for c in clients["li"].get("/api/calls").json()["calls"]}
    assert li == set(console_data.calls_of(agent="a-li"))
    # filters cannot widen the scope
    assert clients["sup"].get("/api/calls?team=t-loans").json()["calls"] == []
    page = clients["li"].get("/queue?agent=a-zhao")
    assert page.status_code == 200 and "ev05" not in page.text


def test_queue_page_renders_badges_and_chinese_search(clients):
    page = clients["qa"].get("/queue", params={"q": "信用卡"})
    assert page.status_code == 200
    assert "ev01-cc-loss-ok" in page.text
    page = clients["qa"].get("/queue")
    assert 'class="badge critical"' in page.text


# --- the call page, transcript and audio ------------------------------------------------


def test_call_page_shows_the_redacted_transcript_and_never_the_source(clients):
    page = clients["qa"].get("/calls/ev02-debit-freeze-verify-after")
    assert page.status_code == 200
    assert 'class="turn agent"' in page.text and 'class="turn customer"' in page.text
    assert "<audio" in page.text and "/api/calls/ev02-debit-freeze-verify-after/audio" in page.text
    assert '<mark class="ev' in page.text  # evidence highlighted in the transcript
    assert "<svg" in page.text  # sentiment chart
    assert "/recordings/original" not in page.text
    data = clients["qa"].get("/api/calls/ev02-debit-freeze-verify-after").json()
    assert "/recordings/original" not in str(data)
    assert data["turns"] and data["rules"] and data["flags"]


def test_call_page_says_why_the_end_reads_thanked(clients):
    """ev03: the agent's 不客气 at turn 12 answers the customer's thanks."""
    page = clients["qa"].get("/calls/ev03-transfer-limit-let-me-check")
    assert "the agent answered thanks at turn 12" in page.text
    page = clients["qa"].get("/calls/ev02-debit-freeze-verify-after")
    assert page.status_code == 200 and "answered thanks" not in page.text


def test_every_look_at_a_transcript_or_recording_is_audited(clients, console_data):
    call_id = "ev08-bill-instalment-fees"
    target = f"call:{call_id}"
    before = len(audit_rows(console_data, target=target))
    clients["li"].get(f"/calls/{call_id}")
    clients["li"].get(f"/api/calls/{call_id}")
    clients["li"].get(f"/api/calls/{call_id}/audio", headers={"Range": "bytes=0-1023"})
    rows = audit_rows(console_data, target=target)[before:]
    assert [(r.username, r.action) for r in rows] == [
        ("li", "view_call"),
        ("li", "view_transcript"),
        ("li", "play_audio"),
    ]
    assert rows[-1].detail == "bytes=0-1023" and rows[-1].client


def test_audio_range_requests(clients, console_data):
    call_id = "ev01-cc-loss-ok"
    size = (console_data.results / "redacted" / f"{call_id}.wav").stat().st_size
    url = f"/api/calls/{call_id}/audio"
    r = clients["qa"].get(url, headers={"Range": "bytes=0-99"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 0-99/{size}"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-type"] == "audio/wav"
    assert len(r.content) == 100 and r.content.startswith(b"RIFF")
    r = clients["qa"].get(url, headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and len(r.content) == 10
    assert r.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"
    r = clients["qa"].get(url, headers={"Range": "bytes=1000-"})
    assert r.status_code == 206 and r.headers["content-range"].startswith("bytes 1000-")
    r = clients["qa"].get(url, headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
    r = clients["qa"].get(url)
    assert r.status_code == 200 and len(r.content) == size


@pytest.mark.parametrize(
    ("user", "call_id"),
    [
        ("sup", "ev05-activation-no-result-cvv"),  # another team's call
        ("li", "ev03-transfer-limit-let-me-check"),  # a colleague's call
        ("qa", "no-such-call"),
    ],
)
def test_calls_out_of_scope_are_not_found(clients, user, call_id):
    for path in (f"/calls/{call_id}", f"/api/calls/{call_id}", f"/api/calls/{call_id}/audio"):
        assert clients[user].get(path).status_code == 404, path


def test_admin_sees_no_call_content(clients, console_data):
    for path in (
        "/queue",
        "/calls/ev01-cc-loss-ok",
        "/api/calls",
        "/api/calls/ev01-cc-loss-ok",
        "/api/calls/ev01-cc-loss-ok/audio",
        "/compliance",
        "/scorecards",
    ):
        assert clients["admin"].get(path).status_code == 403, path
    assert audit_rows(console_data, username="admin", action="denied")


# --- QA actions -------------------------------------------------------------------------


def test_overturning_a_critical_failure_changes_the_score(clients):
    call_id = "ev06-phone-change-no-id"
    before = clients["qa"].get(f"/api/calls/{call_id}").json()
    assert before["severity"] == 1
    page = clients["qa"].post(
        f"/calls/{call_id}/review",
        data={
            "rule_id": "identity_verification",
            "verdict": "overturned",
            "comment": "verified by SMS code before the change",
        },
    )
    assert page.status_code == 200 and "Saved: the score is now" in page.text
    after = clients["qa"].get(f"/api/calls/{call_id}").json()
    assert after["score"] > before["score"]
    assert after["severity"] == 0 and after["reviewed"]
    rule = next(r for r in after["rules"] if r["rule_id"] == "identity_verification")
    assert rule["effective_outcome"] == "passed" and rule["outcome"] == "failed"
    assert after["reviews"][0]["reviewer"] == "qa"


def test_review_via_the_api_and_its_checks(clients):
    call_id = "ev04-password-reset-no-risk-traditional"
    r = clients["qa"].post(
        f"/api/calls/{call_id}/reviews", json={"rule_id": "risk_disclosure", "verdict": "confirmed"}
    )
    assert r.status_code == 200 and isinstance(r.json()["score"], float)
    r = clients["qa"].post(
        f"/api/calls/{call_id}/reviews",
        json={"rule_id": "risk_disclosure", "verdict": "overturned"},
    )
    assert r.status_code == 400  # overturning needs a reason
    r = clients["qa"].post(
        f"/api/calls/{call_id}/reviews", json={"rule_id": "nope", "verdict": "confirmed"}
    )
    assert r.status_code == 400


@pytest.mark.parametrize("user", ["comp", "sup", "li", "admin"])
def test_only_qa_leads_review_and_mark_training_cases(clients, user):
    call_id = "ev02-debit-freeze-verify-after"
    review = {"rule_id": "identity_verification", "verdict": "confirmed", "comment": "x"}
    assert clients[user].post(f"/api/calls/{call_id}/reviews", json=review).status_code == 403
    assert clients[user].post(f"/calls/{call_id}/review", data=review).status_code == 403
    assert (
        clients[user].post(f"/api/calls/{call_id}/training", json={"on": True}).status_code == 403
    )


def test_training_case_and_escalation(clients):
    call_id = "ev03-transfer-limit-let-me-check"
    assert clients["qa"].post(f"/calls/{call_id}/training", data={"on": "1"}).status_code == 200
    r = clients["sup"].post(f"/api/calls/{call_id}/escalate", json={"comment": "consent missing"})
    assert r.status_code == 200
    data = clients["qa"].get(f"/api/calls/{call_id}").json()
    assert data["training_case"] and data["escalated"]
    assert call_id in {c["id"] for c in clients["qa"].get("/api/calls?training=1").json()["calls"]}
    # an agent may not escalate, a supervisor not outside the team
    assert (
        clients["li"].post("/api/calls/ev01-cc-loss-ok/escalate", json={"comment": "x"}).status_code
        == 403
    )
    assert (
        clients["sup"]
        .post("/api/calls/ev05-activation-no-result-cvv/escalate", json={"comment": "x"})
        .status_code
        == 404
    )


# --- compliance -------------------------------------------------------------------------


def test_compliance_adherence_per_rule_team_and_month(clients):
    data = clients["comp"].get("/api/compliance?by=team").json()
    overall = {r["rule_id"]: r for r in data["overall"]}
    assert set(overall) >= {"greeting", "identity_verification", "customer_consent"}
    for row in data["overall"]:
        applicable = row["passed"] + row["failed"]
        assert row["adherence"] == (row["passed"] / applicable if applicable else None)
    teams = {r["group"] for r in data["grouped"]}
    assert teams == {"t-cards", "t-loans"}
    assert data["trend"]["months"] == ["2026-08", "2026-09", "2026-10"]
    by_agent = clients["comp"].get("/api/compliance?by=agent&month_from=2026-10").json()
    assert {r["group"] for r in by_agent["grouped"]} == {"a-wang", "a-chen", "a-li"}


def test_compliance_drill_down_lists_failing_calls_with_evidence(clients):
    data = clients["comp"].get("/api/compliance/rules/customer_consent/calls").json()
    assert "ev03-transfer-limit-let-me-check" in {c["call_id"] for c in data["calls"]}
    page = clients["comp"].get("/compliance/rules/customer_consent")
    assert page.status_code == 200 and "ev03-transfer-limit-let-me-check" in page.text


def test_supervisor_compliance_is_their_team_only(clients):
    data = clients["sup"].get("/api/compliance?by=team").json()
    assert {r["group"] for r in data["grouped"]} == {"t-cards"}


def test_exports_csv_and_xlsx(clients):
    r = clients["comp"].get("/api/compliance/export.csv?by=rule")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("rule_id,rule,group_by") and len(lines) > 5
    r = clients["comp"].get("/api/compliance/export.xlsx?by=team")
    assert r.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet["A1"].value == "rule_id" and sheet.max_row > 5
    assert clients["sup"].get("/api/compliance/export.csv").status_code == 403


@pytest.mark.parametrize("user", ["li", "admin"])
def test_agents_and_admins_get_no_compliance_view(clients, user):
    assert clients[user].get("/compliance").status_code == 403
    assert clients[user].get("/api/compliance").status_code == 403
    assert clients[user].get("/api/compliance/export.csv").status_code == 403


# --- scorecards -------------------------------------------------------------------------


def test_scorecards_month_quarter_and_ranking(clients):
    data = clients["qa"].get("/api/scorecards?period=2026-09").json()
    assert {c["agent_id"] for c in data["scorecards"]} == {"a-li", "a-wang", "a-zhao"}
    assert {r["team_id"] for r in data["team_ranking"]} == {"t-cards", "t-loans"}
    assert data["quarters"] == ["2026Q3"]
    quarter = clients["qa"].get("/api/scorecards?period=2026Q3").json()
    assert {c["kind"] for c in quarter["scorecards"]} == {"quarter"}
    page = clients["qa"].get("/scorecards?period=2026-09")
    assert (
        page.status_code == 200 and "Team ranking" in page.text and "@media print" not in page.text
    )


def test_supervisor_and_agent_scorecards_are_scoped(clients):
    data = clients["sup"].get("/api/scorecards?period=2026-09").json()
    assert {c["agent_id"] for c in data["scorecards"]} == {"a-li", "a-wang"}
    assert clients["sup"].get("/api/agents/a-zhao/scorecards").status_code == 404
    assert clients["li"].get("/api/agents/a-li/scorecards").status_code == 200
    assert clients["li"].get("/api/agents/a-wang/scorecards").status_code == 404
    r = clients["li"].get("/scorecards", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/scorecards/agents/a-li"
    assert clients["li"].get("/scorecards/agents/a-li").status_code == 200


# --- admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["qa", "comp", "sup", "li"])
def test_only_admins_see_the_audit_log_and_users(clients, user):
    assert clients[user].get("/audit").status_code == 403
    assert clients[user].get("/api/audit").status_code == 403
    assert clients[user].get("/users").status_code == 403


def test_admin_audit_log_page_and_api(clients):
    clients["qa"].get("/calls/ev07-cc-cancel-retention-long")
    data = clients["admin"].get("/api/audit?target=call:ev07-cc-cancel-retention-long").json()
    assert data["entries"][0]["username"] == "qa" and data["entries"][0]["action"] == "view_call"
    page = clients["admin"].get("/audit")
    assert page.status_code == 200 and "view_call" in page.text
    assert "qa_lead" in clients["admin"].get("/users").text


def test_openapi_description_needs_sign_in_and_lists_the_api(clients):
    spec = clients["li"].get("/api/openapi.json").json()
    assert "/api/calls/{call_id}/audio" in spec["paths"]
    assert "/queue" not in spec["paths"]  # pages are not part of the API description


# --- outcomes sent to review (issue 9) ---------------------------------------------------


def test_outcomes_sent_to_review_are_counted_filtered_and_decided(clients, console_data):
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from storage.database import Store
    from storage.results import CallRecord, save_call

    # a card-loss call whose operation was not recognised: its transaction rules go to review
    turns = [
        ("agent", "您好，云川银行，工号3017，很高兴为您服务。"),
        ("customer", "你好，我要挂失我的卡。"),
        ("agent", "好的，请提供一下身份证后四位。"),
        ("customer", "3826。"),
        ("agent", "嗯好，那个稍等哈，嗯，可以了。请问还有其他可以帮您的吗？"),
        ("customer", "没有了。"),
        ("agent", "感谢您的来电，再见。"),
    ]
    transcript = Transcript.from_dict(
        {
            "call_id": "rv-half-heard",
            "audio": {"duration": 60.0, "channels": 2},
            "turns": [
                {"speaker": who, "start": 8.0 * i, "end": 8.0 * i + 6, "text": text}
                for i, (who, text) in enumerate(turns)
            ],
        }
    )
    redacted, analysis = load_analyser().analyse(transcript)
    review = [r.id for r in analysis.rules if r.outcome == "needs_review"]
    assert "customer_consent" in review
    store = Store(console_data.store_url, migrate_schema=False)
    try:
        with store.session() as session:
            save_call(
                session,
                CallRecord(
                    call_id="rv-half-heard",
                    source="/recordings/original/rv-half-heard.wav",
                    source_version="v1",
                    models="hand-built",
                    agent_id="a-li",
                    agent_name="李娜",
                    team_id="t-cards",
                    started_at=datetime(2026, 9, 21, 9, 0),
                ),
                redacted,
                analysis,
            )
    finally:
        store.close()

    queue = clients["qa"].get("/api/calls", params={"outcome": "needs_review"}).json()
    assert [c["id"] for c in queue["calls"]] == ["rv-half-heard"]
    assert queue["to_review"] == 1
    page = clients["qa"].get("/queue")
    assert 'id="to-review"' in page.text and "1 call needs review" in page.text
    call = clients["qa"].get("/api/calls/rv-half-heard").json()
    consent = next(r for r in call["rules"] if r["rule_id"] == "customer_consent")
    assert consent["effective_outcome"] == "needs_review"
    assert consent["leaning"] == "not_applicable" and consent["confidence"] < 0.6
    assert any(f.startswith("needs review:") for f in call["flags"])

    # confirm/overturn make no sense on it: the QA lead decides
    r = clients["qa"].post(
        "/api/calls/rv-half-heard/reviews",
        json={"rule_id": "customer_consent", "verdict": "confirmed"},
    )
    assert r.status_code == 400 and "decide" in r.text
    for rule_id in review:
        r = clients["qa"].post(
            "/api/calls/rv-half-heard/reviews",
            json={"rule_id": rule_id, "verdict": "decided", "decision": "failed", "comment": "x"},
        )
        assert r.status_code == 200, r.text
    after = clients["qa"].get("/api/calls/rv-half-heard").json()
    consent = next(r for r in after["rules"] if r["rule_id"] == "customer_consent")
    assert consent["effective_outcome"] == "failed"
    assert after["severity"] >= 1  # a critical rule decided failed now counts
    assert not any(f.startswith("needs review:") for f in after["flags"])
    assert clients["qa"].get("/api/calls", params={"outcome": "needs_review"}).json()["total"] == 0
