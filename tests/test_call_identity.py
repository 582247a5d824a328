"""A call's id is its recording's: two recorders' ``0001.wav`` are two calls, a metadata file
naming another recording's id is quarantined (``duplicate_call_id``), the same recording
run again updates its own call; ids taken from file names carry no phone or ID number and
``customer_ref`` is stored as a keyed hash."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from storage.call_identity import (
    CallIdTaken,
    mask_personal_numbers,
    pseudonym_key,
    pseudonymise,
    resolve_call_id,
)

KEY = b"k" * 32


# --- the id rules, on a real SQLite store ------------------------------------------------
@pytest.fixture
def store(tmp_path):
    from storage.database import Store

    store = Store(f"sqlite:///{tmp_path / 'callqa.db'}")
    yield store
    store.close()


def _ledger(store, source: str, version: str, call_id: str) -> None:
    from storage.schema import ProcessedRecording

    with store.session() as session:
        session.add(
            ProcessedRecording(
                source=source, version=version, status="done", call_id=call_id, attempts=1
            )
        )


def _resolve(store, wanted: str, source: str, version: str = "v1", explicit: bool = False):
    with store.session() as session:
        return resolve_call_id(
            session, wanted, explicit=explicit, source=source, version=version, key=KEY
        )


def test_another_recordings_id_gets_a_distinct_one_and_its_own_stays(store):
    _ledger(store, "/rec/a/0001.wav", "v1", "0001")

    other = _resolve(store, "0001", "/rec/b/0001.wav")
    assert other.startswith("0001-") and len(other) == len("0001-") + 8
    assert _resolve(store, "0001", "/rec/b/0001.wav") == other  # stable for that recording
    assert _resolve(store, "0001", "/rec/a/0001.wav") == "0001"  # its own (a rerun)
    assert _resolve(store, "0001", "/rec/a/0001.wav", version="v2") == "0001"  # re-recorded


def test_a_stated_id_of_another_recording_is_refused_not_guessed(store):
    _ledger(store, "/rec/a/0001.wav", "v1", "0001")
    with pytest.raises(CallIdTaken, match=r"/rec/c/x.wav.*'0001'.*/rec/a/0001.wav") as caught:
        _resolve(store, "0001", "/rec/c/x.wav", explicit=True)
    assert caught.value.reason == "duplicate_call_id"
    assert _resolve(store, "0001", "/rec/a/0001.wav", explicit=True) == "0001"


def test_ids_from_file_names_are_masked_and_stay_unique(store):
    first = _resolve(store, "13812345678_20261201", "/rec/13812345678_20261201.wav")
    assert first == "***********_20261201"
    _ledger(store, "/rec/13812345678_20261201.wav", "v1", first)
    second = _resolve(store, "13987654321_20261201", "/rec/13987654321_20261201.wav")
    assert second.startswith("***********_20261201-") and "13987654321" not in second
    # masking, not the recorder, made the ids equal: a stated id is disambiguated too
    third = _resolve(store, "13511112222_20261201", "/rec/x.wav", explicit=True)
    assert third.startswith("***********_20261201-")


def test_an_over_long_name_is_cut_to_the_column_with_a_distinct_tail(store):
    long_id = _resolve(store, "长" * 200, "/rec/long.wav")
    assert len(long_id) == 128 and long_id.startswith("长" * 100)


def test_storing_refuses_another_recordings_rows_under_a_taken_id(store):
    """The last line of defence: whatever picks the id, ``save_call`` never replaces a
    call with another recording's rows; the same recording replaces its own."""
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from storage.results import CallRecord, save_call
    from storage.schema import Call
    from tests.console_fixtures import EVAL_CALLS

    redacted, analysis = load_analyser().analyse(
        Transcript.read(sorted(EVAL_CALLS.glob("*.json"))[0])
    )

    def record(source: str, version: str = "v1") -> CallRecord:
        return CallRecord(call_id="0001", source=source, source_version=version, models="m")

    with store.session() as session:
        save_call(session, record("/rec/a/0001.wav"), redacted, analysis)
    taken = r"/rec/b/0001\.wav.*'0001'.*/rec/a/0001\.wav"
    with pytest.raises(CallIdTaken, match=taken), store.session() as session:
        save_call(session, record("/rec/b/0001.wav"), redacted, analysis)
    with store.session() as session:
        save_call(session, record("/rec/a/0001.wav", "v2"), redacted, analysis)
    with store.session() as session:
        call = session.get(Call, "0001")
        assert (call.source, call.source_version) == ("/rec/a/0001.wav", "v2")


def test_personal_numbers_are_masked_digit_for_digit():
    assert mask_personal_numbers("110101199003074514_A01") == "*" * 18 + "_A01"
    assert mask_personal_numbers("0001") == "0001"


def test_customer_ref_is_a_keyed_hash(tmp_path, monkeypatch):
    monkeypatch.delenv("CALLQA_PSEUDONYM_KEY", raising=False)
    key = pseudonym_key(tmp_path / "data")
    assert len(key) == 32 and pseudonym_key(tmp_path / "data") == key  # made once, kept
    assert stat.S_IMODE((tmp_path / "data" / "pseudonym.key").stat().st_mode) == 0o600
    stored = pseudonymise("13812345678", key)
    assert stored is not None and stored.startswith("hmac:") and "1381234" not in stored
    assert pseudonymise("13812345678", key) == stored  # the same customer links up
    assert pseudonymise("13812345678", b"another key") != stored
    monkeypatch.setenv("CALLQA_PSEUDONYM_KEY", "shared by every worker")
    assert pseudonym_key(tmp_path / "elsewhere") == b"shared by every worker"


