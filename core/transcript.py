"""The transcript exchange format: who said what, when. Documented in docs/transcript-format.md.

``callqa transcribe`` writes it; the analysis stage reads it, and so can transcripts made
elsewhere. These models are frozen: a stage builds a new transcript, it never edits one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import TranscriptFormatError

FORMAT_VERSION = "1.0"
Role = Literal["agent", "customer"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Word(_Frozen):
    """One recognised word (for Mandarin: usually one or two characters)."""

    start: float = Field(ge=0, description="seconds from the start of the recording")
    end: float = Field(ge=0)
    text: str
    p: float = Field(ge=0, le=1, description="recogniser's probability for the word")


class Turn(_Frozen):
    """A stretch of speech by one party."""

    speaker: Role
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    words: tuple[Word, ...] | None = None
    channel: int | None = Field(default=None, description="0 = left, 1 = right; stereo only")
    overlap: bool = Field(default=False, description="the other party speaks at the same time")
    speaker_label: str | None = Field(
        default=None, description="the source label before roles: ch0/ch1 or SPEAKER_00"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Turn:
        if self.end < self.start:
            raise ValueError(f"turn ends ({self.end}) before it starts ({self.start})")
        return self


class AudioFacts(_Frozen):
    source: str | None = None
    duration: float = Field(ge=0)
    channels: int = Field(ge=1, le=2)
    sample_rate: int | None = None
    codec: str | None = None
    container: str | None = None


class RoleEvidence(_Frozen):
    """How the agent was told apart from the customer, and how sure that is (0.5 = a guess)."""

    method: Literal[
        "configured", "metadata", "content", "first_speaker", "single_speaker", "external"
    ]
    confidence: float = Field(ge=0, le=1)
    agent: str | None = Field(default=None, description="label of the agent's channel or speaker")
    detail: str | None = None


class Transcript(_Frozen):
    format_version: str = FORMAT_VERSION
    call_id: str
    audio: AudioFacts
    language: str | None = None
    model: str | None = None
    roles: RoleEvidence | None = None
    turns: tuple[Turn, ...]

    @model_validator(mode="after")
    def _sorted(self) -> Transcript:
        starts = [t.start for t in self.turns]
        if starts != sorted(starts):
            raise ValueError("turns must be sorted by start time")
        return self

    def text_of(self, speaker: Role) -> str:
        return "".join(t.text for t in self.turns if t.speaker == speaker)

    # --- exchange -----------------------------------------------------------------
    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_none=True)

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a transcript
        return path

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "<json>") -> Transcript:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TranscriptFormatError(f"{source}: not JSON ({exc})") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: object, *, source: str = "<dict>") -> Transcript:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
                for err in exc.errors()[:5]
            )
            raise TranscriptFormatError(
                f"{source}: not a callqa transcript ({problems}); see docs/transcript-format.md"
            ) from exc

    @classmethod
    def read(cls, path: str | Path) -> Transcript:
        path = Path(path)
        return cls.from_json(path.read_bytes(), source=str(path))


def json_schema() -> dict[str, object]:
    """The JSON Schema of the exchange format (published in docs/)."""
    return Transcript.model_json_schema()
