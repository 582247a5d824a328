"""Fixtures for the flow tests: a few short synthetic calls with metadata, Prefect's test
harness, and a fresh folder/SQLite store per test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

# (script, lines, agent, started_at): three agents, two months
FLOW_CALLS = (
    ("enquiry_card_bill", 4, "A01", "2026-03-02T09:15:00"),
    ("card_loss", 4, "A02", "2026-03-18T14:40:00"),
    ("no_greeting", 4, "A03", "2026-04-07T11:05:00"),
)


@pytest.fixture(scope="session")
def flow_call_files(tmp_path_factory) -> Path:
    """A folder of short stereo calls with ``.meta.json`` sidecars, built once."""
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS

    folder = tmp_path_factory.mktemp("flow-calls")
    for script, lines, agent, started in FLOW_CALLS:
        call = build_call(script, SCRIPTS[script][:lines], agent_channel=0)
        path = write_call(call, folder / f"{script}.wav")
        path.with_suffix(".json").unlink()  # the synthesiser's truth is not call metadata
        meta = {"agent_id": agent, "team_id": "T1", "started_at": started, "ring_time_s": 0}
        (folder / f"{script}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


@pytest.fixture
def recordings(flow_call_files, tmp_path) -> Path:
    """This test's own copy of the calls, plus one recording that is not audio."""
    folder = tmp_path / "incoming"
    shutil.copytree(flow_call_files, folder)
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt this is not audio at all")
    return folder


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    import flows  # noqa: F401  (callqa's Prefect settings first)

    with prefect_test_harness(server_startup_timeout=90):
        yield


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every recording and sidecar under ``folder`` (results aside), with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.relative_to(folder).parts[0] not in ("results", "quarantine")
        and not p.name.startswith(".")
    }
