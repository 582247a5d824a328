"""Bad input, as a careless recorder leaves it, through the real ``callqa process`` (a
subprocess on a folder and SQLite): every kind quarantined with its reason or processed,
the batch exits 0, no original changes or disappears, nothing is read from outside the
folder (a link to /etc/passwd is quarantined as ``symlink``, not copied), mistyped or
malformed metadata is quarantined as ``bad_metadata`` naming the file and field, and good
calls with shell metacharacters or an 80-character Chinese name are processed. The drill
``bench/drill_bad_input.py`` builds the same folder with a few more good calls."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import drill_bad_input as drill


@pytest.fixture(scope="module")
def drilled(flow_call_files, tmp_path_factory):
    work = tmp_path_factory.mktemp("bad-input")
    good = (flow_call_files / "enquiry_card_bill.wav").read_bytes()
    expected = drill.build(work / "incoming", good, full=False)
    assert len([e for e in expected.values() if e != "processed"]) >= 25
    result = drill.run(work / "incoming", work / "data", expected)
    drill.report(result)
    return work / "incoming", result


@pytest.mark.slow
def test_every_bad_input_is_quarantined_or_processed_and_nothing_is_lost(drilled):
    _, result = drilled
    assert result.exit_code == 0, result.output[-3000:]
    assert result.lost == [] and result.doubled == []
    assert result.changed == [], "an original changed or disappeared"
    unexpected = [(o.name, o.status, o.reason) for o in result.outcomes if not o.as_expected]
    assert unexpected == []


@pytest.mark.slow
def test_a_link_out_of_the_folder_is_quarantined_without_reading_it(drilled):
    folder, result = drilled
    outcome = {o.name: o for o in result.outcomes}
    assert outcome["link.wav"].reason.startswith("symlink: ")
    assert outcome["named_pipe.wav"].reason.startswith("special_file: ")
    assert not (folder / "quarantine" / "link.wav").exists()
    assert result.outside_copies == []
    assert (folder / "link.wav").is_symlink()  # the original link is left as it was


@pytest.mark.slow
def test_bad_metadata_is_quarantined_naming_the_file_and_the_field(drilled):
    folder, result = drilled
    outcome = {o.name: o for o in result.outcomes}
    mistyped = json.loads((folder / "quarantine" / "mistyped.wav.reason.json").read_text())
    assert mistyped["reason"] == "bad_metadata"
    assert "mistyped.meta.json" in mistyped["problem"]
    assert "agent_channel='middle'" in mistyped["problem"]
    assert "started_at='yesterday'" in mistyped["problem"]
    for name in ("bad_json.wav", "not_an_object.wav"):
        assert outcome[name].reason.startswith("bad_metadata: "), outcome[name]
    assert outcome["a_folder.wav"].status == "skipped"


@pytest.mark.slow
def test_good_calls_with_awkward_names_are_processed(drilled):
    folder, result = drilled
    long_name = "客户来电" * 20 + ".wav"
    outcome = {o.name: o for o in result.outcomes}
    assert outcome[long_name].status == "processed"
    assert outcome["a;b $(x) 'q'.wav"].status == "processed"
    assert (folder / "results" / long_name.removesuffix(".wav") / "transcript.json").is_file()


def test_a_long_name_and_a_link_in_the_folder_store(tmp_path):
    """The store itself, without a batch: a 244-byte name keeps its object metadata, a
    link (to a file or a folder) is listed but never read or copied, writes refuse to
    pass through a linked folder."""
    from storage.local import LocalStore
    from storage.objects import ObjectRefused

    store = LocalStore(tmp_path)
    long_name = "客户来电" * 20 + ".wav"
    assert len(long_name.encode()) > 240
    store.put(long_name, b"RIFF", metadata={"agent-id": "A1"})
    store.copy(long_name, f"quarantine/{long_name}")
    assert store.stat(f"quarantine/{long_name}").metadata == {"agent-id": "A1"}
    (tmp_path / "link.wav").symlink_to("/etc/passwd")
    (tmp_path / "etc").symlink_to("/etc")
    keys = [o.key for o in store.list()]
    assert keys == ["etc", "link.wav", f"quarantine/{long_name}", long_name]
    for read in (
        lambda: store.get("link.wav"),
        lambda: store.copy("link.wav", "quarantine/link.wav"),
        lambda: store.get("etc/passwd"),
        lambda: store.put("etc/x.wav", b"x"),
    ):
        with pytest.raises(ObjectRefused, match="symbolic link") as caught:
            read()
        assert caught.value.reason == "symlink"
    assert not (tmp_path / "quarantine" / "link.wav").exists()
    assert store.stat("link.wav").version.startswith("unread-")
    # a name in GBK bytes (not UTF-8) is listed under a text key that leads back to it
    (tmp_path / os.fsdecode("录音".encode("gbk") + b".wav")).write_bytes(b"gbk")
    (listed,) = [o.key for o in store.list() if o.key.endswith("\ufffdF4.wav")]
    assert listed.encode("utf-8") and store.get(listed) == b"gbk"
    store.copy(listed, f"quarantine/{listed}")
    assert (tmp_path / "quarantine" / os.fsdecode("录音".encode("gbk") + b".wav")).is_file()
    shutil.rmtree(tmp_path / "quarantine")
