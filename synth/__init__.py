"""Synthetic Mandarin bank calls with known turn boundaries, made offline.

For the demo, the tests and the benchmarks: real recordings of a bank's customers
cannot leave the bank, and a test needs to know exactly who spoke when.

    voice    speak(text, voice, speed) -> 16 kHz mono float32   (Kokoro-82M, cached on disk)
    calls    build_call(call_id, lines) -> SyntheticCall        (stereo or mono, reference turns)
             write_call(call, path, format=...)                  (audio + <name>.json sidecar)
    scripts  SCRIPTS, DESCRIPTIONS                              (Mandarin call scripts by name)
    long_calls long_call(seconds), estimate_seconds(lines)      (any length, for benchmarks)

Importing this package is cheap; the TTS model loads on the first ``speak``.
"""

from synth.calls import FORMATS, Line, RefTurn, SyntheticCall, build_call, write_call
from synth.long_calls import estimate_seconds, long_call
from synth.scripts import DESCRIPTIONS, SCRIPTS
from synth.voice import SAMPLE_RATE, VOICES, speak

__all__ = [
    "DESCRIPTIONS",
    "FORMATS",
    "SAMPLE_RATE",
    "SCRIPTS",
    "VOICES",
    "Line",
    "RefTurn",
    "SyntheticCall",
    "build_call",
    "estimate_seconds",
    "long_call",
    "speak",
    "write_call",
]
