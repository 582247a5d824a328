"""The live path on real audio: a synthetic call replayed through the real engine with the
real Whisper model, the real WebSocket server with real clients sending good and bad
streams at once, growing files tailed, and ``callqa live --replay --json``."""

from __future__ import annotations

import asyncio
import json
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.live.events import Alert, CallClosed, LiveEvent, SegmentFinal
from tests.test_cli import run

RUDE_LINES = 5  # greeting, complaint, 这个我管不了, the customer again, 明天再去呗


@pytest.fixture(scope="session")
def rude_call(tmp_path_factory):
    """The first lines of the rude-agent script, stereo, agent left; and its truth."""
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS

    call = build_call("rude-live", SCRIPTS["complaint_rude"][:RUDE_LINES], agent_channel=0)
    path = write_call(call, tmp_path_factory.mktemp("live") / "rude-live.wav")
    sidecar = {"call_id": "rude-live", "agent_id": "A7", "agent_channel": "left"}
    path.with_name("rude-live.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    return path, call


@pytest.fixture(scope="session")
def live_pack():
    from rules import default_pack_path, load_pack

    return load_pack(default_pack_path())


class Collected:
    """The hook the tests inject: every event, in order, from the engine's thread."""

    def __init__(self) -> None:
        self.events: list[LiveEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: LiveEvent) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type, call_id: str | None = None) -> list:
        with self.lock:
            return [
                e
                for e in self.events
                if isinstance(e, kind) and (call_id is None or e.call_id == call_id)
            ]


def _engine(whisper, pack, keep: Path, hook: Collected):
    from pipeline.live import LiveEngine, LiveOptions

    return LiveEngine(whisper, pack, LiveOptions(keep_dir=keep), hook=hook).start()


def test_replayed_call_alerts_forbidden_language_once_near_the_phrase(
    whisper, live_pack, rude_call, tmp_path
):
    from pipeline.live.sources import replay

    path, call = rude_call
    events = Collected()
    engine = _engine(whisper, live_pack, tmp_path / "keep", events)
    call_id = replay(engine, path, speed=0)
    closed = engine.wait_closed(call_id, timeout=600)
    engine.stop()

    assert closed is not None and closed.reason == "ended", closed
    phrase = next(t for t in call.turns if "管不了" in t.text)
    forbidden = [a for a in events.of(Alert) if a.rule == "forbidden_language"]
    # two forbidden phrases are said (管不了, then 呗): the alert fires once, at the first
    assert len(forbidden) == 1, events.of(Alert)
    assert abs(forbidden[0].t - phrase.end) <= 1.5, (forbidden[0], phrase)
    assert "管不了" in forbidden[0].evidence
    assert forbidden[0].severity == "critical"
    segments = events.of(SegmentFinal, call_id)
    assert {s.speaker for s in segments} == {"agent", "customer"}
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    # the audio received is kept for the batch path, whole
    with wave.open(closed.recording_path) as kept:
        assert abs(kept.getnframes() / kept.getframerate() - call.samples.shape[1] / 16000) < 0.2
    sidecar = json.loads(Path(closed.recording_path).with_suffix(".meta.json").read_text())
    assert sidecar["call_id"] == call_id and sidecar["agent_channel"] == "left"


def _pcm(samples: np.ndarray) -> bytes:
    """Interleaved 16-bit little-endian frames, as a stream sends them."""
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").T.tobytes()


