"""The Live page and its event stream (issue 12): the real console app through TestClient
(and one real browser) over the real SQLite store, with live calls written through
``storage.live.LiveStore`` as ``callqa live`` writes them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import console_fixtures
from tests.console_fixtures import PASSWORD, ConsoleData, audit_rows, serving_on_loopback
from tests.test_console_browser import browser, shot, signed_in  # noqa: F401 (fixture)

console_data = console_fixtures.console_data  # the store fixture, built for this module

HOST = "testserver"
STREAM = {"Accept": "text/event-stream"}


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    data: dict


def parse_events(text: str) -> list[Event]:
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields and fields["event"] != "end":
            events.append(Event(fields.get("id", ""), fields["event"], json.loads(fields["data"])))
    return events


@pytest.fixture(scope="module")
def live(console_data: ConsoleData) -> Iterator:
    from storage.database import Store
    from storage.live import LiveStore

    store = Store(console_data.store_url)
    yield LiveStore(store)
    store.close()


@pytest.fixture(scope="module")
def app(console_data: ConsoleData) -> FastAPI:
    from console import FolderAudio, create_app
    from console.live_views import LiveSettings

    made = create_app(
        console_data.store_url, FolderAudio(console_data.results), allowed_hosts=[HOST]
    )
    made.state.live_settings = LiveSettings(poll_seconds=0.05, stream_seconds=4.0)
    return made


def client_for(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app, headers={"Origin": f"http://{HOST}"})
    r = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client


def open_call(live, call_id: str, agent: str | None) -> None:
    from storage.live import utcnow

    live.open_call(call_id, agent, utcnow(), f"ws://pbx/{call_id}")


def test_a_supervisor_sees_only_their_teams_live_calls(app, live, console_data):
    open_call(live, "scope-cards", "a-li")  # t-cards, the supervisor's team
    open_call(live, "scope-loans", "a-zhao")  # t-loans
    live.add_segment("scope-loans", 0.0, 2.0, "customer", "贷款那边的话")
    sup, qa = client_for(app, "sup"), client_for(app, "qa")

    page = sup.get("/live")
    assert page.status_code == 200
    assert "scope-cards" in page.text and "scope-loans" not in page.text
    assert "贷款那边的话" not in page.text
    assert 'href="/live"' in page.text  # the navigation offers the page
    assert "scope-loans" in qa.get("/live").text

    everything = parse_events(sup.get("/live/stream").text)
    assert {e.data["call_id"] for e in everything if e.kind == "segment"} <= {"scope-cards"}
    assert "scope-loans" not in {e.data["id"] for e in everything if e.kind == "call"}

    # another team's call: 404 (not confirmed to exist), and the refusal is audited
    assert sup.get("/live/stream", params={"call": "scope-loans"}).status_code == 404
    assert sup.get("/live", params={"call": "scope-loans"}).status_code == 404
    denied = audit_rows(console_data, username="sup", action="denied")
    assert {row.target for row in denied} >= {"/live/stream", "/live"}
    assert qa.get("/live/stream", params={"call": "scope-loans"}).status_code == 200


@pytest.mark.parametrize("username", ["comp", "li", "admin"])
def test_roles_without_live_listening_get_403_and_no_link(app, username):
    client = client_for(app, username)
    assert client.get("/live").status_code == 403
    assert client.get("/live/stream").status_code == 403
    start = client.get("/queue" if username != "admin" else "/audit")
    assert 'href="/live"' not in start.text


def test_segments_and_alerts_stream_in_order_and_resume_after_last_event_id(app, live):
    open_call(live, "order-1", "a-li")
    for i in range(3):
        live.add_segment("order-1", i * 2.0, i * 2.0 + 1.5, "agent", f"第{i}句")
    live.add_alert("order-1", 3.2, "rule_x", "critical", "第1句")
    qa = client_for(app, "qa")

    first = parse_events(qa.get("/live/stream", params={"call": "order-1"}).text)
    assert [e.kind for e in first] == ["call", "segment", "segment", "segment", "alert"]
    assert [e.data.get("text") for e in first[1:4]] == ["第0句", "第1句", "第2句"]
    assert first[4].data["rule"] == "rule_x" and first[4].data["t"] == 3.2
    segment_ids = [e.data["id"] for e in first[1:4]]
    assert segment_ids == sorted(segment_ids)

    live.add_segment("order-1", 6.0, 7.5, "customer", "第3句")
    live.add_alert("order-1", 7.0, "rule_y", "major", "第3句")
    assert live.add_alert("order-1", 7.4, "rule_x", "critical", "again") is False
    resumed = parse_events(
        qa.get(
            "/live/stream", params={"call": "order-1"}, headers={"Last-Event-ID": first[-1].id}
        ).text
    )
    assert [
        (e.kind, e.data.get("text") or e.data.get("rule") or e.data["id"]) for e in resumed
    ] == [
        ("call", "order-1"),  # the card, sent on every connection
        ("segment", "第3句"),
        ("alert", "rule_y"),
    ]
    # the page's own mark: nothing the page already showed comes again but what was
    # written after it
    assert qa.get("/live/stream", headers={"Last-Event-ID": "s-1-a0"}).status_code == 400
    assert qa.get("/live/stream", params={"after": "nonsense"}).status_code == 400


def test_a_listening_stream_delivers_what_is_written_while_it_is_open(app, live):
    open_call(live, "while-1", "a-li")
    sup = client_for(app, "sup")

    def write_later() -> None:
        time.sleep(0.4)
        live.add_segment("while-1", 10.0, 12.0, "agent", "你烦不烦啊")
        live.add_alert("while-1", 11.0, "rule_x", "critical", "你烦不烦")

    writer = threading.Thread(target=write_later)
    started = time.monotonic()
    seen: list[str] = []
    with sup.stream("GET", "/live/stream", params={"call": "while-1"}, headers=STREAM) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"].startswith("no-store")
        writer.start()
        for line in r.iter_lines():
            if line.startswith("event: "):
                seen.append(line.removeprefix("event: "))
            if "alert" in seen:
                break
    writer.join()
    assert seen == ["call", "segment", "alert"]
    assert time.monotonic() - started < 3.5  # within the stream's life, not at its end


def test_every_page_and_stream_read_is_audited_with_the_calls_shown(app, live, console_data):
    open_call(live, "audit-1", "a-li")
    live.add_segment("audit-1", 0.0, 1.0, "agent", "您好")
    sup = client_for(app, "sup")
    before = len(audit_rows(console_data, username="sup"))
    sup.get("/live")
    sup.get("/live", params={"call": "audit-1"})
    sup.get("/live/stream", params={"call": "audit-1"})
    rows = audit_rows(console_data, username="sup")[before:]
    assert [(r.action, r.target) for r in rows] == [
        ("view_live", "live"),
        ("view_live", "live:audit-1"),
        ("stream_live", "live:audit-1"),
    ]
    assert "audit-1" in rows[0].detail and rows[0].client
    assert rows[2].detail == "calls streamed: audit-1"


def test_a_call_that_appears_during_a_stream_is_audited_when_it_is_sent(app, live, console_data):
    sup = client_for(app, "sup")
    before = len(audit_rows(console_data, username="sup", action="stream_live"))

    def open_later() -> None:
        time.sleep(0.3)
        open_call(live, "appears-1", "a-li")

    opener = threading.Thread(target=open_later)
    with sup.stream("GET", "/live/stream", headers=STREAM) as r:
        opener.start()
        for line in r.iter_lines():
            if line.startswith("data: ") and '"appears-1"' in line:
                break
    opener.join()
    rows = audit_rows(console_data, username="sup", action="stream_live")[before:]
    assert rows[-1].detail == "calls newly streamed: appears-1"


def test_a_closed_call_shows_why_it_ended(app, live):
    open_call(live, "dropped-1", "a-li")
    live.add_segment("dropped-1", 0.0, 1.0, "customer", "喂？")
    live.close_call("dropped-1", "stream stopped without an end message", "/spool/dropped-1.raw")
    sup = client_for(app, "sup")
    page = sup.get("/live", params={"call": "dropped-1"}).text
    assert "Closed: stream stopped without an end message" in page
    assert "kept for the batch analysis" in page
    assert "/spool/" not in page  # where the audio lies is not the viewer's business
    [card] = [
        e for e in parse_events(sup.get("/live/stream").text) if e.data.get("id") == "dropped-1"
    ]
    assert card.kind == "call" and card.data["in_progress"] is False
    assert card.data["close_reason"] == "stream stopped without an end message"


def test_transcript_text_stays_text(app, live):
    open_call(live, "xss-1", "a-li")
    live.add_segment("xss-1", 0.0, 1.0, "customer", '<script>alert("x")</script>\n\ndata: {}')
    live.add_alert("xss-1", 0.5, "<b>rule</b>", "<i>", "<img src=x onerror=alert(1)>")
    qa = client_for(app, "qa")
    page = qa.get("/live", params={"call": "xss-1"}).text
    assert '<script>alert("x")' not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    body = qa.get("/live/stream", params={"call": "xss-1"}).text
    events = parse_events(body)  # the newlines in the text cannot end an event early
    [segment] = [e for e in events if e.kind == "segment"]
    assert segment.data["text"] == '<script>alert("x")</script>\n\ndata: {}'
    assert [e.kind for e in events] == ["call", "segment", "alert"]


def test_signing_out_ends_a_listening_stream(app, live):
    open_call(live, "signout-1", "a-li")
    sup = client_for(app, "sup")
    other = TestClient(app, headers={"Origin": f"http://{HOST}"}, cookies=sup.cookies)
    lines: list[str] = []
    started = time.monotonic()
    with sup.stream("GET", "/live/stream", params={"call": "signout-1"}, headers=STREAM) as r:
        for line in r.iter_lines():
            lines.append(line)
            if line == "event: call":
                assert other.delete("/api/session").status_code in (200, 204)
    assert "event: end" in lines
    assert time.monotonic() - started < 3.5  # ended by the sign-out, not by its life


def test_the_stream_mark_waits_for_ids_that_commit_late():
    from console.live_stream import GAP_GRACE, IdWatermark

    mark = IdWatermark(low=10)
    for row_id in (11, 13):  # 12 is not committed yet (PostgreSQL) or was rolled back
        mark.sent(row_id)
    mark.settle(now=100.0)
    assert mark.low == 11 and mark.is_new(12) and not mark.is_new(13)
    mark.settle(now=100.0 + GAP_GRACE / 2)
    assert mark.low == 11
    mark.sent(12)  # it came: everything up to 13 is sent
    mark.settle(now=100.0 + GAP_GRACE / 2)
    assert mark.low == 13 and not mark.above
    mark.sent(15)
    mark.settle(now=200.0)
    mark.settle(now=200.0 + GAP_GRACE + 0.1)  # 14 never came: given up
    assert mark.low == 15


# --- a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_server(console_data: ConsoleData) -> Iterator[str]:
    from console import FolderAudio, create_app
    from console.live_views import LiveSettings

    app = create_app(console_data.store_url, FolderAudio(console_data.results))  # loopback
    app.state.live_settings = LiveSettings(poll_seconds=0.1)
    with serving_on_loopback(app) as url:
        yield url


def test_the_page_in_a_browser_shows_an_alert_written_after_it_loaded(
    browser,  # noqa: F811 (the fixture)
    live_server,
    live,
):
    open_call(live, "browser-1", "a-li")
    live.add_segment("browser-1", 0.0, 1.5, "agent", "您好，请问有什么可以帮您")
    context, page = signed_in(browser, live_server, "sup")
    page.goto(f"{live_server}/live")
    page.wait_for_selector("#live-status[data-live='1']")
    page.wait_for_function(
        "() => document.getElementById('live-status').textContent.includes('Live')"
    )
    live.add_segment("browser-1", 2.0, 3.0, "customer", "<b>我的卡丢了</b>")
    live.add_alert("browser-1", 2.5, "rule_x", "critical", "你烦不烦")
    card = page.locator("section.live-call[data-call='browser-1']")
    card.locator(".live-alerts li .evidence").wait_for()
    assert card.locator(".live-alerts li .evidence").inner_text() == "你烦不烦"
    assert (
        card.locator("ol.transcript li").last.locator(".text").inner_text() == "<b>我的卡丢了</b>"
    )
    live.close_call("browser-1", "stream stopped without an end message", None)
    card.locator(".reason:not([hidden])").wait_for()
    assert "stream stopped without an end message" in card.locator(".reason").inner_text()
    shot(page, "20-live")
    context.close()
