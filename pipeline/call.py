"""One call in, a speaker-attributed transcript out.

Stereo (agent and customer on separate channels): each channel is transcribed on its own
and merged by time; no diarization model is needed. Mono, or stereo whose channels carry
the same signal: one transcription, then diarization gives words to speakers. Either way
roles (agent / customer) are then assigned with a stated confidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from core.errors import NoSpeechError
from core.progress import ProgressHook, no_progress
from core.transcript import AudioFacts, Transcript
from pipeline.audio import Audio
from pipeline.roles import RoleOptions, assign_roles, first_label
from pipeline.transcribe import ChannelTranscript, TranscribeOptions, transcribe_channel
from pipeline.turns import LabelledTurn, SpeakerSpan, mono_turns, stereo_turns, to_turns

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from models.diarization import DiarizationModel
    from pipeline.diarize import DiarizeOptions

Layout = Literal["stereo", "mono", "duplicated_stereo", "one_live_channel"]
# Channels this alike are one signal recorded twice (a mono call in a stereo file).
DUPLICATE_CORRELATION = 0.98
# A channel this much quieter than the other (RMS ratio) carries nobody.
DEAD_CHANNEL_RATIO = 1e-3


@dataclass(frozen=True)
class CallOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    diarize: DiarizeOptions | None = None
    """None = pipeline.diarize's defaults (two speakers)."""
    roles: RoleOptions = field(default_factory=RoleOptions)
    keep_words: bool = True


@dataclass(frozen=True)
class CallModels:
    """The loaded models a call needs. Diarization is loaded only when a mono call comes."""

    whisper: WhisperModel
    whisper_label: str
    diarizer: Callable[[], DiarizationModel]


def transcribe_call(
    audio: Audio,
    models: CallModels,
    options: CallOptions | None = None,
    *,
    call_id: str | None = None,
    progress: ProgressHook = no_progress,
) -> Transcript:
    options = options or CallOptions()
    layout = channel_layout(audio)
    if layout == "stereo":
        channels = [
            transcribe_channel(
                audio.recognition_input(c),
                models.whisper,
                options.transcribe,
                channel=c,
                progress=progress,
            )
            for c in range(audio.channels)
        ]
        _require_speech(audio, channels)
        labelled = stereo_turns(channels)
    else:
        samples = _mono_signal(audio, layout)
        channel = transcribe_channel(samples, models.whisper, options.transcribe, progress=progress)
        _require_speech(audio, [channel])
        channels = [channel]
        labelled = (
            _diarized(samples, channel, models, options, progress) if channel.segments else []
        )

    roles, evidence = assign_roles(
        _text_by_label(labelled), first_label([(t.start, t.label) for t in labelled]), options.roles
    )
    main = max(channels, key=lambda c: c.speech_duration)
    return Transcript(
        call_id=call_id or Path(audio.source).stem,
        audio=AudioFacts(**audio.facts()),
        language=main.language,
        model=models.whisper_label,
        roles=evidence,
        turns=to_turns(labelled, roles, with_words=options.keep_words),
    )


def channel_layout(audio: Audio) -> Layout:
    if audio.channels == 1:
        return "mono"
    rms = [audio.rms(c) for c in (0, 1)]  # block by block: no float copy of an hour
    if min(rms) <= DEAD_CHANNEL_RATIO * max(rms):
        return "one_live_channel"
    step = max(1, audio.frames // 200_000)  # a decimated look is enough to tell
    corr = np.corrcoef(audio.decimated(0, step), audio.decimated(1, step))[0, 1]
    return "duplicated_stereo" if corr >= DUPLICATE_CORRELATION else "stereo"


def _mono_signal(audio: Audio, layout: Layout) -> np.ndarray:
    if layout == "one_live_channel":
        return audio.channel(int(np.argmax([audio.rms(c) for c in (0, 1)])))
    return audio.mono()


def _require_speech(audio: Audio, channels: list[ChannelTranscript]) -> None:
    if all(c.speech_duration <= 0 for c in channels):
        raise NoSpeechError(
            audio.source, "no speech found in the recording (silence or noise only)"
        )


def _diarized(
    samples: np.ndarray,
    channel: ChannelTranscript,
    models: CallModels,
    options: CallOptions,
    progress: ProgressHook,
) -> list[LabelledTurn]:
    from pipeline.diarize import DiarizeOptions, diarize

    diarize_options = options.diarize or DiarizeOptions()
    segments = diarize(samples, models.diarizer(), diarize_options, progress=progress)
    spans = [SpeakerSpan(s.start, s.end, s.speaker) for s in segments]
    return mono_turns(channel, spans)


def _text_by_label(turns: list[LabelledTurn]) -> dict[str, str]:
    text: dict[str, str] = {}
    for t in turns:
        text[t.label] = text.get(t.label, "") + t.text
    return text