def test_websocket_bad_streams_close_with_reasons_while_a_good_one_completes(
    whisper, live_pack, rude_call, tmp_path
):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from pipeline.live.websocket import LiveServer

    _path, call = rude_call
    good_pcm = _pcm(call.samples)  # 16 kHz; the bad streams below say 8 kHz
    events = Collected()
    keep = tmp_path / "keep"
    engine = _engine(whisper, live_pack, keep, events)
    meta = {"agent_id": "A7", "agent_channel": 0, "sample_rate": 8000, "channels": 2}
    rng = np.random.default_rng(7)

    async def stream(url: str, first: object, blocks: list[bytes], end: bool) -> None:
        async with connect(url) as ws:
            if first is not None:
                await ws.send(first if isinstance(first, bytes) else json.dumps(first))
            for block in blocks:
                try:
                    await ws.send(block)
                except Exception:
                    return  # the server closed this stream (bad input)
                await asyncio.sleep(0.005)
            if end:
                try:
                    await ws.send(json.dumps({"type": "end"}))
                except ConnectionClosed:
                    return  # the server refused this stream before its end: the test says why
                await asyncio.sleep(0.2)

    def blocks(data: bytes, size: int = 3200) -> list[bytes]:
        return [data[i : i + size] for i in range(0, len(data), size)]

    quiet = (rng.normal(0, 300, 16000) * 1).astype("<i2").tobytes()  # 1 s of 8 kHz stereo hiss
    garbage = rng.integers(0, 256, 48000, dtype=np.uint8).tobytes()  # 1.5 s of noise

    async def main() -> None:
        async with LiveServer(engine, port=0, idle_timeout_s=1.5) as server:
            url = f"ws://127.0.0.1:{server.port}"
            await asyncio.gather(
                stream(
                    url,
                    {"call_id": "good", **meta, "sample_rate": 16000},
                    blocks(good_pcm, 6400),
                    end=True,
                ),
                stream(url, {"call_id": "garbage", **meta}, blocks(quiet + garbage), end=True),
                stream(url, None, [quiet], end=False),  # audio with no metadata first
                stream(url, {"call_id": "no-rate", "channels": 2}, [quiet], end=True),
                stream(url, {"call_id": "odd-bytes", **meta}, [quiet, b"\x01\x02\x03"], True),
                stream(url, {"call_id": "dropped", **meta}, blocks(quiet), end=False),
                _stalled(url, {"call_id": "stalled", **meta}, quiet),
            )

    async def _stalled(url: str, first: dict, audio: bytes) -> None:
        async with connect(url) as ws:
            await ws.send(json.dumps(first))
            await ws.send(audio)
            await asyncio.sleep(3.0)  # longer than the server's idle timeout

    asyncio.run(main())
    for call_id in ("good", "garbage", "odd-bytes", "dropped", "stalled"):
        assert engine.wait_closed(call_id, timeout=600) is not None, call_id
    engine.stop()

    closed = {c.call_id: c for c in events.of(CallClosed)}
    assert closed["good"].reason == "ended"
    assert events.of(SegmentFinal, "good"), "the good stream was recognised"
    assert "forbidden_language" in closed["good"].alerts
    assert closed["garbage"].reason.startswith("ws:") and "garbage" in closed["garbage"].reason
    assert "wrong sample format" in closed["odd-bytes"].reason
    assert closed["dropped"].reason == "disconnected without an end message"
    assert closed["stalled"].reason.startswith("timeout")
    rejected = [c for c in closed.values() if c.call_id.startswith("rejected-")]
    reasons = sorted(c.reason for c in rejected)
    assert len(rejected) == 2 and all(
        "missing metadata" in r or "sample_rate" in r for r in reasons
    )
    assert any("sample_rate None" in r for r in reasons)
    # whatever audio arrived is kept: every call stream as a WAV at its own rate
    for call_id, rate, seconds in (
        ("good", 16000, len(good_pcm) / 64000),
        ("dropped", 8000, 1.0),
        ("stalled", 8000, 1.0),
        ("odd-bytes", 8000, 1.0),
    ):
        with wave.open(closed[call_id].recording_path) as kept:
            assert kept.getframerate() == rate and kept.getnchannels() == 2
            assert abs(kept.getnframes() / rate - seconds) < 0.05, call_id
    with wave.open(closed["garbage"].recording_path) as kept:
        assert kept.getnframes() >= 8000  # the hiss and the garbage after it
    # the stream that began with audio: its bytes kept as they came, with the reason
    raw = next(c for c in rejected if "missing metadata" in c.reason)
    assert Path(raw.recording_path).read_bytes() == quiet


