"""Call metadata: file name < object metadata < sidecar JSON, dates to naive UTC, and errors
that name the recording and the field."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from core.errors import ConfigError
from storage.call_metadata import (
    CallMetadata,
    CallMetadataError,
    read_call_metadata,
    sidecar_key_for,
)
from storage.local import LocalStore
from storage.s3 import S3Store

PATTERN = (
    r"^(?P<agent_id>A\d+)_(?P<started_at>\d{8}T\d{6})_(?P<customer_ref>C\d+)"
    r"(?:_(?P<channel_layout>stereo|mono))?"
)
NAME = "2026/03/A007_20260314T093000_C42_stereo.wav"


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path)


def test_file_name_alone(store):
    obj = store.put(NAME, b"audio")

    meta = read_call_metadata(store, obj, PATTERN)

    assert meta == CallMetadata(
        call_id="A007_20260314T093000_C42_stereo",
        agent_id="A007",
        customer_ref="C42",
        started_at=datetime(2026, 3, 14, 9, 30),
        channel_layout="stereo",
    )


def test_object_metadata_beats_the_file_name(store):
    obj = store.put(
        NAME,
        b"audio",
        metadata={
            "agent-id": "A008",
            "Call-ID": "c-1",
            "ring-time-s": "3.5",
            "Agent-Channel": "Right",
        },
    )

    meta = read_call_metadata(store, obj, PATTERN)

    assert (meta.agent_id, meta.call_id, meta.ring_time_s) == ("A008", "c-1", 3.5)
    assert meta.agent_channel == "right"
    assert meta.customer_ref == "C42", "what the metadata does not say comes from the name"


def test_sidecar_beats_object_metadata(store):
    obj = store.put(NAME, b"audio", metadata={"agent-id": "A008", "team-id": "T1"})
    store.put(
        sidecar_key_for(NAME),
        json.dumps(
            {
                "agent_id": "A009",
                "agent_name": "张伟",
                "started_at": "2026-03-14T17:30:00+08:00",
                "ring_time_s": 2,
                "call_id": 12345,
                "unrelated": "ignored",
            }
        ).encode(),
    )

    meta = read_call_metadata(store, obj, PATTERN)

    assert (meta.agent_id, meta.team_id, meta.agent_name) == ("A009", "T1", "张伟")
    assert meta.started_at == datetime(2026, 3, 14, 9, 30), "converted to naive UTC"
    assert meta.call_id == "12345"
    assert meta.ring_time_s == 2.0


def test_call_id_defaults_to_the_stem_and_nothing_else_is_required(store):
    obj = store.put("plain/call-77.flac", b"audio")
    assert read_call_metadata(store, obj, None) == CallMetadata(call_id="call-77")


def test_a_name_that_does_not_match_the_pattern_gives_nothing(store, caplog):
    obj = store.put("other-name.wav", b"audio")
    assert read_call_metadata(store, obj, PATTERN).agent_id is None
    assert "does not match" in caplog.text


def test_sidecar_key_sits_beside_the_recording():
    assert sidecar_key_for("a/b/call.01.wav") == "a/b/call.01.meta.json"
    assert sidecar_key_for("call.wav") == "call.meta.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20260314T093000", datetime(2026, 3, 14, 9, 30)),
        ("20260314_093000", datetime(2026, 3, 14, 9, 30)),
        ("20260314093000Z", datetime(2026, 3, 14, 9, 30)),
        ("20260314T173000+0800", datetime(2026, 3, 14, 9, 30)),
        ("20260314", datetime(2026, 3, 14)),
        ("2026-03-14T09:30:00", datetime(2026, 3, 14, 9, 30)),
        ("2026-03-14 17:30:00+08:00", datetime(2026, 3, 14, 9, 30)),
        ("2026-03-14T09:30:00Z", datetime(2026, 3, 14, 9, 30)),
    ],
)
def test_start_times_become_naive_utc(text, expected):
    assert CallMetadata(call_id="c", started_at=text).started_at == expected  # type: ignore[arg-type]


def test_an_unparseable_date_names_the_key_field_and_source(store):
    obj = store.put("A007_20261399T093000_C42.wav", b"audio")
    with pytest.raises(CallMetadataError) as caught:
        read_call_metadata(store, obj, PATTERN)
    message = str(caught.value)
    assert store.describe(obj.key) in message
    assert "started_at='20261399T093000' from file name" in message


def test_a_bad_value_in_object_metadata_names_its_source(store):
    obj = store.put("x.wav", b"audio", metadata={"agent-channel": "middle", "ring-time-s": "soon"})
    with pytest.raises(CallMetadataError) as caught:
        read_call_metadata(store, obj, None)
    message = str(caught.value)
    assert "agent_channel='middle' from object metadata" in message
    assert "ring_time_s='soon' from object metadata" in message


def test_a_sidecar_that_is_not_json_is_named(store):
    obj = store.put("x.wav", b"audio")
    store.put("x.meta.json", b"{not json")
    with pytest.raises(CallMetadataError, match=r"x\.meta\.json: call metadata is not UTF-8 JSON"):
        read_call_metadata(store, obj, None)
    store.put("x.meta.json", b"[1, 2]")
    with pytest.raises(CallMetadataError, match="must be a JSON object, got list"):
        read_call_metadata(store, obj, None)


def test_a_bad_sidecar_value_names_the_sidecar(store):
    obj = store.put("x.wav", b"audio")
    store.put("x.meta.json", json.dumps({"started_at": "yesterday"}).encode())
    with pytest.raises(
        CallMetadataError, match=r"started_at='yesterday' from sidecar .*x\.meta\.json"
    ):
        read_call_metadata(store, obj, None)


def test_an_invalid_pattern_is_a_configuration_error(store):
    obj = store.put("x.wav", b"audio")
    with pytest.raises(ConfigError, match="filename_pattern"):
        read_call_metadata(store, obj, "(?P<agent_id>")


def test_object_metadata_from_s3(s3_server):
    store = S3Store(
        s3_server.new_bucket(),
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    store.put(NAME, b"audio", metadata={"Agent-Id": "A010", "started-at": "20260314T100000Z"})
    store.put(sidecar_key_for(NAME), json.dumps({"team_id": "T9"}).encode())

    meta = read_call_metadata(store, store.stat(NAME), PATTERN)

    assert (meta.agent_id, meta.team_id, meta.customer_ref) == ("A010", "T9", "C42")
    assert meta.started_at == datetime(2026, 3, 14, 10, 0)
