"""One call in progress: its audio taken in (checked, kept, cut into voiced chunks), its
recognised segments added to the rolling transcript, and the events that follow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.transcript import Word
from pipeline.live.endpoint import Chunk, Endpointer, EndpointOptions
from pipeline.live.events import Alert, CallClosed, CallMeta, LiveEvent, SegmentFinal
from pipeline.live.live_rules import Finding, LiveRules
from pipeline.live.pcm import GarbageDetector, LiveStreamError, Upsampler, to_float
from pipeline.live.recording import Recording
from pipeline.live.rolling import RollingTranscript
from pipeline.transcribe import ChannelTranscript, Segment


@dataclass
class CallStats:
    max_lag_s: float = 0.0
    chunks: int = 0


class LiveCall:
    def __init__(
        self,
        meta: CallMeta,
        source: str,
        rules: LiveRules,
        endpoint: EndpointOptions,
        model_label: str,
    ) -> None:
        self.meta = meta
        self.source = source
        self.where = f"{source}: call {meta.call_id}"
        self.started_at = datetime.now(UTC)
        self.rules = rules
        self.recording = Recording(meta)
        self.upsample = [Upsampler(meta.sample_rate, 1) for _ in range(meta.channels)]
        self.garbage = GarbageDetector(meta.sample_rate)
        self.endpoints = [Endpointer(c, endpoint) for c in range(meta.channels)]
        self.rolling = RollingTranscript(
            meta.call_id, meta.channels, meta.agent_channel, model=model_label
        )
        self.stats = CallStats()
        self.alerts: list[str] = []
        self.closing: str | None = None
        self.pending = 0  # chunks cut but not yet recognised

    @property
    def now(self) -> float:
        """Call time received so far (the longest channel)."""
        return max(e.received_s for e in self.endpoints)

    def take(self, frames: np.ndarray, channel: int | None = None) -> list[Chunk]:
        """16-bit frames as sent ((channels, n), or one party's (1, n) with ``channel``):
        kept for the recording, checked, cut into chunks ready for recognition."""
        if channel is not None and not 0 <= channel < self.meta.channels:
            raise LiveStreamError(f"{self.where}: audio for channel {channel}, which it lacks")
        self.recording.add(frames, channel)
        samples = to_float(frames)
        self.garbage.check(samples, where=self.where)
        chunks = []
        for row, c in enumerate([channel] if channel is not None else range(frames.shape[0])):
            block = self.upsample[c](samples[row : row + 1])[0]
            chunks += self.endpoints[c].feed(block)
        self.pending += len(chunks)
        return chunks

    def flush(self) -> list[Chunk]:
        chunks = [chunk for e in self.endpoints for chunk in e.flush()]
        self.pending += len(chunks)
        return chunks

    def silence_events(self) -> list[LiveEvent]:
        spoken = max(e.last_voiced_at for e in self.endpoints)
        return self._alerts(self.rules.on_silence(spoken, self.now))

    def recognised(self, chunk: Chunk, channel_text: ChannelTranscript) -> list[LiveEvent]:
        """A chunk's recognised segments: each final, redacted and sent on; then the rules."""
        self.pending -= 1
        self.stats.chunks += 1
        new = [_shifted(seg, chunk.start) for seg in channel_text.segments]
        if not new:
            return []
        for seg in new:
            self.rolling.add(chunk.channel, seg)
        transcript = self.rolling.transcript(self.now)
        speakers = {t.speaker_label or "": t.speaker for t in transcript.turns}
        events: list[LiveEvent] = []
        speaker = self.rolling.speaker_of(chunk.channel, transcript)
        for seg in new:
            text = self.rolling.redacted_segment(chunk.channel, seg, speakers)
            events.append(SegmentFinal(self.meta.call_id, seg.start, seg.end, speaker, text))
            if speaker == "customer":
                events += self._alerts(self.rules.on_customer_text(text, seg.end))
        redacted = self.rolling.redacted(self.now)
        events += self._alerts(self.rules.on_transcript(redacted))
        if self.rules.waits_for_deeds:
            settled = self.rolling.redacted(self.now, settled=True)
            events += self._alerts(self.rules.on_settled(settled))
        return events

    def finished(self) -> list[LiveEvent]:
        """The call has ended and every chunk is recognised: the rules that waited for a
        deed are judged on the whole call."""
        if not self.rules.waits_for_deeds or not self.rolling.segments:
            return []
        return self._alerts(self.rules.on_ended(self.rolling.redacted(self.now)))

    def closed(self, keep: Path) -> CallClosed:
        reason = self.closing or "ended"
        path = self.recording.write(keep, reason=reason, started_at=self.started_at.isoformat())
        return CallClosed(
            self.meta.call_id,
            reason,
            str(path) if path else None,
            duration_s=round(self.recording.samples / self.meta.sample_rate, 2),
            max_lag_s=round(self.stats.max_lag_s, 2),
            alerts=tuple(self.alerts),
        )

    def _alerts(self, findings: list[Finding]) -> list[LiveEvent]:
        events: list[LiveEvent] = []
        for f in findings:
            self.alerts.append(f.rule)
            events.append(
                Alert(
                    self.meta.call_id,
                    f.t,
                    f.rule,
                    f.severity,  # type: ignore[arg-type]
                    f.evidence,
                    title=f.title,
                    detected_at=round(self.now, 2),
                )
            )
        return events


def _shifted(seg: Segment, offset: float) -> Segment:
    """A chunk's segment in call time."""
    words = tuple(
        Word(
            start=round(float(w.start) + offset, 3),
            end=round(float(w.end) + offset, 3),
            text=w.text,
            p=w.p,
        )
        for w in seg.words
    )
    return Segment(
        round(float(seg.start) + offset, 3),
        round(float(seg.end) + offset, 3),
        seg.text,
        words,
        seg.avg_logprob,
        seg.no_speech_prob,
    )
