"""The web console in a real browser: Debian's chromium, headless, driven by Playwright,
against the console served by uvicorn on loopback. Screenshots of the main pages go to
test-output/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import console_fixtures
from tests.console_fixtures import PASSWORD, ConsoleData, serving_on_loopback

console_data = console_fixtures.console_data  # the store fixture, shared by these tests

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def server(console_data: ConsoleData) -> Iterator[str]:
    from console import FolderAudio, create_app

    app = create_app(console_data.store_url, FolderAudio(console_data.results))
    with serving_on_loopback(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/install_browser.sh (as root) to install "
            "Debian's chromium for the browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def signed_in(browser, server: str, username: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server}/queue")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return context, page


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_page(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "qa")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator(".alert").inner_text().startswith("Wrong username")
    shot(page, "01-sign-in")
    page.close()


def test_queue_call_playback_and_review(browser, server):
    context, page = signed_in(browser, server, "qa")
    assert page.url.endswith("/queue")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 8
    assert rows.first.locator(".badge.critical").count() >= 1  # critical failures first
    shot(page, "02-queue")

    page.fill("input[name=q]", "挂失")
    page.click("form.filters button.primary")
    page.wait_for_url(re.compile(r"q=%E6%8C%82%E5%A4%B1"))
    assert "ev01-cc-loss-ok" in page.locator("table.queue").inner_text()

    page.goto(f"{server}/calls/ev01-cc-loss-ok")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    shot(page, "03-call")
    # playing moves the highlighted line with the recording
    page.evaluate("() => document.getElementById('player').play()")
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.3")
    page.wait_for_selector("#transcript .turn.current")
    starts = page.eval_on_selector_all(
        "#transcript .turn", "lines => lines.map(l => parseFloat(l.dataset.start))"
    )
    assert len(starts) > 4
    # seeking: the highlight follows currentTime
    target = 4
    page.evaluate(
        "t => { document.getElementById('player').currentTime = t; }", starts[target] + 0.2
    )
    page.wait_for_selector(f"#turn-{target}.current")
    assert page.locator("#transcript .turn.current").count() == 1
    # a click on a line plays from there
    page.click("#turn-2 .text")
    page.wait_for_selector("#turn-2.current")
    current = page.evaluate("() => document.getElementById('player').currentTime")
    assert starts[2] - 0.01 <= current < starts[3]
    page.evaluate("() => document.getElementById('player').pause()")

    # overturning a critical failure raises the score on the page
    page.goto(f"{server}/calls/ev06-phone-change-no-id")
    before = float(page.locator(".score-card .big .score").inner_text())
    rule = page.locator("#rule-identity_verification")
    assert "failed" in rule.locator(".badge").first.inner_text()
    rule.locator("input[value=overturned]").check()
    rule.locator("input[name=comment]").fill("verified by SMS code before the change")
    rule.locator("button").click()
    page.wait_for_selector("#saved")
    after = float(page.locator(".score-card .big .score").inner_text())
    assert after > before
    assert "passed" in page.locator("#rule-identity_verification .badge").first.inner_text()
    shot(page, "04-call-after-review")
    context.close()


def test_compliance_and_scorecards(browser, server):
    context, page = signed_in(browser, server, "comp")
    page.goto(f"{server}/compliance")
    assert page.locator("svg.chart").count() == 1
    assert "Identity verified" in page.inner_text("main")
    shot(page, "05-compliance")
    page.click("text=failing calls →")
    assert page.locator("table.data tbody tr").count() >= 1
    page.goto(f"{server}/scorecards?period=2026-09")
    assert "Team ranking" in page.inner_text("main")
    shot(page, "06-scorecards")
    page.goto(f"{server}/scorecards/agents/a-li")
    assert "李娜" in page.inner_text("h1")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()  # the print stylesheet
    shot(page, "07-agent-report-print")
    context.close()


def test_each_role_is_refused_what_it_may_not_see(browser, server):
    context, page = signed_in(browser, server, "li")
    nav = page.inner_text("header nav")
    assert "Compliance" not in nav and "Audit log" not in nav
    assert page.locator("table.queue tbody tr").count() == 3  # own calls only
    page.goto(f"{server}/calls/ev05-activation-no-result-cvv")
    assert "Not found" in page.inner_text("h1")
    page.goto(f"{server}/compliance")
    assert "Not allowed" in page.inner_text("h1")
    shot(page, "08-agent-refused")
    context.close()

    context, page = signed_in(browser, server, "sup")
    page.goto(f"{server}/calls/ev06-phone-change-no-id")
    assert "Not found" in page.inner_text("h1")
    page.goto(f"{server}/calls/ev02-debit-freeze-verify-after")
    assert page.locator("form.review").count() == 0  # supervisors do not review
    assert page.locator("form.escalate").count() == 1
    context.close()

    context, page = signed_in(browser, server, "admin")
    page.goto(f"{server}/audit")
    text = page.inner_text("table.audit")
    assert "view_call" in text and "qa_review" in text and "denied" in text
    shot(page, "09-audit-log")
    page.goto(f"{server}/calls/ev01-cc-loss-ok")
    assert "Not allowed" in page.inner_text("h1")
    context.close()
