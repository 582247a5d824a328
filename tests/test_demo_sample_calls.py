"""The demo's shipped recordings (``callqa/sample_calls``) are its calls' scripts, spoken.

They ship so that the README's first command does not spend five minutes synthesising;
these tests keep them from drifting away from ``synth.scripts`` and ``demo_calls()``.
"""

from __future__ import annotations

import json
import shutil

import pytest
from rich.console import Console

from callqa import demo
from core.errors import ConfigError
from pipeline.audio import decode
from synth.scripts import SCRIPTS


def shipped_truth(call_id: str) -> dict:
    return json.loads((demo.SHIPPED / f"{call_id}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("call", demo.demo_calls(), ids=lambda c: c.call_id)
def test_each_shipped_recording_speaks_its_calls_script(call):
    truth = shipped_truth(call.call_id)
    said = [(t["speaker"], t["text"]) for t in truth["turns"]]
    script = [(line.speaker, line.text) for line in SCRIPTS[call.script]]
    assert sorted(said) == sorted(script), f"{call.call_id} no longer speaks {call.script}"
    assert truth["layout"] == call.layout
    assert truth["agent_channel"] == (call.agent_channel if call.layout == "stereo" else None)
    audio = decode(demo.SHIPPED / f"{call.call_id}.{demo.RECORDING_FORMAT}")
    assert len(audio.pcm) == (2 if call.layout == "stereo" else 1)
    assert audio.duration == pytest.approx(truth["duration"], abs=0.1)


def test_nothing_but_the_demo_calls_ships():
    names = {p.name for p in demo.SHIPPED.iterdir()}
    wanted = {f"{c.call_id}.{suffix}" for c in demo.demo_calls() for suffix in ("json", "ogg")}
    assert names == wanted


def test_a_call_synthesised_today_is_the_one_that_ships(tmp_path):
    """The shortest call (its first four lines are cached by the flow tests): the synthesiser
    of today places the same lines at the same times as the one that built the folder."""
    [call] = [c for c in demo.demo_calls() if c.call_id == "A103-2026-01-1"]
    path = demo.synthesise_call(call, tmp_path, tmp_path)
    assert path.name == f"{call.call_id}.{demo.RECORDING_FORMAT}"
    today = json.loads((tmp_path / f"{call.call_id}.json").read_text(encoding="utf-8"))
    shipped = shipped_truth(call.call_id)
    assert [t["text"] for t in today["turns"]] == [t["text"] for t in shipped["turns"]]
    # onnxruntime's durations may round a frame apart on another CPU; not a second apart
    for ours, theirs in zip(today["turns"], shipped["turns"], strict=True):
        assert ours["start"] == pytest.approx(theirs["start"], abs=0.5)
    assert decode(path).duration == pytest.approx(shipped["duration"], abs=0.5)


def test_the_demo_lays_out_the_shipped_calls_and_keeps_an_earlier_runs_wav(tmp_path):
    folder, truth = tmp_path / "recordings", tmp_path / "truth"
    folder.mkdir()
    earlier = folder / "A101-2026-01-1.wav"  # a demo before the calls shipped made WAVs
    earlier.write_bytes(b"RIFF")
    calls = demo.build_recordings(folder, truth, Console(quiet=True))
    recordings = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".meta.json"))
    assert len(recordings) == len(calls) == 12
    assert "A101-2026-01-1.ogg" not in recordings and earlier.read_bytes() == b"RIFF"
    assert len(list(folder.glob("*.meta.json"))) == 12
    assert len(list(truth.glob("*.json"))) == 11  # the earlier run's truth is its own


def test_a_missing_shipped_recording_is_named_with_how_to_rebuild_it(tmp_path, monkeypatch):
    partial = tmp_path / "shipped"
    shutil.copytree(demo.SHIPPED, partial)
    (partial / "A102-2026-02-1.ogg").unlink()
    monkeypatch.setattr(demo, "SHIPPED", partial)
    with pytest.raises(ConfigError, match=r"A102-2026-02-1\.ogg.*--synthesise"):
        demo.build_recordings(tmp_path / "rec", tmp_path / "truth", Console(quiet=True))
