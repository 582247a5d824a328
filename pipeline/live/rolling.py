"""The call's transcript so far, built exactly as the batch path builds a stereo call's
(segments per channel merged by time, roles from metadata or from what each says), so that
the rules see live what they would see in batch; and redacted before anyone else does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.transcript import AudioFacts, Transcript
from pipeline.redact.options import RedactOptions
from pipeline.redact.spoken_digits import Piece
from pipeline.redact.transcript import redact_transcript
from pipeline.redact.unfinished import redact_unfinished
from pipeline.roles import RoleOptions, assign_roles, first_label
from pipeline.transcribe import ChannelTranscript, Segment
from pipeline.turns import channel_label, stereo_turns, to_turns

_REDACT = RedactOptions()


@dataclass
class RollingTranscript:
    call_id: str
    channels: int
    agent_channel: int | None
    model: str = "whisper"
    segments: dict[int, list[Segment]] = field(default_factory=dict)

    def add(self, channel: int, segment: Segment) -> None:
        self.segments.setdefault(channel, []).append(segment)

    def transcript(self, duration: float, *, settled: bool = False) -> Transcript:
        """The unredacted transcript so far (kept in memory only). ``settled``: without its
        last turn, which the speaker may still be finishing (a sentence cut at a pause, its
        question still to come): a turn is settled once the other party speaks after it."""
        channels = [
            ChannelTranscript(c, tuple(sorted(segs, key=lambda s: s.start)), "zh", 1.0, duration)
            for c, segs in sorted(self.segments.items())
        ]
        labelled = stereo_turns(channels)
        text: dict[str, str] = {}
        for turn in labelled:
            text[turn.label] = text.get(turn.label, "") + turn.text
        agent = None if self.agent_channel is None else channel_label(self.agent_channel)
        roles, evidence = assign_roles(
            text,
            first_label([(t.start, t.label) for t in labelled]),
            RoleOptions(agent=agent, source="metadata"),
        )
        return Transcript(
            call_id=self.call_id,
            audio=AudioFacts(duration=round(duration, 3), channels=self.channels),
            language="zh",
            model=self.model,
            roles=evidence,
            turns=to_turns(labelled, roles)[: -1 if settled else None],
        )

    def redacted(self, duration: float, *, settled: bool = False) -> Transcript:
        """What the rules and everybody else see: secrets replaced, as in batch."""
        return redact_transcript(self.transcript(duration, settled=settled), _REDACT)[0]

    def speaker_of(self, channel: int, transcript: Transcript) -> str:
        label = channel_label(channel)
        for turn in transcript.turns:
            if turn.speaker_label == label:
                return turn.speaker
        return "agent" if channel == self.agent_channel else "customer"

    def redacted_segment(self, channel: int, segment: Segment, speakers: Mapping[str, str]) -> str:
        """``segment``'s text with secrets replaced, read in the context of everything said
        before it (a 卡号 asked by the agent makes the customer's digits a card number)."""
        before = [
            Piece(s.text, speakers.get(channel_label(c), "customer"), s.start, s.end)
            for c, segs in self.segments.items()
            for s in segs
            if s.start <= segment.start and s is not segment
        ]
        before.sort(key=lambda p: p.start)
        piece = Piece(segment.text, speakers.get(channel_label(channel), ""), 0, 0)
        return redact_unfinished(before, piece, _REDACT)
