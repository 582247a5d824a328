"""What reading unsure words as wildcards costs (issue 9, item 3): a synthetic stereo call
is transcribed once, then analysed (redaction, rules, sentiment, metrics, drivers, score)
with the pack as it is (``wildcard_below`` 0.6) and with wildcards off (0), interleaved,
median of the repeats, in one run; each as a share of the transcription time (target:
analysis <= 2 %). The rules alone are timed the same way (ten times the repeats), and
on the same transcript with every word unsure (the wildcard tier's worst case).

    .venv/bin/python bench/bench_wildcards.py [--minutes 5] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _interleaved(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each variant, run in alternating order so that a shared machine's
    load falls on all of them alike."""
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(repeats):
        names = list(variants) if repeat % 2 == 0 else list(variants)[::-1]
        for name in names:
            start = time.perf_counter()
            variants[name]()
            timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    from bench.cached_calls import long_stereo_call
    from core.config import load_settings
    from core.transcript import Transcript
    from pipeline.analyze import load_analyser
    from pipeline.one_call import CallProcessor
    from rules.engine import evaluate

    path = long_stereo_call(args.minutes)

    analyser = load_analyser()
    start = time.perf_counter()
    transcript = CallProcessor(load_settings()).transcribe_file(path)
    transcription_s = time.perf_counter() - start

    on = analyser.pack
    off = on.with_settings(wildcard_below=0.0)
    without = replace(analyser, pack=off)
    data = transcript.model_dump(mode="json")
    for turn in data["turns"]:
        for word in turn.get("words") or ():
            word["p"] = min(word["p"], on.settings.wildcard_below / 2)
    all_unsure = Transcript.from_dict(data)
    words = sum(len(t.words or ()) for t in transcript.turns)
    unsure = sum(
        1 for t in transcript.turns for w in t.words or () if w.p < on.settings.wildcard_below
    )
    for warm in (analyser, without):
        warm.analyse(transcript)  # compile each pack, load the models

    analysis = _interleaved(
        {"on": lambda: analyser.analyse(transcript), "off": lambda: without.analyse(transcript)},
        args.repeats,
    )
    rules = _interleaved(
        {
            "on": lambda: evaluate(transcript, on),
            "off": lambda: evaluate(transcript, off),
            "on, all unsure": lambda: evaluate(all_unsure, on),
            "off, all unsure": lambda: evaluate(all_unsure, off),
        },
        args.repeats * 10,  # milliseconds each: more repeats for a steadier median
    )
    print(
        f"call: {transcript.audio.duration / 60:.1f} min, {len(transcript.turns)} turns,"
        f" {words} words, {unsure} below p {on.settings.wildcard_below:g}"
    )
    print(f"transcription:                 {transcription_s:8.2f} s")
    for name in ("on", "off"):
        print(
            f"analysis, wildcards {name + ':':4s}      {analysis[name] * 1000:8.1f} ms"
            f"   {analysis[name] / transcription_s:7.3%} of transcription (target <= 2 %)"
        )
    print(f"analysis on / off:             {analysis['on'] / analysis['off']:8.3f}")
    for name, ms in rules.items():
        print(f"rules only, wildcards {name + ':':17s} {ms * 1000:8.1f} ms")
    print(f"rules on / off:                {rules['on'] / rules['off']:8.3f}")
    worst = rules["on, all unsure"] / rules["off, all unsure"]
    print(f"  all words unsure, on / off:  {worst:8.3f}")


if __name__ == "__main__":
    main()
