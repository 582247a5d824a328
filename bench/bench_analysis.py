"""Analysis benchmark: a 10-minute synthetic stereo call is transcribed once, then its
transcript analysed (redaction, rules, sentiment, metrics, drivers, score) with every
model already loaded. Prints both times and their ratio (target: analysis <= 2 % of
transcription), measured in one run; and, side by side in the same run (interleaved,
median of the repeats), the analysis with the driver classifier as it was (every
utterance embedded whole) and with no driver classification, so that the drivers' share
is a ratio on the same (shared) machine.

    .venv/bin/python bench/bench_analysis.py [--minutes 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from bench.cached_calls import long_stereo_call
    from core.config import load_settings
    from pipeline.analyze import load_analyser
    from pipeline.drivers import DriverClassifier, legacy_settings
    from pipeline.one_call import CallProcessor

    path = long_stereo_call(args.minutes)

    transcriber = CallProcessor(load_settings())
    start = time.perf_counter()
    analyser = load_analyser()
    loading_s = time.perf_counter() - start
    loaded_before = analyser.drivers is not None and analyser.drivers.loaded
    start = time.perf_counter()
    transcript = transcriber.transcribe_file(path)
    transcription_s = time.perf_counter() - start

    start = time.perf_counter()
    analyser.analyse(transcript)  # the first call compiles the pack, loads e5 and examples
    first_s = time.perf_counter() - start
    assert analyser.drivers is not None
    variants = {
        "now": analyser,
        "legacy drivers": replace(
            analyser,
            drivers=DriverClassifier(
                analyser.drivers.taxonomy, analyser.drivers.encoder, legacy_settings()
            ),
        ),
        "no drivers": replace(analyser, drivers=None),
    }
    variants["legacy drivers"].analyse(transcript)  # its examples embedded before timing
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(args.repeats):
        names = list(variants) if repeat % 2 == 0 else list(variants)[::-1]
        for name in names:
            start = time.perf_counter()
            variants[name].analyse(transcript)
            timings[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in timings.items()}
    _, analysis = analyser.analyse(transcript)
    print(f"call: {transcript.audio.duration / 60:.1f} min, {len(transcript.turns)} turns")
    print(
        f"analyser loaded in {loading_s:.2f} s (driver model loaded then: {loaded_before}; "
        "it loads with the first call classified)"
    )
    print(f"transcription:               {transcription_s:8.2f} s")
    print(
        f"analysis (median of {args.repeats}):     {median['now'] * 1000:8.1f} ms"
        f"   (first, with compilation and model loading: {first_s * 1000:.1f} ms)"
    )
    for name in ("legacy drivers", "no drivers"):
        print(
            f"  with {name + ':':17s}   {median[name] * 1000:8.1f} ms"
            f"   (now / that: {median['now'] / median[name]:.2f})"
        )
    print(f"analysis / transcription:    {median['now'] / transcription_s:8.2%}   (target <= 2 %)")
    print(
        f"  with legacy drivers:       {median['legacy drivers'] / transcription_s:8.2%}"
        f"   with no drivers: {median['no drivers'] / transcription_s:.2%}"
    )
    print(f"score {analysis.score}, flags {list(analysis.flags)}")
    drivers = analysis.drivers
    print(f"drivers {drivers and [(h.driver, h.score) for h in drivers.drivers]}")


if __name__ == "__main__":
    main()
