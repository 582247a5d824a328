"""Calls streamed over WebSocket: one connection per call.

Protocol (docs: README "Live listening"):

1. the first message is text, the call's metadata as JSON:
   ``{"call_id": "...", "agent_id": "...", "agent_channel": 0, "sample_rate": 8000,
   "channels": 2, "layout": "interleaved"}`` (sample_rate 8000 or 16000; channels 1 or 2;
   layout ``interleaved`` frames, or ``per_party``: each message starts with one byte,
   the channel, followed by that party's samples);
2. binary messages: 16-bit little-endian PCM;
3. the text message ``{"type": "end"}`` ends the call.

A stream that stops without the end message (silence for ``idle_timeout_s`` or a dropped
connection), sends garbage or the wrong sample format, or has no metadata is closed with
that reason (the WebSocket close reason says it too); the audio it sent is kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from typing import Any

from pipeline.live.engine import LiveEngine
from pipeline.live.events import ENDED, CallMeta
from pipeline.live.pcm import LiveStreamError, frames_of, parse_meta

log = logging.getLogger("callqa.live")
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
MAX_MESSAGE = 2**22  # 4 MiB: over a minute of 16 kHz stereo in one message


class LiveServer:
    """``async with LiveServer(engine, host, port) as server:`` serves until the block
    ends; ``server.port`` is the port bound (give 0 for any free one)."""

    def __init__(
        self,
        engine: LiveEngine,
        host: str = "127.0.0.1",
        port: int = 8765,
        *,
        idle_timeout_s: float = 10.0,
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self.idle_timeout_s = idle_timeout_s
        self._server: Any = None
        self._unnamed = 0
        self._streaming: set[str] = set()  # call ids with a connection open now

    async def __aenter__(self) -> LiveServer:
        from websockets.asyncio.server import serve

        self._server = await serve(self._handle, self.host, self.port, max_size=MAX_MESSAGE)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("listening for live calls on ws://%s:%d", self.host, self.port)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def serve_forever(self) -> None:
        await self._server.serve_forever()

    async def _handle(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        source = f"ws:{_peer(ws)}"
        try:
            first = await asyncio.wait_for(ws.recv(), self.idle_timeout_s)
        except TimeoutError:
            return  # nothing was sent: no call
        except ConnectionClosed as exc:
            if _too_big(exc):  # the library refused it before we saw it: say so
                self._record_rejection(
                    source, b"", f"{source}: first message over the {MAX_MESSAGE} byte limit"
                )
            return
        if isinstance(first, bytes):
            await self._reject(
                ws,
                source,
                first,
                f"{source}: missing metadata: audio came before the"
                " call's metadata (first message must be JSON text)",
            )
            return
        try:
            meta = parse_meta(first, where=source)
        except LiveStreamError as exc:
            await self._reject(ws, source, b"", str(exc))
            return
        meta = self._distinct(meta, source)
        self._streaming.add(meta.call_id)
        try:
            self.engine.open(meta, source)
            reason = await self._stream(ws, meta, source)
            self.engine.close(meta.call_id, reason)
        finally:
            self._streaming.discard(meta.call_id)
        if reason != ENDED:
            await ws.close(POLICY_VIOLATION, reason.encode()[:120].decode(errors="ignore"))

    async def _stream(self, ws: Any, meta: CallMeta, source: str) -> str:
        from websockets.exceptions import ConnectionClosed

        where = f"{source}: call {meta.call_id}"
        while True:
            try:
                message = await asyncio.wait_for(ws.recv(), self.idle_timeout_s)
            except TimeoutError:
                return f"timeout: no audio for {self.idle_timeout_s:g} s and no end message"
            except ConnectionClosed as exc:
                if _too_big(exc):
                    return f"a message over the {MAX_MESSAGE} byte limit"
                return "disconnected without an end message"
            gone = self.engine.closed.get(meta.call_id)
            if gone is not None:  # the engine closed it (garbage): tell the sender why
                return gone.reason
            if isinstance(message, str):
                if _is_end(message):
                    return ENDED
                return f"garbage: a text message that is not the end message: {message[:40]!r}"
            try:
                if meta.layout == "per_party":
                    if not message or message[0] >= meta.channels:
                        return (
                            "wrong sample format: a per_party message must start with"
                            f" a channel byte below {meta.channels}"
                        )
                    frames = frames_of(message[1:], 1, where=where)
                    self.engine.feed(meta.call_id, frames, channel=message[0])
                else:
                    self.engine.feed(meta.call_id, frames_of(message, meta.channels, where=where))
            except LiveStreamError as exc:
                return str(exc)

    def _distinct(self, meta: CallMeta, source: str) -> CallMeta:
        """A second connection streaming a call id that is streaming now becomes a call of
        its own (``<id>-dup<n>``): feeding one recording from two streams would interleave
        them, and ending one would silently drop the other's audio."""
        if meta.call_id not in self._streaming:
            return meta
        n = 2
        while f"{meta.call_id}-dup{n}" in self._streaming:
            n += 1
        renamed = replace(meta, call_id=f"{meta.call_id}-dup{n}")
        log.warning(
            "%s: call %s is already streaming on another connection; this one is kept as %s",
            source,
            meta.call_id,
            renamed.call_id,
        )
        return renamed

    def _record_rejection(self, source: str, data: bytes, reason: str) -> None:
        self._unnamed += 1
        call_id = f"rejected-{time.strftime('%Y%m%dT%H%M%S')}-{self._unnamed}"
        self.engine.reject(call_id, source, reason, data)

    async def _reject(self, ws: Any, source: str, data: bytes, reason: str) -> None:
        self._record_rejection(source, data, reason)
        await ws.close(POLICY_VIOLATION, reason.encode()[:120].decode(errors="ignore"))


def _too_big(exc: Exception) -> bool:
    sent = getattr(exc, "sent", None)
    return sent is not None and sent.code == MESSAGE_TOO_BIG


def _is_end(message: str) -> bool:
    try:
        data = json.loads(message)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and (data.get("type") == "end" or data.get("end") is True)


def _peer(ws: Any) -> str:
    address = getattr(ws, "remote_address", None)
    return f"{address[0]}:{address[1]}" if address else "unknown"
