"""The object stores behave alike: a folder (LocalStore) and a real S3 server (SeaweedFS on
loopback, see services_s3.py) run the same tests."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from core.config import load_settings
from core.errors import ConfigError, NoSpeechError
from storage.local import LocalStore
from storage.locations import list_recordings, open_location, quarantine_prefix, results_store
from storage.objects import (
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    StoredObject,
)
from storage.quarantine import quarantine
from storage.s3 import S3Store


def s3_store(server, bucket: str, **options) -> S3Store:
    return S3Store(
        bucket,
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        **options,
    )


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    server = request.getfixturevalue("s3_server")
    return s3_store(server, server.new_bucket())


@pytest.fixture
def settings():
    return load_settings(None)


# --- the protocol, on both stores ----------------------------------------------------------
def test_both_stores_satisfy_the_protocol(store):
    assert isinstance(store, ObjectStore)
    assert not hasattr(store, "delete"), "recordings are never deleted"


def test_put_get_stat_round_trip_with_metadata(store):
    written = store.put(
        "2026/03/call-001.wav",
        b"RIFF fake audio",
        content_type="audio/wav",
        metadata={"Agent-Id": "A007", "ring_time_s": "4.5"},
    )
    stat = store.stat("2026/03/call-001.wav")

    assert store.get("2026/03/call-001.wav") == b"RIFF fake audio"
    assert stat.size == len(b"RIFF fake audio")
    assert stat.metadata == {"agent-id": "A007", "ring_time_s": "4.5"}
    assert written.metadata == stat.metadata
    assert written.version == stat.version
    assert stat.last_modified is not None
    assert store.exists("2026/03/call-001.wav")
    assert store.describe("2026/03/call-001.wav").endswith("2026/03/call-001.wav")


def test_list_is_recursive_sorted_and_filtered_by_prefix(store):
    for key in ["b/2.wav", "a/x/1.wav", "a/0.wav", "ab.wav", "c.txt"]:
        store.put(key, key.encode())

    assert [o.key for o in store.list("")] == ["a/0.wav", "a/x/1.wav", "ab.wav", "b/2.wav", "c.txt"]
    assert [o.key for o in store.list("a/")] == ["a/0.wav", "a/x/1.wav"]
    assert [o.key for o in store.list("a")] == ["a/0.wav", "a/x/1.wav", "ab.wav"]
    assert list(store.list("nothing/")) == []
    listed = {o.key: o for o in store.list("")}
    assert listed["b/2.wav"].version == store.stat("b/2.wav").version
    assert listed["b/2.wav"].size == 7


def test_copy_keeps_content_and_metadata_or_replaces_metadata(store):
    store.put("in/a.wav", b"abc", metadata={"agent-id": "A1"})

    kept = store.copy("in/a.wav", "out/a.wav")
    replaced = store.copy("in/a.wav", "out/b.wav", metadata={"reason": "no_speech"})

    assert store.get("out/a.wav") == b"abc"
    assert store.stat("out/a.wav").metadata == {"agent-id": "A1"} == kept.metadata
    assert store.stat("out/b.wav").metadata == {"reason": "no_speech"} == replaced.metadata
    assert kept.size == 3
    assert store.get("in/a.wav") == b"abc", "the source stays"


def test_version_follows_the_content(store):
    first = store.put("k.wav", b"one").version
    second = store.put("k.wav", b"two").version
    again = store.put("k.wav", b"two").version

    assert first != second
    assert store.stat("k.wav").version == again
    # Without bucket versioning a version is a content digest: same bytes, same version.
    assert again == second


def test_missing_object_error_names_the_location(store):
    with pytest.raises(ObjectNotFound) as caught:
        store.stat("missing/call.wav")
    assert store.describe("missing/call.wav") in str(caught.value)
    assert "no such object" in str(caught.value)
    with pytest.raises(ObjectNotFound, match=r"missing/call\.wav"):
        store.get("missing/call.wav")
    with pytest.raises(ObjectNotFound, match=r"missing/call\.wav"):
        store.copy("missing/call.wav", "elsewhere.wav")
    assert not store.exists("missing/call.wav")
    assert not isinstance(caught.value, StorageUnavailable)


@pytest.mark.parametrize("key", ["../escape.wav", "/absolute.wav", "a//b.wav", "a/./b.wav", ""])
def test_keys_that_leave_the_namespace_are_refused(store, key):
    with pytest.raises(StorageError, match="invalid object key"):
        store.put(key, b"x")


def test_metadata_must_fit_in_http_headers(store):
    # Non-ASCII text travels (RFC 2047 encoded on S3); line breaks and odd names do not.
    store.put("a.wav", b"x", metadata={"agent-name": "张伟", "source": "录音/客户 01.wav"})
    assert store.stat("a.wav").metadata == {"agent-name": "张伟", "source": "录音/客户 01.wav"}
    store.copy("a.wav", "b.wav", metadata={"agent-name": "李娜"})
    assert store.stat("b.wav").metadata == {"agent-name": "李娜"}
    with pytest.raises(StorageError, match="one line"):
        store.put("a.wav", b"x", metadata={"note": "two\nlines"})
    with pytest.raises(StorageError, match="metadata name"):
        store.put("a.wav", b"x", metadata={"agent id": "A1"})


def test_list_recordings_skips_results_quarantine_and_sidecars(store, settings):
    for key in [
        "calls/a.wav",
        "calls/B.FLAC",
        "calls/a.meta.json",
        "calls/notes.txt",
        "calls/results/a.json",
        "calls/results/echo.wav",
        "calls/quarantine/calls/bad.wav",
        "calls/sub/c.opus",
        "other/d.wav",
    ]:
        store.put(key, b"x")

    keys = [o.key for o in list_recordings(store, "calls/", settings)]

    assert keys == ["calls/B.FLAC", "calls/a.wav", "calls/sub/c.opus"]
    everything = [o.key for o in list_recordings(store, "", settings)]
    assert "other/d.wav" in everything and "calls/results/echo.wav" in everything


def test_quarantine_copies_keeps_the_original_and_records_why(store):
    original = store.put("in/silent.wav", b"silence", metadata={"agent-id": "A1"})
    error = NoSpeechError("in/silent.wav", "no speech found by the VAD")

    copy_key = quarantine(store, original, error, prefix="quarantine/")
    again = quarantine(
        store, original, {"problem": "still silent", "reason": "no_speech"}, prefix="quarantine"
    )

    assert copy_key == again == "quarantine/in/silent.wav"
    assert store.get("in/silent.wav") == b"silence"
    assert store.get(copy_key) == b"silence"
    assert store.stat(copy_key).metadata == {"agent-id": "A1"}
    record = json.loads(store.get(copy_key + ".reason.json"))
    assert record["source"] == store.describe("in/silent.wav")
    assert record["version"] == original.version
    assert record["reason"] == "no_speech"
    assert record["problem"] == "still silent"  # the second call rewrote it
    assert record["at"].endswith("+00:00")


def test_quarantine_records_an_audio_error(store):
    original = store.put("x.wav", b"x")
    quarantine(store, original, NoSpeechError("x.wav", "no speech found"), prefix="q/")
    record = json.loads(store.get("q/x.wav.reason.json"))
    assert (record["problem"], record["reason"]) == ("no speech found", "no_speech")


def test_quarantine_refuses_an_empty_prefix(store):
    original = store.put("x.wav", b"x")
    with pytest.raises(StorageError, match="onto itself"):
        quarantine(store, original, "bad", prefix="")


# --- the local store ---------------------------------------------------------------------
def test_local_store_hides_its_own_files_and_writes_atomically(tmp_path):
    store = LocalStore(tmp_path)
    store.put("a/call.wav", b"x", metadata={"agent-id": "A1"})
    (tmp_path / "a" / ".half-written.tmp").write_bytes(b"partial")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "z.wav").write_bytes(b"z")

    assert [o.key for o in store.list("")] == ["a/call.wav"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        ".call.wav.objmeta.json",
        ".half-written.tmp",
        "call.wav",
    ]
    with pytest.raises(StorageError, match="reserved"):
        store.put("a/.call.wav.objmeta.json", b"{}")


def test_local_version_is_cached_by_size_and_mtime(tmp_path):
    store = LocalStore(tmp_path)
    version = store.put("a.wav", b"abc").version
    assert store.stat("a.wav").version == version
    (tmp_path / "a.wav").write_bytes(b"abd")  # changed behind the store's back
    assert store.stat("a.wav").version != version


# --- S3 specifics ------------------------------------------------------------------------
def test_versioned_bucket_reports_version_ids(s3_server):
    store = s3_store(s3_server, s3_server.new_bucket(versioned=True))

    first = store.put("k.wav", b"same")
    second = store.put("k.wav", b"same")

    assert first.version != second.version, "a versioned bucket gives every put a new id"
    assert store.stat("k.wav").version == second.version
    assert [o.version for o in store.list("")] == [second.version]
    copied = store.copy("k.wav", "q/k.wav")
    assert copied.version == store.stat("q/k.wav").version


def test_missing_bucket_is_named(s3_server):
    store = s3_store(s3_server, "no-such-bucket-here")
    with pytest.raises(ObjectNotFound, match=r"s3://no-such-bucket-here/a\.wav: bucket"):
        store.stat("a.wav")


def test_wrong_secret_is_access_denied_not_unavailable(s3_server):
    store = S3Store(
        s3_server.new_bucket(),
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key="wrong-secret",
    )
    with pytest.raises(StorageError, match="access denied") as caught:
        store.stat("a.wav")
    assert not isinstance(caught.value, StorageUnavailable)
    assert "s3://" in str(caught.value)


def test_closed_port_is_unavailable_and_names_the_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again once the block ends
    store = S3Store("calls", endpoint=f"127.0.0.1:{port}", access_key="k", secret_key="s")

    with pytest.raises(StorageUnavailable, match=f"127.0.0.1:{port}"):
        store.stat("a.wav")
    with pytest.raises(StorageUnavailable):
        list(store.list(""))


def test_sse_s3_encrypts_on_put_and_copy(s3_server):
    bucket = s3_server.new_bucket()
    store = s3_store(s3_server, bucket, sse="s3")

    store.put("secret.wav", b"customer voice")
    store.copy("secret.wav", "copy.wav", metadata={"reason": "x"})

    # Read the server's own answer about the stored objects, not our client's settings.
    raw = s3_server.client()
    for key in ("secret.wav", "copy.wav"):
        headers = raw.stat_object(bucket, key).metadata
        assert headers.get("x-amz-server-side-encryption") == "AES256", key
    assert store.get("secret.wav") == b"customer voice"


def test_kms_needs_a_key_id():
    with pytest.raises(ConfigError, match="s3_kms_key"):
        S3Store("calls", endpoint="127.0.0.1:1", access_key="k", secret_key="s", sse="kms")


def test_tls_with_a_private_ca(s3_server, tmp_path):
    if s3_server.tls_endpoint is None:
        pytest.skip("`cryptography` is not installed, so the test server has no TLS port")
    bucket = s3_server.new_bucket()
    options = {"access_key": s3_server.access_key, "secret_key": s3_server.secret_key}
    trusted = S3Store(
        bucket, endpoint=s3_server.tls_endpoint, secure=True, ca_bundle=s3_server.ca_file, **options
    )
    trusted.put("tls.wav", b"over TLS")
    assert trusted.get("tls.wav") == b"over TLS"

    untrusted = S3Store(bucket, endpoint=s3_server.tls_endpoint, secure=True, **options)
    with pytest.raises(StorageError, match="s3_ca_bundle") as caught:
        untrusted.stat("tls.wav")
    assert not isinstance(caught.value, StorageUnavailable)
    with pytest.raises(ConfigError, match="s3_ca_bundle"):
        S3Store(bucket, endpoint=s3_server.tls_endpoint, ca_bundle=tmp_path / "none.pem", **options)


def test_from_settings_uses_the_s3_settings(s3_server, s3_settings):
    bucket = s3_server.new_bucket()
    store = S3Store.from_settings(s3_settings, bucket)
    store.put("a.wav", b"a")
    assert store.location == f"s3://{bucket}"
    assert store.endpoint == s3_server.endpoint


# --- locations ---------------------------------------------------------------------------
def test_open_location_of_a_folder(tmp_path, settings):
    store, prefix = open_location(str(tmp_path), settings)
    assert isinstance(store, LocalStore) and prefix == ""
    with pytest.raises(StorageError, match="folder not found"):
        open_location(str(tmp_path / "absent"), settings)
    (tmp_path / "f.wav").write_bytes(b"")
    with pytest.raises(StorageError, match="not a folder"):
        open_location(str(tmp_path / "f.wav"), settings)
    with pytest.raises(StorageError, match="unsupported location"):
        open_location("gs://bucket/x", settings)


def test_open_location_of_a_bucket(s3_server, s3_settings):
    bucket = s3_server.new_bucket()
    store, prefix = open_location(f"s3://{bucket}/2026/03", s3_settings)
    assert isinstance(store, S3Store) and store.bucket == bucket and prefix == "2026/03/"
    assert open_location(f"s3://{bucket}", s3_settings)[1] == ""
    with pytest.raises(StorageError, match="no bucket"):
        open_location("s3:///x", s3_settings)


def test_results_go_beside_the_source_by_default(tmp_path, settings):
    source, prefix = open_location(str(tmp_path), settings)
    results, results_prefix = results_store(source, prefix, settings)
    assert results is source and results_prefix == "results/"
    results.put(results_prefix + "call.json", b"{}")
    assert (tmp_path / "results" / "call.json").is_file()
    assert quarantine_prefix("in/", settings) == "in/quarantine/"


def test_results_location_overrides(tmp_path):
    settings = load_settings(None, results_location=str(tmp_path / "out"))
    source = LocalStore(tmp_path / "in")
    results, prefix = results_store(source, "", settings)
    assert isinstance(results, LocalStore) and results.root == (tmp_path / "out").resolve()
    assert prefix == ""


def test_stored_object_is_frozen():
    obj = StoredObject("k", "v", 1, {}, None)
    with pytest.raises(AttributeError):
        obj.key = "other"  # type: ignore[misc]


def test_describe_gives_a_path_for_local_objects(tmp_path):
    assert LocalStore(tmp_path).describe("a/b.wav") == str(Path(tmp_path).resolve() / "a/b.wav")


def test_listed_version_agrees_with_stat_for_encrypted_objects(s3_server):
    # SeaweedFS's versions listing reports another ETag for SSE objects than HEAD does.
    store = s3_store(s3_server, s3_server.new_bucket(), sse="s3")
    written = store.put("e.wav", b"hello")
    assert [o.version for o in store.list("")] == [written.version] == [store.stat("e.wav").version]


def test_keys_may_be_chinese_with_spaces(store):
    store.put("录音/客户 01.wav", b"x")
    assert [o.key for o in store.list("录音/")] == ["录音/客户 01.wav"]
    assert store.get("录音/客户 01.wav") == b"x"
