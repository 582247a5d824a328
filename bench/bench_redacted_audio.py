"""The redacted Ogg copy of a long call: peak memory and time, whole-call float32 (the
old way: ``redact_audio`` then ``write_audio``) against block by block
(``write_redacted_audio``, what ``callqa process`` and ``callqa redact-audio`` use), side
by side in one run (issue 13: a 4-hour call processed without running out of memory).

    .venv/bin/python bench/bench_redacted_audio.py [--hours 1 4] [--repeats 2]

Each measurement runs in a fresh child process holding the call as decoding holds it (one
int16 buffer per channel, 16 kHz stereo) with a redacted span every two minutes; it prints
the child's peak RSS, the peak above the decoded call itself, and the seconds to write.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(hours: float, way: str) -> None:
    import numpy as np

    from pipeline.audio import SAMPLE_RATE, Audio
    from pipeline.audio_writing import write_audio
    from pipeline.redact import redact_audio, write_redacted_audio

    frames = int(hours * 3600 * SAMPLE_RATE)
    rng = np.random.default_rng(0)
    pcm = [rng.integers(-3000, 3000, frames, dtype=np.int16) for _ in range(2)]
    audio = Audio("bench", original_sample_rate=8000, codec="pcm_s16le", container="wav", pcm=pcm)
    spans = [(t, t + 4.0, int(t // 120) % 2) for t in range(60, int(hours * 3600) - 10, 120)]
    held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "redacted.ogg"
        if way == "whole":
            cleaned = redact_audio(audio, spans)
            write_audio(out, cleaned.samples, cleaned.sample_rate)
        else:
            write_redacted_audio(out, audio, spans)
        size = out.stat().st_size
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"held_mib": held, "peak_mib": peak, "seconds": seconds, "bytes": size}))


def _measure(hours: float, way: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", way, "--hours", str(hours)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1.0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", choices=["whole", "blocks"])
    args = parser.parse_args()
    if args.child:
        _child(args.hours[0], args.child)
        return
    print("way      hours  call held MiB  peak MiB  above call MiB  write s  (median)")
    for hours in args.hours:
        rows: dict[str, list[dict[str, float]]] = {"whole": [], "blocks": []}
        for n in range(args.repeats):  # alternate, so a busy moment hits both
            for way in ("whole", "blocks") if n % 2 == 0 else ("blocks", "whole"):
                rows[way].append(_measure(hours, way))
        med = {
            way: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            for way, runs in rows.items()
        }
        for way, m in med.items():
            print(
                f"{way:8s} {hours:5.1f}  {m['held_mib']:13.0f}  {m['peak_mib']:8.0f}"
                f"  {m['peak_mib'] - m['held_mib']:14.0f}  {m['seconds']:7.1f}"
            )
        whole, blocks = med["whole"], med["blocks"]
        print(
            f"  {hours:g} h: peak blocks / whole = {blocks['peak_mib'] / whole['peak_mib']:.3f};"
            f" above the call {blocks['peak_mib'] - blocks['held_mib']:.0f} vs"
            f" {whole['peak_mib'] - whole['held_mib']:.0f} MiB;"
            f" time blocks / whole = {blocks['seconds'] / whole['seconds']:.3f}"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