def _write_growing_wav(path: Path, audio: bytes, *, end_marker: bool) -> None:
    """A recorder writing a WAV as the call goes: header with sizes unknown, then blocks."""
    header = bytearray(44)
    header[0:4], header[8:16] = b"RIFF", b"WAVEfmt "
    header[16:20] = (16).to_bytes(4, "little")
    header[20:36] = (
        (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + (16000).to_bytes(4, "little")
        + (32000).to_bytes(4, "little")
        + (2).to_bytes(2, "little")
        + (16).to_bytes(2, "little")
    )
    header[36:40] = b"data"
    with path.open("wb") as out:
        out.write(bytes(header))
        for at in range(0, len(audio), 6400):
            out.write(audio[at : at + 6400])
            out.flush()
            threading.Event().wait(0.02)
    if end_marker:
        path.with_name(path.name + ".end").write_bytes(b"")


def test_growing_files_end_at_their_marker_or_time_out(whisper, live_pack, tmp_path):
    from pipeline.live.sources import tail

    hiss = (np.random.default_rng(3).normal(0, 200, 32000)).astype("<i2").tobytes()  # 2 s
    events = Collected()
    engine = _engine(whisper, live_pack, tmp_path / "keep", events)
    paths = {"marked": tmp_path / "marked.wav", "abandoned": tmp_path / "abandoned.wav"}
    writers = [
        threading.Thread(
            target=_write_growing_wav, args=(p, hiss), kwargs={"end_marker": k == "marked"}
        )
        for k, p in paths.items()
    ]
    for w in writers:
        w.start()
    threading.Event().wait(0.1)
    tails = [
        threading.Thread(target=tail, args=(engine, p), kwargs={"idle_timeout_s": 1.0})
        for p in paths.values()
    ]
    for t in tails:
        t.start()
    for t in tails + writers:
        t.join(60)
    closed = {k: engine.wait_closed(k, timeout=60) for k in paths}
    engine.stop()
    assert closed["marked"].reason == "ended"
    assert "stopped growing" in closed["abandoned"].reason
    for c in closed.values():
        with wave.open(c.recording_path) as kept:
            assert kept.getnframes() == 32000 and kept.getnchannels() == 1


def test_cli_replay_json_lines_parse_and_the_store_gets_the_call(rude_call, tmp_path):
    from sqlalchemy import select

    from storage.database import Store
    from storage.live_schema import LiveAlert, LiveCall, LiveSegment

    path, _call = rude_call
    url = f"sqlite:///{tmp_path / 'live.db'}"
    result = run(
        "live", "--replay", str(path), "--speed", "0", "--json", "--no-sentiment",
        "--keep", str(tmp_path / "keep"), "--store", url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines, result.stderr
    assert all(set(line) == {"call_id", "t", "rule", "evidence", "severity"} for line in lines)
    assert [line["rule"] for line in lines].count("forbidden_language") == 1
    assert all(line["call_id"] == "rude-live" for line in lines)
    kept = list((tmp_path / "keep").glob("rude-live*.wav"))
    assert kept
    store = Store(url)
    with store.session() as session:
        call = session.scalars(select(LiveCall)).one()
        alerts = session.scalars(select(LiveAlert)).all()
        segments = session.scalars(select(LiveSegment)).all()
    assert (call.id, call.agent_id, call.close_reason) == ("rude-live", "A7", "ended")
    assert call.recording_path == str(kept[0])
    assert sorted(a.rule_id for a in alerts) == sorted(line["rule"] for line in lines)
    assert len(segments) >= RUDE_LINES and {s.speaker for s in segments} == {"agent", "customer"}


def test_chunks_packed_in_one_window_get_their_own_words_back(whisper, rude_call):
    """Two parties' utterances decoded in one Whisper window: each gets its own words."""
    from pipeline.live.endpoint import Endpointer
    from pipeline.live.packing import recognise_together
    from pipeline.transcribe import TranscribeOptions

    _path, call = rude_call
    chunks = {}
    for channel in (0, 1):
        cutter = Endpointer(channel)
        cut = cutter.feed(call.samples[channel]) + cutter.flush()
        chunks[channel] = cut
    agent = next(c for c in chunks[0] if c.start > 9)  # 吞卡了你去网点找，这个我管不了
    customer = [c for c in chunks[1] if c.start < 9]  # 你好，我要投诉…
    packed = [*customer, agent]
    texts = recognise_together(packed, whisper, TranscribeOptions(beam_size=1))
    customer_text = "".join(s.text for t in texts[:-1] for s in t.segments)
    agent_text = "".join(s.text for s in texts[-1].segments)
    assert "你好" in customer_text and "管不了" not in customer_text
    assert "管不了" in agent_text and "你好" not in agent_text
    for text, chunk in zip(texts, packed, strict=True):
        assert all(
            0 <= w.start <= w.end <= len(chunk.samples) / 16000
            for s in text.segments
            for w in s.words
        )
