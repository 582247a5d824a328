"""The live engine: every call in progress, one recognition worker.

Sources (a WebSocket, a growing file, a replay) call :meth:`LiveEngine.open`,
:meth:`~LiveEngine.feed` and :meth:`~LiveEngine.close` from any thread; one worker thread
takes the audio in (cheap: kept, checked, cut at pauses) and recognises the voiced chunks
oldest first, so one busy call cannot starve the others and the model is used by one
thread with all the cores it was given. A call whose input goes bad is closed with the
reason, its audio kept; the other calls go on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import CallqaError
from pipeline.live.call import LiveCall
from pipeline.live.endpoint import Chunk, EndpointOptions
from pipeline.live.events import CallClosed, CallMeta, CallOpened, LiveEvent, LiveHook, no_hook
from pipeline.live.live_rules import LiveRules, Scorer, live_pack
from pipeline.live.packing import fits, recognise_together
from pipeline.live.recording import keep_raw
from pipeline.transcribe import ChannelTranscript, TranscribeOptions

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from rules.pack import RulePack

log = logging.getLogger("callqa.live")


@dataclass(frozen=True)
class LiveOptions:
    keep_dir: Path
    """Where each call's received audio is written when it ends, for the batch path."""
    transcribe: TranscribeOptions = field(default_factory=lambda: TranscribeOptions(beam_size=1))
    """Greedy decoding by default: live needs the time more than the last few CER points."""
    endpoint: EndpointOptions = field(default_factory=EndpointOptions)
    model_label: str = "whisper-base"
    pack_chunks: bool = True
    """Chunks waiting together share one Whisper window (pipeline.live.packing)."""


@dataclass(frozen=True)
class _Open:
    meta: CallMeta
    source: str


@dataclass(frozen=True)
class _Feed:
    call_id: str
    frames: np.ndarray
    channel: int | None
    arrived: float


@dataclass(frozen=True)
class _Close:
    call_id: str
    reason: str


@dataclass(frozen=True)
class _Reject:
    call_id: str
    source: str
    reason: str
    data: bytes


@dataclass(order=True)
class _Ready:
    arrived: float
    seq: int
    call_id: str = field(compare=False)
    chunk: Chunk = field(compare=False)


