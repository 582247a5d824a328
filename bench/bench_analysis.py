"""Analysis benchmark: a 10-minute synthetic stereo call is transcribed once, then its
transcript analysed (redaction, rules, sentiment, metrics, score) with every model
already loaded. Prints both times and their ratio (target: analysis <= 2 % of
transcription), measured in one run.

    .venv/bin/python bench/bench_analysis.py [--minutes 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from core.config import load_settings
    from models.cache import cache_dir
    from pipeline.analyze import load_analyser
    from pipeline.transcriber import Transcriber
    from synth.calls import build_call, write_call
    from synth.long_calls import long_call

    path = cache_dir("bench") / f"stereo-{args.minutes:g}min.wav"
    if not path.is_file():
        print(
            f"synthesising a {args.minutes:g}-minute call (once) ...", file=sys.stderr, flush=True
        )
        write_call(build_call(path.stem, long_call(args.minutes * 60)), path)

    transcriber = Transcriber(load_settings())
    analyser = load_analyser()
    start = time.perf_counter()
    transcript = transcriber.transcribe(path)
    transcription_s = time.perf_counter() - start

    start = time.perf_counter()
    analyser.analyse(transcript)  # the first call compiles the pack, imports spaCy/jieba
    first_s = time.perf_counter() - start
    timings = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        _, analysis = analyser.analyse(transcript)
        timings.append(time.perf_counter() - start)
    analysis_s = statistics.median(timings)
    print(f"call: {transcript.audio.duration / 60:.1f} min, {len(transcript.turns)} turns")
    print(f"transcription:               {transcription_s:8.2f} s")
    print(
        f"analysis (median of {args.repeats}):     {analysis_s * 1000:8.1f} ms"
        f"   (first, with compilation: {first_s * 1000:.1f} ms)"
    )
    print(f"analysis / transcription:    {analysis_s / transcription_s:8.2%}   (target <= 2 %)")
    print(f"score {analysis.score}, flags {list(analysis.flags)}")


if __name__ == "__main__":
    main()
