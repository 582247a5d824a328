"""Synthetic bank calls with known turn boundaries: lines in, a recording plus its truth out.

Each line is spoken by :func:`synth.voice.speak`, levelled, and placed on a timeline; the
reference turns are where its voiced audio really lies, not where the script meant it to.
Stereo puts one party per channel (as contact-centre recorders do); mono mixes both.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from core.errors import ConfigError
from pipeline.audio_writing import write_audio
from synth.voice import SAMPLE_RATE, speak, voiced_span

if TYPE_CHECKING:
    from core.transcript import Transcript

Speaker = Literal["agent", "customer"]
Layout = Literal["stereo", "mono"]

FORMATS = ("wav", "flac", "mp3", "ogg", "m4a")
_SPEECH_RMS_DBFS = -20.0  # a typical recorder level for speech
_SPEECH_PEAK = 0.9
_MIX_PEAK = 0.98
_TAIL_S = 0.6
_TELEPHONE_BAND = (300.0, 3400.0)
_BAND_ROLLOFF_HZ = 150.0


@dataclass(frozen=True)
class Line:
    """One utterance of a script.

    ``gap`` is the silence before it: counted from the end of the latest speech so far,
    or, when negative, from the end of the previous line (an overlap or interruption).
    For the first line, the call's ``lead_in`` is used unless ``gap`` is longer.
    """

    speaker: Speaker
    text: str
    gap: float = 0.5


@dataclass(frozen=True)
class RefTurn:
    """Ground truth: who spoke, from the first to the last voiced sample, saying what."""

    speaker: Speaker
    start: float
    end: float
    text: str


@dataclass(frozen=True, eq=False)
class SyntheticCall:
    """A synthetic recording and its reference turns, sorted by start."""

    call_id: str
    samples: np.ndarray
    sample_rate: int
    turns: tuple[RefTurn, ...]
    agent_channel: int | None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    @property
    def layout(self) -> Layout:
        return "mono" if self.samples.shape[0] == 1 else "stereo"

    def channel_of(self, speaker: Speaker) -> int:
        """The channel that holds ``speaker`` (always 0 in a mono call)."""
        if self.agent_channel is None:
            return 0
        return self.agent_channel if speaker == "agent" else 1 - self.agent_channel

    def to_transcript(self) -> Transcript:
        """The reference as a callqa transcript, to score pipeline output against."""
        from core.transcript import AudioFacts, RoleEvidence, Transcript, Turn

        stereo = self.agent_channel is not None
        turns = tuple(
            Turn(
                speaker=t.speaker,
                start=round(t.start, 3),
                end=round(t.end, 3),
                text=t.text,
                channel=self.channel_of(t.speaker) if stereo else None,
                overlap=_overlaps(t, self.turns),
                speaker_label=f"ch{self.channel_of(t.speaker)}" if stereo else t.speaker,
            )
            for t in self.turns
        )
        return Transcript(
            call_id=self.call_id,
            audio=AudioFacts(
                duration=round(self.duration, 3),
                channels=self.samples.shape[0],
                sample_rate=self.sample_rate,
            ),
            language="zh",
            model="synth-reference",
            roles=RoleEvidence(
                method="external",
                confidence=1.0,
                agent=f"ch{self.agent_channel}" if stereo else "agent",
                detail="synthetic call: roles known by construction",
            ),
            turns=turns,
        )


@dataclass(frozen=True)
class _Placed:
    """A spoken line fixed on the timeline (in samples)."""

    line: Line
    audio: np.ndarray
    offset: int
    voiced: tuple[int, int]

    @property
    def start(self) -> int:
        return self.offset + self.voiced[0]

    @property
    def end(self) -> int:
        return self.offset + self.voiced[1]


def build_call(
    call_id: str,
    lines: Sequence[Line],
    *,
    layout: Layout = "stereo",
    agent_channel: int = 0,
    agent_voice: str = "jm_kumo",
    customer_voice: str = "jf_nezumi",
    lead_in: float = 0.8,
    noise_db: float | None = -45,
    band_limit: bool = False,
    metadata: dict[str, Any] | None = None,
) -> SyntheticCall:
    """Speak ``lines`` and lay them out as a call.

    ``noise_db`` is the RMS level (dBFS) of the line noise under everything, so silence
    is never digital zero; ``None`` leaves it out. ``band_limit`` filters to the
    300-3400 Hz telephone band. Noise is seeded by ``call_id``: same input, same samples.
    """
    _check_layout(lines, layout, agent_channel, lead_in)
    voices = {"agent": agent_voice, "customer": customer_voice}
    clips = [_levelled(speak(line.text, voices[line.speaker])) for line in lines]
    placed = _place(lines, clips, lead_in)
    n = max(p.offset + len(p.audio) for p in placed) + int(_TAIL_S * SAMPLE_RATE)
    channels = 1 if layout == "mono" else 2
    samples = np.zeros((channels, n), dtype=np.float32)
    for p in placed:
        row = 0 if layout == "mono" else _channel(p.line.speaker, agent_channel)
        samples[row, p.offset : p.offset + len(p.audio)] += p.audio
    if noise_db is not None:
        samples += _noise(call_id, samples.shape, noise_db)
    if band_limit:
        samples = _band_pass(samples, *_TELEPHONE_BAND)
    # Overlapping speech in a mono mix can add up past full scale.
    peak = float(np.abs(samples).max())
    if peak > _MIX_PEAK:
        samples *= np.float32(_MIX_PEAK / peak)
    return SyntheticCall(
        call_id=call_id,
        samples=samples,
        sample_rate=SAMPLE_RATE,
        turns=_reference(placed),
        agent_channel=agent_channel if layout == "stereo" else None,
        metadata=dict(metadata or {}),
    )


def write_call(call: SyntheticCall, path: Path, *, format: str = "wav") -> Path:
    """Write the audio (the suffix becomes ``format``) and ``<name>.json`` beside it.

    WAV is 16-bit PCM; flac, mp3, ogg (Opus) and m4a (AAC) are encoded with PyAV.
    Returns the audio file's path.
    """
    fmt = format.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown audio format {format!r}; expected one of {', '.join(FORMATS)}")
    audio_path = Path(path).with_suffix(f".{fmt}")
    audio_path.parent.mkdir(parents=True, exist_ok=True)
    write_audio(audio_path, call.samples, call.sample_rate)  # the one encoder callqa has
    sidecar = audio_path.with_suffix(".json")
    sidecar.write_text(
        json.dumps(_sidecar(call, audio_path), ensure_ascii=False, indent=2, default=_jsonable),
        encoding="utf-8",
    )
    return audio_path


def _check_layout(lines: Sequence[Line], layout: str, agent_channel: int, lead_in: float) -> None:
    if not lines:
        raise ConfigError("build_call() got no lines; pass at least one Line")
    if layout not in ("stereo", "mono"):
        raise ConfigError(f"layout {layout!r} is unknown; expected 'stereo' or 'mono'")
    if agent_channel not in (0, 1):
        raise ConfigError(f"agent_channel {agent_channel} is out of range; expected 0 or 1")
    if lead_in < 0:
        raise ConfigError(f"lead_in {lead_in} is negative; expected seconds >= 0")
    for i, line in enumerate(lines):
        if line.speaker not in ("agent", "customer"):
            raise ConfigError(f"line {i}: speaker {line.speaker!r}; expected 'agent' or 'customer'")


def _channel(speaker: Speaker, agent_channel: int) -> int:
    return agent_channel if speaker == "agent" else 1 - agent_channel


def _levelled(audio: np.ndarray) -> np.ndarray:
    """Bring each utterance to one speech level, as an agent's headset and AGC would."""
    start, end = voiced_span(audio)
    rms = float(np.sqrt(np.mean(np.square(audio[start:end], dtype=np.float64))))
    if rms <= 0:
        return audio
    gain = min(10 ** (_SPEECH_RMS_DBFS / 20) / rms, _SPEECH_PEAK / float(np.abs(audio).max()))
    return (audio * gain).astype(np.float32)


