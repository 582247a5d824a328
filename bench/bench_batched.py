"""Batched recognition (faster-whisper's ``BatchedInferencePipeline``) against unbatched, on
the same audio with many short speech stretches, at beam 1 and beam 5: time ratio and CER.

    .venv/bin/python bench/bench_batched.py                  # batch sizes 4 and 8, 2 rounds
    .venv/bin/python bench/bench_batched.py --batch-sizes 8 --rounds 3

The audio: (1) the 8 real Mandarin clips one after another, 1 s apart (~55 s, each clip a
few seconds of speech); (2) the agent channel of the synthetic 60-s stereo call (the
customer's turns leave it silent in between: a dozen short stretches). Each setting runs
through ``pipeline.transcribe.transcribe_channel`` (callqa's own options: VAD 0.3, word
timestamps, filters). Unbatched and batched alternate in every round (the order flipping
each round) so drift on a shared machine hits both alike; the median time is kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "real"


def _chars(text: str) -> str:
    from core.textnorm import to_simplified

    return re.sub(r"[\s\W_]+", "", to_simplified(text))


def audio_sets() -> dict[str, tuple[object, str]]:
    """name -> (float32 16 kHz samples, reference text)."""
    import numpy as np

    from models.cache import cache_dir
    from pipeline.audio import decode

    rows = list(csv.DictReader((REAL / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
    rows = [r for r in rows if r["language"] == "zh" and r["kind"] == "transcript"]
    pause = np.zeros(16000, dtype=np.float32)
    clips = [x for r in rows for x in (decode(REAL / r["file"]).mono(), pause)]
    sets: dict[str, tuple[object, str]] = {
        "8 real zh clips, 1 s apart": (np.concatenate(clips), "".join(r["reference"] for r in rows))
    }
    call = cache_dir("bench") / "stereo-60s.wav"
    truth = call.with_suffix(".json")
    if call.is_file() and truth.is_file():
        ref = json.loads(truth.read_text(encoding="utf-8"))
        agent = int(ref["agent_channel"])
        text = "".join(t["text"] for t in ref["turns"] if t["speaker"] == "agent")
        sets["synthetic 60 s call, agent channel"] = (decode(call).channel(agent), text)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beams", default="1,5")
    parser.add_argument("--batch-sizes", default="4,8")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import jiwer

    from core.config import load_settings
    from models.whisper import load_whisper
    from pipeline.configured import call_options, whisper_config
    from pipeline.transcribe import transcribe_channel

    settings = load_settings(None)
    model = load_whisper(whisper_config(settings))
    base = call_options(settings).transcribe
    sets = audio_sets()
    first = next(iter(sets.values()))[0]
    transcribe_channel(first, model, base)  # type: ignore[arg-type]  # warm-up
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    threads = whisper_config(settings).cpu_threads
    print(f"load: {os.getloadavg()[0]:.1f} (1-min average), {threads} threads")
    header = f"{'audio':38} {'beam':>4} {'batch':>5} {'CER':>6} {'median s':>9} {'÷ unbatched':>11}"
    print(header)
    results = []
    for set_name, (samples, reference) in sets.items():
        for beam in (int(b) for b in args.beams.split(",")):
            variants = [0, *sizes]
            times: dict[int, list[float]] = {v: [] for v in variants}
            texts: dict[int, str] = {}
            for round_ in range(args.rounds):
                for size in variants if round_ % 2 == 0 else variants[::-1]:
                    options = base.__class__(
                        **{**base.__dict__, "beam_size": beam, "batch_size": size}
                    )
                    start = time.perf_counter()
                    channel = transcribe_channel(samples, model, options)  # type: ignore[arg-type]
                    times[size].append(time.perf_counter() - start)
                    texts[size] = "".join(s.text for s in channel.segments)
            plain = statistics.median(times[0])
            for size in variants:
                cer = float(jiwer.cer(_chars(reference), _chars(texts[size])))
                median = statistics.median(times[size])
                print(
                    f"{set_name:38} {beam:4d} {size or '-':>5} {cer:6.3f} {median:9.2f}"
                    f" {median / plain:11.3f}",
                    flush=True,
                )
                results.append(
                    {
                        "audio": set_name,
                        "beam": beam,
                        "batch_size": size,
                        "cer": cer,
                        "seconds": times[size],
                        "ratio": median / plain,
                    }
                )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
