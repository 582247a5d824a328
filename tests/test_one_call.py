"""The one path of a call (issue 11): a local sidecar read as the object store reads it, the
rule pack and policy read once for the analyser, its provenance and its hotwords, frozen
service metrics whose stored JSON keeps its shape, and a batch told through its own hook."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.analysis import CallAnalysis, CallMetrics
from core.call_metadata import CallMetadataError, metadata_beside
from core.transcript import Transcript
from storage.call_metadata import read_call_metadata
from storage.local import LocalStore
from tests.conftest import ROOT

EVAL_CALLS = ROOT / "tests" / "data" / "eval" / "calls"


def _pair(tmp_path: Path, sidecar: object) -> tuple[Path, LocalStore]:
    recording = tmp_path / "c-7.wav"
    recording.write_bytes(b"not read here")
    (tmp_path / "c-7.meta.json").write_text(json.dumps(sidecar), "utf-8")
    return recording, LocalStore(tmp_path)


def test_a_local_sidecar_reads_as_the_object_store_reads_it(tmp_path):
    sidecar = {"Call_ID": "C-42", "agent_channel": "Left", "ring_time_s": "3.5", "other": 1}
    recording, store = _pair(tmp_path, sidecar)

    local = metadata_beside(recording)

    assert local == read_call_metadata(store, store.stat("c-7.wav"))
    assert (local.call_id, local.agent_channel, local.ring_time_s) == ("C-42", "left", 3.5)
    assert metadata_beside(tmp_path / "no-sidecar.wav").call_id == "no-sidecar"


def test_a_bad_local_sidecar_is_the_same_clear_error(tmp_path):
    recording, store = _pair(tmp_path, {"agent_channel": "both"})

    with pytest.raises(CallMetadataError) as local:
        metadata_beside(recording)
    with pytest.raises(CallMetadataError) as stored:
        read_call_metadata(store, store.stat("c-7.wav"))

    for error in (local.value, stored.value):
        assert "agent_channel='both'" in str(error) and "c-7.meta.json" in str(error)
        assert error.reason == "bad_metadata"
    (tmp_path / "c-7.meta.json").write_text("[1, 2]", "utf-8")
    with pytest.raises(CallMetadataError, match="must be a JSON object"):
        metadata_beside(recording)


def test_the_rules_are_read_once_for_analysis_provenance_and_hotwords(tmp_path):
    from core.config import load_settings
    from pipeline.one_call import CallProcessor
    from rules.hotword_selection import hotwords

    pack = tmp_path / "pack.yaml"
    text = (ROOT / "rules" / "bank_remote_agent.yaml").read_text("utf-8")
    pack.write_text(re.sub(r"(?m)^version: .*$", 'version: "read-once-1"', text), "utf-8")
    settings = load_settings(None, data_dir=tmp_path, rule_pack=pack, pack_hotwords=True)
    processor = CallProcessor(settings, drivers=False)

    before = processor.labels
    pack.write_text(re.sub(r"(?m)^version: .*$", 'version: "read-once-2"', text), "utf-8")

    assert processor.labels == before
    assert processor.analyser.pack.label == before.rule_pack
    assert processor.analyser.pack is processor.rules[0]
    assert set(hotwords(processor.rules[0])) <= set(processor.hotwords)
    assert processor.options().transcribe.hotwords == processor.hotwords
    assert not processor.models_loaded  # nothing here needed a recognition model


def test_service_metrics_are_frozen_and_stored_as_before():
    from pipeline.analyze import load_analyser
    from pipeline.metrics import METRIC_KEYS, service_metrics

    transcript = Transcript.read(sorted(EVAL_CALLS.glob("*.json"))[0])
    metrics = service_metrics(transcript, ring_time_s=2.0)

    assert isinstance(metrics, CallMetrics) and tuple(metrics) == METRIC_KEYS
    assert metrics.ring_time_s == metrics["ring_time_s"] == 2.0
    with pytest.raises(ValidationError):
        metrics.duration_s = 1.0  # type: ignore[misc]
    _, analysis = load_analyser().analyse(transcript)
    stored = json.loads(analysis.model_dump_json())["metrics"]
    assert stored == dict(analysis.metrics) and list(stored) == list(METRIC_KEYS)
    assert isinstance(stored["response_count"], int)
    # an analysis stored earlier (a plain object, maybe without a newer key) still loads
    old = json.loads(analysis.model_dump_json())
    old["metrics"].pop("customer_chars_per_min")
    again = CallAnalysis.model_validate(old)
    assert again.metrics.customer_chars_per_min is None
    assert again.metrics.response_count == analysis.metrics.response_count


@pytest.mark.usefixtures("prefect_harness")
def test_a_batch_tells_the_hook_it_was_given(tmp_path):
    from core.config import load_settings
    from flows.process import run_batch

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.wav").write_bytes(b"RIFF but not a recording")
    seen: list[tuple[str, object]] = []

    class Hook:
        def listed(self, count: int) -> None:
            seen.append(("listed", count))

        def started(self, key: str) -> None:
            seen.append(("started", key))

        def done(self, report) -> None:
            seen.append(("done", (report.key, report.status)))

    settings = load_settings(None, data_dir=tmp_path / "data")
    summary = run_batch(str(folder), settings, concurrency=1, hook=Hook())

    assert seen == [
        ("listed", 1),
        ("started", "broken.wav"),
        ("done", ("broken.wav", "quarantined")),
    ]
    assert summary.count("quarantined") == 1
    # a batch without a hook runs the same (and tells nobody)
    assert run_batch(str(folder), settings, concurrency=1).count("quarantined") == 1
