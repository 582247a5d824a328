"""The customer's mood at the end of a call against the labels, per tuning split (issue 9).

    .venv/bin/python bench/bench_mood.py [MODEL_DIR ...] [--dump FILE.pkl]

For each sentiment model (``default``, or a folder trained by ``python -m
models.sentiment_training --out DIR``), scores the customer's end mood the way ``callqa
eval`` does (redacted transcript -> ``call_sentiment`` -> ``customer_end`` banded by
``neutral_band``) on the tuning splits only, and prints agreement counts:

* ``dev``      tests/data/eval (62 calls, text)
* ``ua_text``  /work/eval-audio calls ``ua*`` (text)
* ``ua_audio`` the cached recognised transcripts of the same recordings (``asr/<digest>``)
* ``uc``       tests/data/eval_tune as text (``--uc`` folder, built from calls_uc.yaml)

The held-out split (``ub*``) is never read here. ``--dump`` keeps each call's customer
turn scores (no texts) for trying call-level aggregations offline.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

import yaml

from core.transcript import Transcript
from models.sentiment import SentimentConfig, load_sentiment
from pipeline.redact import redact_transcript
from pipeline.sentiment import _without_placeholders as without_placeholders
from pipeline.sentiment import call_sentiment, is_backchannel

ROOT = Path(__file__).resolve().parents[1]
AUDIO_SET = Path("/work/eval-audio")
ASR_DIGEST = "15ced157a059"


def splits(uc_folder: Path) -> dict[str, tuple[Path, Path, str]]:
    """name -> (labels folder, transcripts folder, call-id prefix)."""
    return {
        "dev": (ROOT / "tests" / "data" / "eval", ROOT / "tests" / "data" / "eval" / "calls", ""),
        "ua_text": (AUDIO_SET, AUDIO_SET / "calls", "ua"),
        "ua_audio": (AUDIO_SET, AUDIO_SET / "asr" / ASR_DIGEST, "ua"),
        "uc": (uc_folder, uc_folder / "calls", "uc"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["default"])
    parser.add_argument("--uc", type=Path, default=Path("/tmp/hf/uc-text"))
    parser.add_argument("--dump", type=Path, default=None)
    args = parser.parse_args()
    dumped: dict[str, list[tuple[str, str, str, list[float]]]] = {}
    for name in args.models:
        model = load_sentiment(SentimentConfig(model=name, threads=1))
        started = time.monotonic()
        rows: list[tuple[str, str, str, list[float]]] = []
        line = []
        for split, (labels_dir, calls_dir, prefix) in splits(args.uc).items():
            labels = yaml.safe_load((labels_dir / "labels.yaml").read_text(encoding="utf-8"))
            agree = total = 0
            for call_id, label in sorted(labels["calls"].items()):
                if not call_id.startswith(prefix) or call_id.startswith("ub"):
                    continue
                redacted, _ = redact_transcript(Transcript.read(calls_dir / f"{call_id}.json"))
                summary = call_sentiment(redacted, model)
                end = summary.customer_end
                mood = "neutral" if end is None else model.label_for(end)
                gold = label["sentiment_customer_end"]
                agree += mood == gold
                total += 1
                customer = [
                    t.score
                    for t, turn in zip(summary.turns, redacted.turns, strict=True)
                    if t.speaker == "customer"
                    and not is_backchannel(without_placeholders(turn.text))
                ]
                rows.append((split, call_id, gold, customer))
            line.append(f"{split} {agree}/{total}")
        print(f"{name}: " + "  ".join(line) + f"  ({time.monotonic() - started:.0f} s)")
        dumped[name] = rows
    if args.dump:
        args.dump.write_bytes(pickle.dumps(dumped))


if __name__ == "__main__":
    main()
