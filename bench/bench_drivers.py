"""Driver accuracy per split (dev = tests/data/eval, ua, ub = held out), complaint
detection, and the clustering of unmatched calls, printed. Tuned on dev + ua only.

    .venv/bin/python bench/bench_drivers.py [--audio /work/eval-audio] [--verbose]

``--audio FOLDER``: the same ua/ub calls from their recordings (FOLDER/asr/*/ transcripts
written by ``callqa eval``), labels from the repository's scripts."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.driver_labels import dev_calls, script_calls
from pipeline.drivers import Utterance, load_classifier


def _score(classifier, calls, verbose: bool, split: str) -> dict[str, float]:
    right = hit_any = complaint_right = 0
    misses = Counter()
    for call_id, call in calls.items():
        result = classifier.classify(
            [
                Utterance(text=t, start=s, speaker=sp, turn=i)
                for i, (sp, s, t) in enumerate(call["turns"])
            ]
        )
        predicted = result.primary
        ok = predicted == call["driver"]
        right += ok
        hit_any += ok or call["driver"] in {h.driver for h in result.drivers}
        complaint_ok = (result.complaint is not None) == call["complaint"]
        complaint_right += complaint_ok
        if verbose and not complaint_ok and "held out" not in split:
            c = result.complaint
            print(
                f"  {split} {call_id}: complaint want {call['complaint']} got "
                f"{c and (c.category, c.severity, c.evidence[0].text, c.score)}"
            )
        if not ok:
            misses[(call["driver"], predicted)] += 1
            if verbose and "held out" not in split:  # never read the held-out dialogues
                ev = result.drivers[0].evidence[0].text if result.drivers else result.unmatched
                print(
                    f"  {split} {call_id}: want {call['driver']} got {predicted} "
                    f"{[(h.driver, h.score) for h in result.drivers]} | {ev}"
                )
    n = len(calls)
    return {
        "calls": n,
        "accuracy": right / n,
        "in_drivers": hit_any / n,
        "complaint_acc": complaint_right / n,
    }


def _audio_calls(folder: Path, labels: dict[str, dict]) -> dict[str, dict]:
    import json

    calls = {}
    for path in sorted(folder.glob("asr/*/*.json")):
        if path.stem not in labels:
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        calls[path.stem] = {
            **labels[path.stem],
            "turns": [(t["speaker"], t["start"], t["text"]) for t in doc["turns"]],
        }
    return calls


DISTANCE = 0.035


def _clusters(classifier, calls: dict[str, dict], left_out: tuple[str, ...]) -> None:
    """Leave drivers out of the taxonomy, classify, and cluster what no driver fits: the
    suggestions should rediscover the drivers left out (printed with their members' labels)."""
    from dataclasses import replace

    from pipeline.driver_clusters import suggest_drivers
    from pipeline.drivers import DriverClassifier

    taxonomy = classifier.taxonomy
    reduced = replace(taxonomy, drivers=tuple(d for d in taxonomy.drivers if d.id not in left_out))
    partial = DriverClassifier(reduced, classifier.encoder, classifier.settings)
    unmatched = []
    for call_id, call in calls.items():
        result = partial.classify(
            [Utterance(text=t, start=s, speaker=sp) for sp, s, t in call["turns"]]
        )
        if not result.drivers:
            unmatched.append((call_id, result.unmatched))
    groups = suggest_drivers(unmatched, classifier.encoder, distance=DISTANCE)
    print(
        f"\nclusters: {', '.join(left_out)} left out of the taxonomy; "
        f"{len(unmatched)} of {len(calls)} calls unmatched; {len(groups)} suggested drivers"
    )
    for n, group in enumerate(groups, start=1):
        labels = Counter(calls[c]["driver"] for c in group.call_ids)
        print(f"  #{n}: {group.size} calls, cohesion {group.cohesion:.2f}, labels {dict(labels)}")
        for utterance in group.typical:
            print(f"      「{utterance}」")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--audio", type=Path)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument(
        "--clusters",
        default="wealth,loans,fees",
        help="drivers to leave out for the clustering check ('' = none)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    classifier = load_classifier()
    print(f"classifier {classifier.label} loaded in {time.perf_counter() - started:.1f} s")
    splits = {"dev": dev_calls(), "ua": script_calls("ua"), "ub (held out)": script_calls("ub")}
    if args.audio:
        labels = {**splits["ua"], **splits["ub (held out)"]}
        audio = _audio_calls(args.audio, labels)
        splits["ua audio"] = {k: v for k, v in audio.items() if k.startswith("ua")}
        splits["ub audio (held out)"] = {k: v for k, v in audio.items() if k.startswith("ub")}
    for split, calls in splits.items():
        if args.skip_accuracy:
            break
        started = time.perf_counter()
        row = _score(classifier, calls, args.verbose, split)
        took = time.perf_counter() - started
        print(
            f"{split:20s} calls {row['calls']:3d}  driver accuracy {row['accuracy']:.3f}  "
            f"label among drivers {row['in_drivers']:.3f}  complaint detection "
            f"{row['complaint_acc']:.3f}  ({took / max(row['calls'], 1):.2f} s a call)"
        )
    if args.clusters:
        _clusters(classifier, {**splits["dev"], **splits["ua"]}, tuple(args.clusters.split(",")))


if __name__ == "__main__":
    main()
