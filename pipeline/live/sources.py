"""Audio sources that are files: a finished recording replayed at X times real time, and a
recording still being written (WAV or raw PCM), tailed until it ends.

A growing file ends when ``<file>.end`` appears beside it (the recorder's end marker) or
when it has not grown for ``idle_timeout_s`` (closed with that reason: no end marker).
Raw PCM (``.pcm``/``.raw``) needs its sidecar ``<stem>.meta.json`` to say sample_rate and
channels; a WAV says them in its header. Both read call_id, agent_id and agent_channel from
the sidecar when there is one.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.call_metadata import sidecar_beside
from pipeline.audio import SAMPLE_RATE, decode
from pipeline.live.engine import LiveEngine
from pipeline.live.events import ENDED
from pipeline.live.pcm import LiveStreamError, frames_of, parse_meta

BLOCK_S = 0.1
END_MARKER = ".end"


def replay(
    engine: LiveEngine,
    path: Path,
    *,
    speed: float = 1.0,
    call_id: str | None = None,
    agent_channel: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_start: Callable[[str], None] | None = None,
) -> str:
    """Streams a finished recording into ``engine`` at ``speed`` x real time (0: as fast
    as it can be read); returns the call id. Any format the batch path reads.
    ``on_start(call_id)`` is called as the first audio goes out (call time 0)."""
    sidecar = _sidecar(path)
    audio = decode(path)
    frames = (np.clip(audio.samples, -1.0, 1.0) * 32767).astype(np.int16)
    channel = sidecar.get("agent_channel", agent_channel)
    meta = parse_meta(
        {
            "call_id": call_id or sidecar.get("call_id") or path.stem,
            "agent_id": sidecar.get("agent_id"),
            "agent_channel": channel,
            "sample_rate": SAMPLE_RATE,
            "channels": audio.channels,
        },
        where=str(path),
    )
    engine.open(meta, f"replay:{path.name}")
    step = int(SAMPLE_RATE * BLOCK_S)
    if on_start is not None:
        on_start(meta.call_id)
    started = time.monotonic()
    for at in range(0, frames.shape[1], step):
        engine.feed(meta.call_id, frames[:, at : at + step])
        if speed > 0:
            due = started + (at + step) / SAMPLE_RATE / speed
            sleep(max(0.0, due - time.monotonic()))
    engine.close(meta.call_id, ENDED)
    return meta.call_id


def tail(
    engine: LiveEngine,
    path: Path,
    *,
    idle_timeout_s: float = 10.0,
    poll_s: float = 0.2,
) -> str:
    """Follows a recording being written until its end marker or ``idle_timeout_s`` of no
    growth; returns the call id. A header or metadata that cannot be read closes nothing
    (no call was opened) and raises :class:`LiveStreamError`."""
    sidecar = _sidecar(path)
    is_wav = path.suffix.lower() == ".wav"
    offset, header = _wav_header(path, idle_timeout_s) if is_wav else (0, {})
    meta = parse_meta({"call_id": path.stem, **sidecar, **header}, where=str(path))
    engine.open(meta, f"file:{path}")
    width = 2 * meta.channels
    last_growth = time.monotonic()
    marker = path.with_name(path.name + END_MARKER)
    with path.open("rb") as fh:
        fh.seek(offset)
        carry = b""
        while True:
            data = carry + fh.read()
            whole = len(data) // width * width
            data, carry = data[:whole], data[whole:]
            if data:
                last_growth = time.monotonic()
                engine.feed(meta.call_id, frames_of(data, meta.channels, where=str(path)))
            elif marker.exists():
                engine.close(meta.call_id, ENDED)
                return meta.call_id
            elif time.monotonic() - last_growth >= idle_timeout_s:
                engine.close(
                    meta.call_id,
                    f"timeout: {path.name} stopped growing for {idle_timeout_s:g} s"
                    f" with no end marker ({marker.name})",
                )
                return meta.call_id
            else:
                time.sleep(poll_s)


def _sidecar(path: Path) -> dict[str, object]:
    sidecar = sidecar_beside(path)
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LiveStreamError(f"{sidecar}: call metadata is not JSON ({exc})") from exc
    return data if isinstance(data, dict) else {}


def _wav_header(path: Path, wait_s: float) -> tuple[int, dict[str, object]]:
    """Where the samples start, and the format, from a WAV whose sizes may still be 0."""
    deadline = time.monotonic() + wait_s
    while True:
        head = path.read_bytes()[:4096] if path.exists() else b""
        try:
            found = _parse_wav(head)
        except ValueError as exc:
            raise LiveStreamError(f"{path}: {exc}") from None
        if found is not None:
            break
        if time.monotonic() > deadline:
            raise LiveStreamError(f"{path}: no complete WAV header (RIFF/WAVE, fmt, data)")
        time.sleep(0.1)
    offset, fmt, channels, rate, bits = found
    if fmt not in (1, 0xFFFE) or bits != 16:
        raise LiveStreamError(
            f"{path}: wrong sample format: WAV format {fmt}, {bits}-bit (16-bit PCM expected)"
        )
    return offset, {"sample_rate": rate, "channels": channels}


def _parse_wav(head: bytes) -> tuple[int, int, int, int, int] | None:
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        if len(head) >= 12:
            raise ValueError("not a WAV file (no RIFF/WAVE header)")
        return None
    at, fmt = 12, None
    while at + 8 <= len(head):
        kind, size = head[at : at + 4], struct.unpack("<I", head[at + 4 : at + 8])[0]
        if kind == b"fmt " and at + 8 + 16 <= len(head):
            code, channels, rate = struct.unpack("<HHI", head[at + 8 : at + 16])
            bits = struct.unpack("<H", head[at + 22 : at + 24])[0]
            fmt = (code, channels, rate, bits)
        if kind == b"data":
            return (at + 8, *fmt) if fmt else None
        at += 8 + size + (size & 1)
    return None