class LiveEngine:
    def __init__(
        self,
        whisper: WhisperModel,
        pack: RulePack,
        options: LiveOptions,
        *,
        hook: LiveHook = no_hook,
        scorer: Scorer | None = None,
    ) -> None:
        self.whisper = whisper
        self.pack = live_pack(pack)
        self.options = options
        self.hook = hook
        self.scorer = scorer
        self.calls: dict[str, LiveCall] = {}
        self.inbox: queue.Queue[_Open | _Feed | _Close | _Reject | None] = queue.Queue()
        self.ready: list[_Ready] = []
        self.seq = 0
        self.closed: dict[str, CallClosed] = {}
        self.closed_signal = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="callqa-live", daemon=True)
        self.stopping = False

    # --- any thread -----------------------------------------------------------------
    def start(self) -> LiveEngine:
        self.thread.start()
        return self

    def open(self, meta: CallMeta, source: str) -> None:
        with self.closed_signal:  # a reconnecting call is open again from now on
            self.closed.pop(meta.call_id, None)
        self.inbox.put(_Open(meta, source))

    def feed(self, call_id: str, frames: np.ndarray, channel: int | None = None) -> None:
        """16-bit frames as the source sent them: (channels, n), or one party's (1, n)."""
        self.inbox.put(_Feed(call_id, frames, channel, time.monotonic()))

    def close(self, call_id: str, reason: str = "ended") -> None:
        self.inbox.put(_Close(call_id, reason))

    def reject(self, call_id: str, source: str, reason: str, data: bytes = b"") -> None:
        """A stream that never became a call (no usable metadata): opened and closed at
        once with ``reason``, whatever bytes it sent kept as they are."""
        self.inbox.put(_Reject(call_id, source, reason, data))

    def stop(self, timeout: float | None = None) -> None:
        """Finish what was sent (open calls are closed as 'engine stopped'), then end."""
        self.inbox.put(None)
        self.thread.join(timeout)

    def wait_closed(self, call_id: str, timeout: float) -> CallClosed | None:
        with self.closed_signal:
            self.closed_signal.wait_for(lambda: call_id in self.closed, timeout)
            return self.closed.get(call_id)

    # --- the worker -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            block = not self.ready and not self.stopping
            try:
                item = self.inbox.get(timeout=0.05) if block else self.inbox.get_nowait()
            except queue.Empty:
                item = _NOTHING
            if item is None:
                self.stopping = True
                for call_id, call in list(self.calls.items()):
                    if call.closing is None:
                        self._take(_Close(call_id, "engine stopped"))
            elif item is not _NOTHING:
                self._take(item)
                continue  # take everything waiting before the next (slow) recognition
            if self.ready:
                self._recognise(self._next_batch())
            elif self.stopping and self.inbox.empty():
                return

    def _next_batch(self) -> list[_Ready]:
        """The oldest waiting chunk, and (packing on) the next oldest that fit with it."""
        self.ready.sort()
        batch = [self.ready.pop(0)]
        if not self.options.pack_chunks:
            return batch
        rest = []
        for ready in self.ready:
            if fits([b.chunk for b in batch], ready.chunk):
                batch.append(ready)
            else:
                rest.append(ready)
        self.ready = rest
        return batch

    def _take(self, item: _Open | _Feed | _Close | _Reject) -> None:
        if isinstance(item, _Open):
            self._open(item)
            return
        if isinstance(item, _Reject):
            self._reject(item)
            return
        call = self.calls.get(item.call_id)
        if call is None or call.closing is not None:
            return  # audio after a close (the source closed it for a reason already given)
        if isinstance(item, _Close):
            call.closing = item.reason
            self._queue(call, call.flush(), time.monotonic())
            self._finish_if_done(call)
            return
        try:
            chunks = call.take(item.frames, item.channel)
        except CallqaError as exc:
            log.warning("%s", exc)
            self._take(_Close(item.call_id, str(exc)))
            return
        call.stats.max_lag_s = max(call.stats.max_lag_s, time.monotonic() - item.arrived)
        self._queue(call, chunks, item.arrived)
        self._emit_all(call.silence_events())

    def _open(self, item: _Open) -> None:
        meta = item.meta
        if meta.call_id in self.calls and self.calls[meta.call_id].closing is None:
            log.warning("%s: call %s is already open; audio joins it", item.source, meta.call_id)
            return
        rules = LiveRules(self.pack, self.scorer)
        call = LiveCall(meta, item.source, rules, self.options.endpoint, self.options.model_label)
        self.calls[meta.call_id] = call
        self._emit(CallOpened(meta.call_id, meta.agent_id, call.started_at, item.source))

    def _reject(self, item: _Reject) -> None:
        log.warning("%s", item.reason)  # the reason names the stream
        try:
            path = keep_raw(self.options.keep_dir, item.call_id, item.data, item.reason)
        except OSError as exc:
            log.error("%s: bytes not kept: %s", item.source, exc)
            path = None
        self._emit(CallOpened(item.call_id, None, datetime.now(UTC), item.source))
        closed = CallClosed(item.call_id, item.reason, str(path) if path else None)
        self._emit(closed)
        with self.closed_signal:
            self.closed[item.call_id] = closed
            self.closed_signal.notify_all()

    def _queue(self, call: LiveCall, chunks: list[Chunk], arrived: float) -> None:
        for chunk in chunks:
            self.seq += 1
            self.ready.append(_Ready(arrived, self.seq, call.meta.call_id, chunk))

    def _recognise(self, batch: list[_Ready]) -> None:
        texts: list[ChannelTranscript | None]
        try:
            texts = list(
                recognise_together([r.chunk for r in batch], self.whisper, self.options.transcribe)
            )
        except Exception:  # a chunk the model fails on must not stop every call
            log.exception("chunks of %s not recognised", sorted({r.call_id for r in batch}))
            texts = [None] * len(batch)
        for ready, text in zip(batch, texts, strict=True):
            call = self.calls[ready.call_id]
            try:
                events = call.recognised(ready.chunk, text) if text is not None else []
            except Exception:
                log.exception("%s: chunk at %.1f s not handled", call.where, ready.chunk.start)
                events = []
            if text is None:  # never reached recognised(), which counts the chunk done
                call.pending -= 1
            call.stats.max_lag_s = max(call.stats.max_lag_s, time.monotonic() - ready.arrived)
            self._emit_all(events)
            self._finish_if_done(call)

    def _finish_if_done(self, call: LiveCall) -> None:
        if call.closing is None or call.pending > 0:
            return
        try:
            self._emit_all(call.finished())
        except Exception:  # the recording below must be kept whatever the rules do
            log.exception("%s: rules at the end of the call failed", call.where)
        try:
            closed = call.closed(self.options.keep_dir)
        except OSError as exc:
            log.error("%s: recording not kept: %s", call.where, exc)
            closed = CallClosed(
                call.meta.call_id, f"{call.closing}; recording not kept: {exc}", None
            )
        if not closed.clean:
            log.warning(
                "%s closed: %s (audio kept: %s)", call.where, closed.reason, closed.recording_path
            )
        del self.calls[call.meta.call_id]
        self._emit(closed)
        with self.closed_signal:
            self.closed[closed.call_id] = closed
            self.closed_signal.notify_all()

    def _emit_all(self, events: list[LiveEvent]) -> None:
        for event in events:
            self._emit(event)

    def _emit(self, event: LiveEvent) -> None:
        try:
            self.hook(event)
        except Exception:  # a store or a pipe that fails must not stop the calls
            log.exception("live event hook failed on %s", type(event).__name__)


_NOTHING = _Close("", "")
