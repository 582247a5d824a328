"""Driver accuracy per split (dev = tests/data/eval, ua, uc and ud = tests/data/eval_tune,
and ub = held out, only with ``--held-out``), complaint detection, the time per call, and the
clustering of unmatched calls, printed. Tuned on dev + ua + uc + ud only. Each call is classified
by the current classifier, by the one that always embeds the whole opening ("opening": the
classifier before the quick first look) and by the legacy one (every utterance embedded
whole), the order rotating from call to call, so that their times are ratios measured side
by side on the same (shared) machine.

    .venv/bin/python bench/bench_drivers.py [--audio /work/eval-audio] [--verbose] [--held-out]

``--audio FOLDER``: the same ua/ub calls from their recordings (FOLDER/asr/*/ transcripts
written by ``callqa eval``), labels from the repository's scripts."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.driver_labels import dev_calls, script_calls
from pipeline.drivers import DriverClassifier, Utterance, legacy_settings, load_classifier


def _utterances(call: dict) -> list[Utterance]:
    return [
        Utterance(text=t, start=s, speaker=sp, turn=i) for i, (sp, s, t) in enumerate(call["turns"])
    ]


def _timed(classifiers: dict, calls: dict) -> tuple[dict, dict[str, list[float]]]:
    """Every call through every classifier, the order alternating from call to call."""
    results: dict[str, dict] = {name: {} for name in classifiers}
    seconds: dict[str, list[float]] = {name: [] for name in classifiers}
    names = list(classifiers)
    for n, (call_id, call) in enumerate(calls.items()):
        shift = n % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            results[name][call_id] = classifiers[name].classify(_utterances(call))
            seconds[name].append(time.perf_counter() - started)
    return results, seconds


def _score(results: dict, calls, verbose: bool, split: str) -> dict[str, float]:
    right = hit_any = complaint_right = 0
    misses: Counter = Counter()
    for call_id, call in calls.items():
        result = results[call_id]
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
    from pipeline.driver_clusters import suggest_drivers
    from pipeline.drivers import DriverClassifier

    taxonomy = classifier.taxonomy
    reduced = replace(taxonomy, drivers=tuple(d for d in taxonomy.drivers if d.id not in left_out))
    partial = DriverClassifier(reduced, classifier.encoder, classifier.settings)
    unmatched = []
    for call_id, call in calls.items():
        result = partial.classify(_utterances(call))
        if not result.drivers:
            unmatched.append((call_id, result.unmatched))
    groups = suggest_drivers(unmatched, classifier.encoder, distance=DISTANCE)
    print(
        f"\nclusters: {', '.join(left_out)} left out of the taxonomy; "
        f"{len(unmatched)} of {len(calls)} calls unmatched; {len(groups)} suggested drivers"
    )
    print(f"  unmatched calls' labels: {dict(Counter(calls[c]['driver'] for c, _ in unmatched))}")
    for n, group in enumerate(groups, start=1):
        labels = Counter(calls[c]["driver"] for c in group.call_ids)
        print(f"  #{n}: {group.size} calls, cohesion {group.cohesion:.2f}, labels {dict(labels)}")
        for utterance in group.typical:
            print(f"      「{utterance}」")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--audio", type=Path)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="also the held-out ub (aggregates only): once, at the end of a piece of work",
    )
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument(
        "--clusters",
        default="wealth,loans,fees",
        help="drivers to leave out for the clustering check ('' = none)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    classifier = load_classifier()
    print(f"classifier {classifier.label}: taxonomy read in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    classifier.classify([Utterance("你好，我的卡丢了，想挂失一下。")])
    print(
        f"first call classified (model loaded, the examples' vectors kept or embedded) "
        f"in {time.perf_counter() - started:.2f} s"
    )
    taxonomy = classifier.taxonomy
    examples = [e for d in taxonomy.drivers for e in d.examples] + list(taxonomy.background)
    started = time.perf_counter()
    classifier.encoder.encode(examples)
    print(
        f"the {len(examples)} driver examples embedded from scratch in "
        f"{time.perf_counter() - started:.2f} s (what a new process no longer pays)"
    )
    legacy = DriverClassifier(taxonomy, classifier.encoder, legacy_settings())
    opening = replace(classifier.settings, quick_customer=None)
    whole_opening = DriverClassifier(taxonomy, classifier.encoder, opening)
    classifiers = {"now": classifier, "opening": whole_opening, "legacy": legacy}
    splits = {
        "dev": dev_calls(),
        "ua": script_calls("ua"),
        "uc": script_calls("uc"),
        "ud": script_calls("ud"),
    }
    if args.held_out:
        splits["ub (held out)"] = script_calls("ub")
    if args.audio:
        audio = _audio_calls(args.audio, splits["ua"])
        splits["ua audio"] = {k: v for k, v in audio.items() if k.startswith("ua")}
        if args.held_out:
            audio = _audio_calls(args.audio, splits["ub (held out)"])
            splits["ub audio (held out)"] = {k: v for k, v in audio.items() if k.startswith("ub")}
    for split, calls in splits.items():
        if args.skip_accuracy:
            break
        if not calls:  # a set whose recordings were not built or recognised here
            print(f"{split:20s} no calls (no recognised transcripts in {args.audio})")
            continue
        results, seconds = _timed(classifiers, calls)
        rows = {name: _score(results[name], calls, args.verbose, split) for name in classifiers}
        for name, row in rows.items():
            print(
                f"{split:20s} {name:7s} calls {row['calls']:3d}  driver accuracy "
                f"{row['accuracy']:.3f}  label among drivers {row['in_drivers']:.3f}  "
                f"complaint detection {row['complaint_acc']:.3f}  "
                f"(median {statistics.median(seconds[name]):.3f} s a call)"
            )
        for other in ("opening", "legacy"):
            ratios = [a / b for a, b in zip(seconds["now"], seconds[other], strict=True)]
            print(
                f"{split:20s} time a call, now / {other}: median "
                f"{statistics.median(ratios):.2f}, "
                f"total {sum(seconds['now']) / sum(seconds[other]):.2f}"
            )
    if args.clusters:
        left_out = tuple(args.clusters.split(","))
        _clusters(classifier, {**splits["dev"], **splits["ua"]}, left_out)
        tuning = {k: v for name in ("dev", "ua", "uc", "ud") for k, v in splits[name].items()}
        _clusters(classifier, tuning, left_out)


if __name__ == "__main__":
    main()
