"""Call drivers through the batch path's store, the console and the CLI (issue 12): the real
analyser (e5 included) stores each call's drivers; the Drivers page and its drill-down are
scoped like the other pages and audited; survey comments are classified; the management
report comes out as CSV, XLSX and PDF; unmatched calls are grouped into suggestions."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests import console_fixtures
from tests.console_fixtures import EVAL_CALLS, PASSWORD, ConsoleData

console_data = console_fixtures.console_data  # the store fixture (real analyser, 8 calls)

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(scope="module")
def app(console_data: ConsoleData):
    from console import FolderAudio, create_app

    return create_app(
        console_data.store_url, FolderAudio(console_data.results), allowed_hosts=["testserver"]
    )


def client_for(app, username: str) -> TestClient:
    client = TestClient(app, headers=ORIGIN)
    r = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client


def _session(url: str):
    from storage.database import Store

    return Store(url, migrate_schema=False)


def test_the_batch_path_stores_each_calls_drivers_with_evidence(console_data):
    from storage.drivers_schema import CallDriver

    store = _session(console_data.store_url)
    with store.session() as session:
        rows = list(session.scalars(select(CallDriver).where(CallDriver.rank == 0)))
    store.close()
    primary = {r.call_id: r.driver_id for r in rows}
    assert set(primary) == set(console_data.calls)  # every call classified
    assert primary["ev01-cc-loss-ok"] == "card_loss_freeze"
    assert primary["ev03-transfer-limit-let-me-check"] == "transfer_limit"
    for row in rows:
        agent, team = console_data.calls[row.call_id]
        assert (row.agent_id, row.team_id) == (agent, team) and row.month
        assert row.evidence[0]["text"] and row.evidence[0]["start"] is not None


def test_saving_again_replaces_the_drivers_and_removing_the_call_removes_them(tmp_path):
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from rules.policy import Retention
    from storage.database import Store
    from storage.drivers_schema import CallComplaint, CallDriver
    from storage.results import CallRecord, save_call
    from storage.retention import apply
    from storage.schema import Call

    analyser = load_analyser()
    redacted, analysis = analyser.analyse(
        Transcript.read(EVAL_CALLS / "ev47-marketing-calls-dnd.json")
    )
    assert analysis.drivers is not None and analysis.drivers.primary == "marketing_calls"
    assert analysis.drivers.complaint is not None
    assert analysis.drivers.complaint.severity == "high"  # 12378: the regulator
    record = CallRecord(
        call_id=redacted.call_id,
        source="/r/ev47.wav",
        source_version="v1",
        models="hand-labelled",
        started_at=datetime(2026, 11, 3, 9, 0),
    )
    store = Store(f"sqlite:///{tmp_path / 'one.db'}")
    for _ in range(2):
        with store.session() as session:
            save_call(session, record, redacted, analysis)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(CallDriver)) == len(
            analysis.drivers.drivers
        )
        assert session.scalar(select(CallComplaint.severity)) == "high"
    with store.session() as session:  # the transcript's period passes: its words go
        periods = Retention(results_days=1825, transcripts_days=30)
        apply(session, periods, by="test", now=datetime(2027, 6, 1))
    with store.session() as session:
        driver = session.scalars(select(CallDriver)).first()
        assert driver is not None and driver.driver_id == "marketing_calls"
        assert driver.evidence == [] and session.scalar(select(CallComplaint.evidence)) == []
        session.delete(session.get(Call, redacted.call_id))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(CallDriver)) == 0
        assert session.scalar(select(func.count()).select_from(CallComplaint)) == 0
    store.close()


def test_the_drivers_page_is_cut_to_the_viewers_scope(app, console_data):
    qa = client_for(app, "qa").get("/drivers?month_from=2026-08&month_to=2026-10")
    assert qa.status_code == 200
    assert "挂失、冻结与解冻" in qa.text and "预留手机号与账户变更、销户" in qa.text
    sup = client_for(app, "sup").get("/drivers?month_from=2026-08&month_to=2026-10")
    assert sup.status_code == 200
    assert "挂失、冻结与解冻" in sup.text  # team t-cards' calls (ev01, ev02)
    assert "预留手机号与账户变更、销户" not in sup.text  # only t-loans called about that
    weeks = client_for(app, "qa").get("/drivers?month_from=2026-08&month_to=2026-10&per=week")
    assert weeks.status_code == 200 and "2026-W" in weeks.text
    for username in ("li", "admin"):
        assert client_for(app, username).get("/drivers").status_code == 403


def test_the_drill_down_lists_a_drivers_calls_in_scope_and_is_audited(app, console_data):
    from storage.schema import AuditEntry

    qa = client_for(app, "qa").get("/drivers/calls?driver=account_changes")
    assert qa.status_code == 200 and "ev06-phone-change-no-id" in qa.text
    sup = client_for(app, "sup").get("/drivers/calls?driver=account_changes")
    assert sup.status_code == 200 and "ev06-phone-change-no-id" not in sup.text
    mine = client_for(app, "sup").get("/drivers/calls?driver=card_loss_freeze")
    assert '/queue?driver=card_loss_freeze"' in mine.text  # the rest, paged, in the queue
    assert "ev01-cc-loss-ok" in mine.text and "ev02-debit-freeze-verify-after" in mine.text
    assert client_for(app, "qa").get("/drivers/calls?driver=nope").status_code == 404
    store = _session(console_data.store_url)
    with store.session() as session:
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "view_driver_calls"))
        )
    store.close()
    seen = {(e.username, e.target) for e in entries}
    assert ("sup", "driver:card_loss_freeze") in seen
    assert any("ev01-cc-loss-ok" in (e.detail or "") for e in entries if e.username == "sup")


def test_the_review_queue_filters_by_driver_in_scope(app, console_data):
    qa = client_for(app, "qa")
    ids = {r["id"] for r in qa.get("/api/calls?driver=card_loss_freeze").json()["calls"]}
    assert {"ev01-cc-loss-ok", "ev02-debit-freeze-verify-after"} <= ids
    assert "ev06-phone-change-no-id" not in ids
    both = qa.get("/api/calls?driver=account_changes").json()["calls"]
    assert "ev06-phone-change-no-id" in {r["id"] for r in both}
    sup = client_for(app, "sup").get("/api/calls?driver=account_changes").json()["calls"]
    assert "ev06-phone-change-no-id" not in {r["id"] for r in sup}  # another team's call
    assert qa.get("/api/calls?driver=nope").json()["calls"] == []
    page = qa.get("/queue?driver=card_loss_freeze")
    assert page.status_code == 200 and "ev01-cc-loss-ok" in page.text
    assert "ev06-phone-change-no-id" not in page.text
    assert '<option value="card_loss_freeze" selected' in page.text


def test_surveys_are_classified_and_the_management_report_comes_out_in_three_formats(
    console_data, tmp_path
):
    from openpyxl import load_workbook

    from callqa.cli import app as cli
    from storage.drivers_schema import SurveyDriver
    from storage.schema import Survey

    store = _session(console_data.store_url)
    with store.session() as session:
        for n, (call_id, satisfied, comment) in enumerate(
            [
                ("ev04-password-reset-no-risk-traditional", True, "密码重置很快，谢谢"),
                ("ev08-bill-instalment-fees", False, "分期手续费太高了，没说清楚"),
                (None, False, "你们app老是闪退，转账都转不了"),
            ]
        ):
            session.add(
                Survey(
                    call_id=call_id,
                    agent_id="a-li",
                    month="2026-10",
                    answered_at=datetime(2026, 10, 25),
                    satisfied=satisfied,
                    comment=comment,
                    source=f"test.csv:{n}",
                )
            )
    store.close()
    runner = CliRunner()
    url = console_data.store_url
    done = runner.invoke(cli, ["drivers", "classify-surveys", "--store", url])
    assert done.exit_code == 0 and "classified 3" in done.output, done.output
    store = _session(url)
    with store.session() as session:
        drivers = set(session.scalars(select(SurveyDriver.driver_id)))
    store.close()
    assert "app_fault" in drivers
    outputs = {}
    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            cli,
            [
                "drivers",
                "report",
                "--period",
                "2026-Q4",
                "--format",
                fmt,
                "--out",
                str(out),
                "--store",
                url,
            ],
        )
        assert result.exit_code == 0, result.output
        outputs[fmt] = out.read_bytes()
    rows = list(csv.reader(io.StringIO(outputs["csv"].decode("utf-8-sig"))))
    assert rows[1][:4] == ["summary", "period", "2026-Q4", "3"]  # three calls in October
    assert rows[2][7] == str(round(1 / 3, 4))  # one of three surveys satisfied
    driver_rows = {r[1]: r for r in rows if r[0] == "driver"}
    assert driver_rows["card_bill_repayment"][3] == "1"
    assert any(r[0] == "rising risk" for r in rows)  # Q3 had none of October's drivers
    sheet = load_workbook(io.BytesIO(outputs["xlsx"])).active
    assert sheet is not None and sheet.cell(row=2, column=3).value == "2026-Q4"
    assert outputs["pdf"].startswith(b"%PDF") and len(outputs["pdf"]) > 2000
    bad = runner.invoke(
        cli,
        [
            "drivers",
            "report",
            "--period",
            "2026-13",
            "--out",
            str(tmp_path / "x.csv"),
            "--store",
            url,
        ],
    )
    assert bad.exit_code == 2 and "not a period" in bad.output


def test_unmatched_calls_are_suggested_as_new_drivers_from_the_store(tmp_path):
    from callqa.cli import app as cli
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from storage.database import Store
    from storage.results import CallRecord, save_call

    analyser = load_analyser()
    base = Transcript.read(EVAL_CALLS / "ev57-wrong-number.json")
    said = [
        "我想租一个保险箱，放点东西",
        "保险箱租用需要带什么证件",
        "你们有保险箱吗，一年租金多少",
        "我家的猫今天不吃饭",
    ]
    store = Store(f"sqlite:///{tmp_path / 'u.db'}")
    with store.session() as session:
        for n, text in enumerate(said):
            turn = base.turns[0].model_copy(update={"speaker": "customer", "text": text})
            call = base.model_copy(update={"call_id": f"u{n}", "turns": (base.turns[0], turn)})
            redacted, analysis = analyser.analyse(call)
            save_call(
                session,
                CallRecord(
                    call_id=f"u{n}",
                    source=f"/r/u{n}.wav",
                    source_version="v1",
                    models="m",
                    started_at=datetime(2026, 11, 2 + n),
                ),
                redacted,
                analysis,
            )
    store.close()
    result = CliRunner().invoke(
        cli,
        [
            "drivers",
            "suggest",
            "--month",
            "2026-11",
            "--distance",
            "0.1",
            "--store",
            f"sqlite:///{tmp_path / 'u.db'}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 unmatched calls in 2026-11; 1 suggested drivers" in result.output
    assert "#1: 3 calls" in result.output and "保险箱" in result.output
