"""Synthetic calls the benchmarks share, synthesised once (Kokoro TTS is slow on 2 cores)
and cached under the models' cache folder, so that every bench times the same recording."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from synth.calls import Layout, Line


def synthetic_call(name: str, lines: Sequence[Line], layout: Layout = "stereo") -> Path:
    """``cache_dir("bench")/<name>.wav``: ``lines`` spoken as a ``layout`` call, written on
    first use."""
    from models.cache import cache_dir
    from synth.calls import build_call, write_call

    path = cache_dir("bench") / f"{name}.wav"
    if not path.is_file():
        print(f"synthesising {name} (once) ...", file=sys.stderr, flush=True)
        write_call(build_call(name, lines, layout=layout), path)
    return path


def long_stereo_call(minutes: float) -> Path:
    """The scripted long stereo call (``synth.long_calls.long_call``) of about ``minutes``."""
    from synth.long_calls import long_call

    return synthetic_call(f"stereo-{minutes:g}min", long_call(minutes * 60))
