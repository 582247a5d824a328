"""A small real scorecard store for the console tests: eight labelled evaluation calls,
analysed with the real analyser and saved with ``save_call`` for four agents in two teams
over three months, monthly scorecards computed, a redacted-audio WAV per call (a quiet
tone as long as the call) in a results folder, and one account per role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

EVAL_CALLS = ROOT / "tests" / "data" / "eval" / "calls"
PASSWORD = "correct horse 7"
# (agent, team, started_at) for the eight calls, in file-name order.
PLAN = (
    ("a-li", "t-cards", datetime(2026, 8, 4, 9, 30)),
    ("a-li", "t-cards", datetime(2026, 9, 2, 10, 5)),
    ("a-wang", "t-cards", datetime(2026, 9, 15, 14, 20)),
    ("a-wang", "t-cards", datetime(2026, 10, 3, 11, 0)),
    ("a-zhao", "t-loans", datetime(2026, 8, 21, 16, 45)),
    ("a-zhao", "t-loans", datetime(2026, 9, 9, 9, 10)),
    ("a-chen", "t-loans", datetime(2026, 10, 12, 13, 30)),
    ("a-li", "t-cards", datetime(2026, 10, 20, 15, 0)),
)
USERS = {
    "admin": ("admin", None, None),
    "qa": ("qa_lead", None, None),
    "comp": ("compliance", None, None),
    "sup": ("supervisor", "t-cards", None),
    "li": ("agent", None, "a-li"),
}
MONTHS = ("2026-08", "2026-09", "2026-10")


@dataclass(frozen=True)
class ConsoleData:
    store_url: str
    results: Path
    calls: dict[str, tuple[str, str]]  # call id -> (agent, team)

    def calls_of(self, *, agent: str | None = None, team: str | None = None) -> list[str]:
        return [
            c
            for c, (a, t) in self.calls.items()
            if (agent is None or a == agent) and (team is None or t == team)
        ]


def write_tone(path: Path, seconds: float, rate: int = 8000) -> None:
    """A quiet 440 Hz tone: enough for a player to load, play and seek."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.05 * np.sin(2 * np.pi * 440 * t)).astype("float32"), rate, subtype="PCM_16")


def build_console_store(root: Path, store_url: str | None = None) -> ConsoleData:
    from appraisal import compute_month, compute_quarter
    from console.auth import create_user
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from storage.database import Store
    from storage.results import CallRecord, save_call

    root.mkdir(parents=True, exist_ok=True)
    results = root / "results"
    (results / "redacted").mkdir(parents=True)
    store_url = store_url or f"sqlite:///{root / 'callqa.db'}"
    store = Store(store_url)
    analyser = load_analyser()
    calls: dict[str, tuple[str, str]] = {}
    files = sorted(EVAL_CALLS.glob("*.json"))[: len(PLAN)]
    with store.session() as session:
        for path, (agent, team, started) in zip(files, PLAN, strict=True):
            redacted, analysis = analyser.analyse(Transcript.read(path))
            audio_key = f"redacted/{redacted.call_id}.wav"
            write_tone(results / audio_key, redacted.audio.duration)
            record = CallRecord(
                call_id=redacted.call_id,
                source=f"/recordings/original/{redacted.call_id}.wav",
                source_version="v1",
                models="hand-labelled",
                agent_id=agent,
                agent_name={"a-li": "李娜", "a-wang": "王强", "a-zhao": "赵敏", "a-chen": "陈杰"}[
                    agent
                ],
                team_id=team,
                started_at=started,
                redacted_audio_key=audio_key,
            )
            save_call(session, record, redacted, analysis)
            calls[redacted.call_id] = (agent, team)
        for month in MONTHS:
            compute_month(session, month, analyser.policy)
        compute_quarter(session, "2026Q3", analyser.policy, recompute_months=False)
        for username, (role, team_id, agent_id) in USERS.items():
            create_user(session, username, PASSWORD, role, team_id=team_id, agent_id=agent_id)
    store.close()
    return ConsoleData(store_url, results, calls)


@pytest.fixture(scope="module")
def console_data(tmp_path_factory: pytest.TempPathFactory) -> ConsoleData:
    return build_console_store(tmp_path_factory.mktemp("console"))


def audit_rows(data: ConsoleData, **where: str) -> list:
    """The store's audit rows, oldest first, where each column equals its value."""
    from sqlalchemy import select

    from storage.database import Store
    from storage.schema import AuditEntry

    store = Store(data.store_url, migrate_schema=False)
    try:
        with store.session() as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            for key, value in where.items():
                query = query.where(getattr(AuditEntry, key) == value)
            return list(session.scalars(query))
    finally:
        store.close()


@contextmanager
def serving_on_loopback(app: Any) -> Iterator[str]:
    """The app served by a real uvicorn on a free loopback port, for a real browser."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not served.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console did not start on loopback within 10 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        served.should_exit = True
        thread.join(timeout=5)
