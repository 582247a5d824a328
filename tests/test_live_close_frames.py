"""The WebSocket close frame that tells a live stream's sender why it was closed: a
control frame holds at most 125 bytes, so a reason with Chinese in it (a call id, a text
message quoted) must be cut by bytes, not by characters, or the server's handler fails
and the sender gets 1011 and no reason (found by bench/drill_live.py)."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from pipeline.live.events import CallClosed
from tests.test_live import Collected, _engine


def test_close_reasons_with_chinese_fit_the_close_frame(whisper, pack, tmp_path):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from pipeline.live.websocket import POLICY_VIOLATION, LiveServer

    events = Collected()
    engine = _engine(whisper, pack, tmp_path / "keep", events)
    call_id = "来电-" + "客户来电" * 10
    meta = {"call_id": call_id, "sample_rate": 8000, "channels": 1}
    speech_like = (np.random.default_rng(3).normal(0, 300, 8000)).astype("<i2").tobytes()
    closes: dict[str, tuple[int | None, str]] = {}

    async def stream(url: str, name: str, first: dict[str, object], then: str | bytes) -> None:
        async with connect(url) as ws:
            try:
                await ws.send(json.dumps(first))
                await ws.send(speech_like)
                await ws.send(then)
                await asyncio.wait_for(ws.wait_closed(), 30)
            except ConnectionClosed:
                pass
            closes[name] = (ws.close_code, ws.close_reason or "")

    async def main() -> None:
        async with LiveServer(engine, port=0, idle_timeout_s=5) as server:
            url = f"ws://127.0.0.1:{server.port}"
            await asyncio.gather(
                stream(url, "text", meta, "喂" * 60),  # quoted in the reason
                stream(url, "rate", {**meta, "sample_rate": 44100}, b""),  # rejected at once
            )

    asyncio.run(main())
    assert engine.wait_closed(call_id, timeout=60) is not None
    engine.stop()
    for name, (code, reason) in closes.items():
        assert code == POLICY_VIOLATION, (name, code)
        assert len(reason.encode()) <= 123 and reason, (name, reason)
    closed = [e for e in events.of(CallClosed) if e.call_id == call_id]
    assert "not the end message" in closed[0].reason
    assert "客户来电" in closes["text"][1] or "喂" in closes["text"][1]


def test_a_second_stream_of_a_call_id_is_kept_apart_and_an_oversized_first_message_is_recorded(
    whisper, pack, tmp_path
):
    """Found by bench/drill_live.py: two connections naming one call interleaved their audio
    in one recording and the first end message dropped the other's audio; a first message
    over the size limit left no trace."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from pipeline.live.websocket import MAX_MESSAGE, LiveServer

    events = Collected()
    engine = _engine(whisper, pack, tmp_path / "keep", events)
    meta = {"call_id": "twice", "sample_rate": 8000, "channels": 1}
    second = (np.random.default_rng(4).normal(0, 300, 8000)).astype("<i2").tobytes()

    async def stream(url: str, seconds: int, hold: float) -> None:
        async with connect(url) as ws:
            await ws.send(json.dumps(meta))
            for _ in range(seconds):
                await ws.send(second)
                await asyncio.sleep(hold)
            await ws.send(json.dumps({"type": "end"}))
            await asyncio.sleep(0.3)

    async def oversized(url: str) -> None:
        async with connect(url, max_size=None) as ws:
            try:
                await ws.send(b"x" * (MAX_MESSAGE + 1))
                await asyncio.wait_for(ws.wait_closed(), 10)
            except ConnectionClosed:
                pass

    async def main() -> None:
        async with LiveServer(engine, port=0, idle_timeout_s=5) as server:
            url = f"ws://127.0.0.1:{server.port}"
            await asyncio.gather(stream(url, 2, 0.05), stream(url, 4, 0.2), oversized(url))

    asyncio.run(main())
    assert engine.wait_closed("twice", timeout=60) is not None
    assert engine.wait_closed("twice-dup2", timeout=60) is not None
    engine.stop()
    closed = {e.call_id: e for e in events.of(CallClosed)}
    assert closed["twice"].reason == closed["twice-dup2"].reason == "ended"
    kept = {cid: closed[cid].recording_path for cid in ("twice", "twice-dup2")}
    assert len(set(kept.values())) == 2 and all(kept.values())
    import soundfile as sf

    seconds = sorted(round(sf.info(path).duration) for path in kept.values())
    assert seconds == [2, 4]
    too_big = [e for e in closed.values() if "byte limit" in e.reason]
    assert len(too_big) == 1 and "first message" in too_big[0].reason