# --- end to end: real transcription, the Prefect flow, a folder and SQLite ---------------
def _run(source: Path, tmp_path: Path):
    from core.config import load_settings
    from flows.process import run_batch

    settings = load_settings(None, data_dir=tmp_path / "data")
    summary = run_batch(str(source), settings)
    db = sqlite3.connect(settings.resolved_store_url().removeprefix("sqlite:///"))
    return {r.key: r for r in summary.reports}, db


def _call(db, call_id: str) -> tuple:
    row = db.execute(
        "select source, source_version, score, transcript_key, customer_ref from calls where id=?",
        (call_id,),
    ).fetchone()
    turns = db.execute(
        'select speaker, text from turns where call_id=? order by "index"', (call_id,)
    ).fetchall()
    return row, turns


@pytest.mark.usefixtures("prefect_harness")
def test_two_recorders_files_of_one_name_are_two_calls(flow_call_files, tmp_path):
    folder = tmp_path / "incoming"
    for recorder, script in (("a", "card_loss"), ("b", "no_greeting")):
        (folder / recorder).mkdir(parents=True)
        shutil.copy(flow_call_files / f"{script}.wav", folder / recorder / "0001.wav")
    phone_name = folder / "c" / "13812345678_20261201.wav"
    phone_name.parent.mkdir()
    shutil.copy(flow_call_files / "enquiry_card_bill.wav", phone_name)
    meta = {"agent_id": "A01", "customer_ref": "6222021234567890123"}
    phone_name.with_name("13812345678_20261201.meta.json").write_text(json.dumps(meta))

    reports, db = _run(folder, tmp_path)
    assert {k: r.status for k, r in reports.items()} == {
        "a/0001.wav": "processed",
        "b/0001.wav": "processed",
        "c/13812345678_20261201.wav": "processed",
    }
    ids = {k: r.call_id for k, r in reports.items()}
    assert ids["a/0001.wav"] != ids["b/0001.wav"]
    assert {ids["a/0001.wav"], ids["b/0001.wav"]} & {"0001"}
    rows = dict(db.execute("select id, source from calls").fetchall())
    assert len(rows) == 3
    for key, call_id in ids.items():
        assert rows[call_id] == str((folder / key).resolve())
    # both transcripts intact: each call's turns are its own recording's words
    card_loss, _ = _call(db, ids["a/0001.wav"])
    no_greeting, _ = _call(db, ids["b/0001.wav"])
    assert _call(db, ids["a/0001.wav"])[1] and _call(db, ids["b/0001.wav"])[1]
    assert card_loss[1] != no_greeting[1] and card_loss[3] != no_greeting[3]
    texts = {
        k: "".join(t for _, t in _call(db, call_id)[1])
        for k, call_id in ids.items()
        if k != "c/13812345678_20261201.wav"
    }
    assert texts["a/0001.wav"] != texts["b/0001.wav"]
    # the phone number in the file name is masked in the id; customer_ref is a keyed hash
    phone_id = ids["c/13812345678_20261201.wav"]
    assert phone_id == "***********_20261201"
    ref = _call(db, phone_id)[0][4]
    assert ref.startswith("hmac:") and "6222" not in ref
    dump = "\n".join(db.iterdump())
    assert "13812345678_20261201'" not in dump.replace(str(folder.resolve()), "")
    assert "6222021234567890123" not in dump

    # a metadata file naming a call id another recording holds: quarantined, nothing changed
    before = _call(db, ids["a/0001.wav"])
    intruder = folder / "d" / "other.wav"
    intruder.parent.mkdir()
    shutil.copy(flow_call_files / "enquiry_card_bill.wav", intruder)
    stated = {"call_id": ids["a/0001.wav"], "agent_id": "A09"}
    intruder.with_name("other.meta.json").write_text(json.dumps(stated))
    again, db = _run(folder, tmp_path)
    assert again["d/other.wav"].status == "quarantined"
    assert "duplicate_call_id" in _reason(folder, "d/other.wav")
    assert [r.status for k, r in again.items() if k != "d/other.wav"] == ["skipped"] * 3
    assert _call(db, ids["a/0001.wav"]) == before
    assert db.execute("select count(*) from calls").fetchone()[0] == 3
    transcript = json.loads((folder / "results/c/13812345678_20261201/transcript.json").read_text())
    assert transcript["call_id"] == phone_id

    # the recorder corrects the metadata: the next run takes the recording up again
    intruder.with_name("other.meta.json").write_text(json.dumps({"agent_id": "A09"}))
    fixed, db = _run(folder, tmp_path)
    assert (fixed["d/other.wav"].status, fixed["d/other.wav"].call_id) == ("processed", "other")
    assert _call(db, ids["a/0001.wav"]) == before


def _reason(folder: Path, key: str) -> str:
    record = json.loads((folder / "quarantine" / f"{key}.reason.json").read_text("utf-8"))
    return f"{record['reason']}: {record['problem']}"


def test_the_key_file_is_not_readable_by_others(tmp_path, monkeypatch):
    monkeypatch.delenv("CALLQA_PSEUDONYM_KEY", raising=False)
    pseudonym_key(tmp_path)
    assert not os.stat(tmp_path / "pseudonym.key").st_mode & 0o077