def _place(lines: Sequence[Line], clips: Sequence[np.ndarray], lead_in: float) -> list[_Placed]:
    placed: list[_Placed] = []
    latest_end = 0
    last_end_by_speaker: dict[str, int] = {}
    for i, (line, clip) in enumerate(zip(lines, clips, strict=True)):
        voiced = voiced_span(clip)
        if i == 0:
            start = _samples(max(lead_in, line.gap))
        elif line.gap < 0:
            start = placed[-1].end + _samples(line.gap)
        else:
            start = latest_end + _samples(line.gap)
        start = max(start, voiced[0])  # the clip cannot begin before the recording
        own_end = last_end_by_speaker.get(line.speaker)
        if own_end is not None and start < own_end:
            # One voice per channel: a party cannot talk over themselves.
            raise ConfigError(
                f"line {i} ({line.speaker}: {line.text[:12]!r}) would start "
                f"{(own_end - start) / SAMPLE_RATE:.2f} s before the same speaker's previous "
                "line ends; make its gap less negative"
            )
        p = _Placed(line=line, audio=clip, offset=start - voiced[0], voiced=voiced)
        placed.append(p)
        latest_end = max(latest_end, p.end)
        last_end_by_speaker[line.speaker] = p.end
    return placed


def _samples(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def _reference(placed: Sequence[_Placed]) -> tuple[RefTurn, ...]:
    turns = [
        RefTurn(
            speaker=p.line.speaker,
            start=p.start / SAMPLE_RATE,
            end=p.end / SAMPLE_RATE,
            text=p.line.text,
        )
        for p in placed
    ]
    return tuple(sorted(turns, key=lambda t: t.start))


def _overlaps(turn: RefTurn, turns: Sequence[RefTurn]) -> bool:
    return any(
        other.speaker != turn.speaker and other.start < turn.end and turn.start < other.end
        for other in turns
    )


def _noise(call_id: str, shape: tuple[int, ...], level_db: float) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(call_id.encode("utf-8")).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    rms = 10 ** (level_db / 20)
    return (rng.standard_normal(shape) * rms).astype(np.float32)


def _band_pass(samples: np.ndarray, low: float, high: float) -> np.ndarray:
    """Zero-phase FFT band-pass with cosine edges: no ringing to fake speech onsets."""
    n = samples.shape[1]
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    gain = np.clip((freqs - (low - _BAND_ROLLOFF_HZ)) / _BAND_ROLLOFF_HZ, 0, 1)
    gain *= np.clip(((high + _BAND_ROLLOFF_HZ) - freqs) / _BAND_ROLLOFF_HZ, 0, 1)
    gain = 0.5 - 0.5 * np.cos(np.pi * gain)
    spectrum = np.fft.rfft(samples, axis=1) * gain
    return np.fft.irfft(spectrum, n=n, axis=1).astype(np.float32)


def _sidecar(call: SyntheticCall, audio_path: Path) -> dict[str, Any]:
    return {
        "call_id": call.call_id,
        "audio": audio_path.name,
        "sample_rate": call.sample_rate,
        "duration": round(call.duration, 3),
        "layout": call.layout,
        "agent_channel": call.agent_channel,
        "turns": [_turn_json(t) for t in call.turns],
        "metadata": call.metadata,
    }


def _turn_json(turn: RefTurn) -> dict[str, Any]:
    return {
        "speaker": turn.speaker,
        "start": round(turn.start, 3),
        "end": round(turn.end, 3),
        "text": turn.text,
    }


def _jsonable(value: object) -> str:
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"metadata value {value!r} ({type(value).__name__}) is not JSON-serialisable")
