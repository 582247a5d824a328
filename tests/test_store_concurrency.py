"""Two workers storing calls at once in PostgreSQL: the first calls of a new team and agent
reach the store from both sides, and neither call is lost to the other's insert."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

EVAL_CALLS = Path(__file__).parent / "data" / "eval" / "calls"


def test_two_workers_adding_the_same_new_team_and_agent_both_store_their_call(
    fresh_postgres_url,
):
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from storage.database import Store
    from storage.results import CallRecord, save_call
    from storage.schema import Agent, Call, Team

    analyser = load_analyser()
    analysed = [
        analyser.analyse(Transcript.read(path)) for path in sorted(EVAL_CALLS.glob("*.json"))[:2]
    ]

    def record(redacted: Transcript) -> CallRecord:
        return CallRecord(
            call_id=redacted.call_id,
            source=f"s3://calls/{redacted.call_id}.wav",
            source_version="v1",
            models="m",
            agent_id="A-new",
            agent_name="新人",
            team_id="T-new",
            started_at=datetime(2026, 3, 2, 9, 0),
        )

    store = Store(fresh_postgres_url)
    first = store.sessions()
    first.begin()
    save_call(first, record(analysed[0][0]), *analysed[0])  # team and agent added, uncommitted

    errors: list[BaseException] = []

    def second_worker() -> None:
        try:
            with store.session() as session:  # waits on the first's new team row
                save_call(session, record(analysed[1][0]), *analysed[1])
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=second_worker)
    thread.start()
    time.sleep(1.0)
    assert thread.is_alive(), "the second insert should wait for the first transaction"
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not errors, errors
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 2
        assert session.scalar(select(func.count()).select_from(Team)) == 1
        assert session.get(Agent, "A-new").team_id == "T-new"
    store.close()
