"""The audio a live call received, kept for the batch path: when the call ends (cleanly
or not) it is written as a 16-bit WAV with a ``.meta.json`` sidecar that ``callqa
process`` reads (call_id, agent_channel), so the live transcript is never the record."""

from __future__ import annotations

import json
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.call_metadata import sidecar_beside
from pipeline.live.events import CallMeta
from pipeline.live.pcm import safe_call_id


@dataclass
class Recording:
    """Received frames per channel, at the stream's own rate (int16, as sent)."""

    meta: CallMeta
    blocks: list[list[np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.blocks = [[] for _ in range(self.meta.channels)]

    def add(self, frames: np.ndarray, channel: int | None = None) -> None:
        """``frames``: int16 (channels, n), or one channel's (1, n) when ``channel`` is set."""
        if channel is not None:
            self.blocks[channel].append(frames[0])
            return
        for c in range(frames.shape[0]):
            self.blocks[c].append(frames[c])

    @property
    def samples(self) -> int:
        return max((sum(len(b) for b in blocks) for blocks in self.blocks), default=0)

    def write(self, folder: Path, *, reason: str, started_at: str) -> Path | None:
        """``<call_id>.wav`` (a numbered name if taken) and its sidecar; None if no audio."""
        n = self.samples
        if n == 0:
            return None
        data = np.zeros((self.meta.channels, n), dtype=np.int16)
        for c, blocks in enumerate(self.blocks):
            if blocks:
                joined = np.concatenate(blocks)
                data[c, : len(joined)] = joined  # a party that sent less is padded with silence
        folder.mkdir(parents=True, exist_ok=True)
        path = _free_name(folder, safe_call_id(self.meta.call_id))
        tmp = path.with_suffix(".wav.part")
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(self.meta.channels)
            out.setsampwidth(2)
            out.setframerate(self.meta.sample_rate)
            out.writeframes(data.T.astype("<i2").tobytes())
        sidecar = {
            "call_id": self.meta.call_id,
            "agent_id": self.meta.agent_id,
            "started_at": started_at,
            "live_close_reason": reason,
        }
        if self.meta.agent_channel is not None:
            sidecar["agent_channel"] = ("left", "right")[self.meta.agent_channel]
        meta_path = sidecar_beside(path)
        meta_path.write_text(json.dumps(sidecar, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)  # the batch path never picks up half a file
        return path


def _free_name(folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.wav"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.wav"
    return path


def keep_raw(folder: Path, name: str, data: bytes, reason: str) -> Path | None:
    """Bytes that came without a usable format (no metadata): kept as they are, with the
    reason beside them, for someone to look at; None when nothing came."""
    if not data:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stem = safe_call_id(name)
    path = folder / f"{stem}.pcm"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.pcm"
    path.write_bytes(data)
    note = {"call_id": name, "live_close_reason": reason, "format": "unknown (no metadata)"}
    sidecar_beside(path).write_text(
        json.dumps(note, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return path
