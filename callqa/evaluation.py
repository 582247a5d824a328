"""Scoring the analysis against a labelled set of calls (``callqa eval``).

A set is a folder with ``calls/<call_id>.json`` (transcripts in the exchange format) and
``labels.yaml`` (the expected outcome of every rule per call, the customer's sentiment at
the end, the numbers that must be redacted and those that must survive).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from callqa.errors import ConfigError
from pipeline.transcript import Transcript

OUTCOMES = ("failed", "passed", "not_applicable")
# Where a customer-end sentiment score stops being neutral (scores run -1..+1): the same
# band the default sentiment model uses for its own turn labels (SentimentConfig).
NEUTRAL_BAND = 0.3


def load_labels(folder: Path) -> dict[str, Any]:
    path = folder / "labels.yaml"
    try:
        labels = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the labels ({exc.strerror})") from exc
    if not isinstance(labels, dict) or not isinstance(labels.get("calls"), dict):
        raise ConfigError(f"{path}: expected a mapping with 'calls'")
    return labels


def evaluate_folder(
    folder: Path, pack_path: Path | None = None, policy_path: Path | None = None
) -> dict[str, Any]:
    from pipeline.analyze import load_analyser

    labels = load_labels(folder)
    analyser = load_analyser(pack_path, policy_path)
    pairs: dict[str, list[tuple[str, str]]] = {}
    mistakes: list[str] = []
    redaction = Counter[str]()
    sentiment = Counter[str]()
    agree = 0
    for call_id, label in sorted(labels["calls"].items()):
        transcript = Transcript.read(folder / "calls" / f"{call_id}.json")
        redacted, analysis = analyser.analyse(transcript, label.get("metadata") or {})
        got = {r.id: r.outcome for r in analysis.rules}
        for rule_id, expected in label["outcomes"].items():
            outcome = got.get(rule_id, "missing")
            pairs.setdefault(rule_id, []).append((expected, outcome))
            if outcome != expected:
                reason = next((r.reason for r in analysis.rules if r.id == rule_id), "")
                mistakes.append(
                    f"{call_id} {rule_id}: expected {expected}, got {outcome} ({reason})"
                )
        _score_redaction(call_id, label.get("redaction") or {}, redacted, redaction, mistakes)
        predicted = _sentiment_label(analysis.sentiment.get("customer_end"))
        sentiment[predicted] += 1
        if predicted == label.get("sentiment_customer_end"):
            agree += 1
    return {
        "calls": len(labels["calls"]),
        "rules": {rule_id: _rule_scores(p) for rule_id, p in pairs.items()},
        "redaction": {
            "must_redact": redaction["must_redact"],
            "removed": redaction["removed"],
            "recall": redaction["removed"] / redaction["must_redact"]
            if redaction["must_redact"]
            else 1.0,
            "must_keep": redaction["must_keep"],
            "kept": redaction["kept"],
        },
        "sentiment": {"n": len(labels["calls"]), "agree": agree, "predicted": dict(sentiment)},
        "mistakes": mistakes,
    }


def _rule_scores(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    scores: dict[str, Any] = {
        "n": len(pairs),
        "accuracy": sum(e == g for e, g in pairs) / len(pairs),
    }
    for outcome in OUTCOMES:
        predicted = sum(g == outcome for _, g in pairs)
        actual = sum(e == outcome for e, _ in pairs)
        hits = sum(e == g == outcome for e, g in pairs)
        scores[f"{outcome}_precision"] = hits / predicted if predicted else None
        scores[f"{outcome}_recall"] = hits / actual if actual else None
        scores[f"{outcome}_support"] = actual
    return scores


def _score_redaction(
    call_id: str,
    spec: dict[str, Any],
    redacted: Transcript,
    tally: Counter[str],
    mistakes: list[str],
) -> None:
    text = "".join(t.text for t in redacted.turns)
    for secret in spec.get("must_redact") or ():
        tally["must_redact"] += 1
        if secret in text:
            mistakes.append(f"{call_id} redaction: {secret!r} was not removed")
        else:
            tally["removed"] += 1
    for ordinary in spec.get("must_keep") or ():
        tally["must_keep"] += 1
        if ordinary in text:
            tally["kept"] += 1
        else:
            mistakes.append(f"{call_id} redaction: ordinary {ordinary!r} was removed")


def _sentiment_label(score: object) -> str:
    if not isinstance(score, int | float):
        return "neutral"
    if score > NEUTRAL_BAND:
        return "positive"
    if score < -NEUTRAL_BAND:
        return "negative"
    return "neutral"
