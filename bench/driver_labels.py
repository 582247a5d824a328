"""The labelled calls for driver accuracy: dev (tests/data/eval) and the two held-out
script files (tests/data/eval_audio/calls_ua.yaml, calls_ub.yaml), as utterance lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "eval"
SCRIPTS = ROOT / "tests" / "data" / "eval_audio"


def dev_calls() -> dict[str, dict[str, Any]]:
    labels = yaml.safe_load((DEV / "labels.yaml").read_text(encoding="utf-8"))["calls"]
    calls = {}
    for call_id, label in labels.items():
        doc = json.loads((DEV / "calls" / f"{call_id}.json").read_text(encoding="utf-8"))
        calls[call_id] = {
            "turns": [(t["speaker"], t["start"], t["text"]) for t in doc["turns"]],
            "driver": label.get("driver"),
            "complaint": label["outcomes"]["complaint_apology"] != "not_applicable",
        }
    return calls


def script_calls(name: str) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((SCRIPTS / f"calls_{name}.yaml").read_text(encoding="utf-8"))["calls"]
    calls = {}
    for call_id, call in data.items():
        t = 0.0
        turns = []
        for line in call["lines"]:
            turns.append(("agent" if line["s"] == "a" else "customer", t, line["t"]))
            t += 1.0 + len(line["t"]) / 4.5
        calls[call_id] = {
            "turns": turns,
            "driver": call.get("driver"),
            "complaint": call["outcomes"]["complaint_apology"] != "not_applicable",
        }
    return calls
