"""Scoring the analysis against a labelled set of calls (``callqa eval``).

A set is a folder with ``calls/<call_id>.json`` (transcripts in the exchange format) and
``labels.yaml`` (the expected outcome of every rule per call, the customer's sentiment at
the end, the numbers that must be redacted and those that must survive). A set may also
hold ``recordings/<call_id>.<ext>`` (with ``<call_id>.meta.json``): then each call can be
judged from its recording too, transcribed the way ``callqa process`` does it, and the two
reports are printed side by side. Transcripts of the recordings are kept under
``asr/<settings digest>/`` so a new rule pack is judged again without transcribing.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from core.errors import ConfigError
from core.transcript import Transcript

if TYPE_CHECKING:
    from core.analysis import CallAnalysis
    from core.call_metadata import CallMetadata
    from core.config import Settings
    from pipeline.one_call import CallProcessor

_AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a"}

OUTCOMES = ("failed", "passed", "not_applicable")


def load_labels(folder: Path) -> dict[str, Any]:
    path = folder / "labels.yaml"
    try:
        labels = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the labels ({exc.strerror})") from exc
    if not isinstance(labels, dict) or not isinstance(labels.get("calls"), dict):
        raise ConfigError(f"{path}: expected a mapping with 'calls'")
    return labels


def recordings_of(folder: Path) -> dict[str, Path]:
    """The set's recordings by call id (empty when it has none)."""
    rec = folder / "recordings"
    if not rec.is_dir():
        return {}
    return {p.stem: p for p in sorted(rec.iterdir()) if p.suffix.lower() in _AUDIO_SUFFIXES}


def evaluate_folder(
    folder: Path,
    pack_path: Path | None = None,
    policy_path: Path | None = None,
    *,
    source: str = "text",
    settings: Settings | None = None,
    on_call: Callable[[str], None] | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    """Score every labelled call from its transcript (``source="text"``) or from its
    recording (``"audio"``: transcribed with ``settings``, as ``callqa process`` would);
    ``only``, a shell pattern of call ids, scores one split of the set (``ub*``)."""
    from fnmatch import fnmatchcase

    labels = load_labels(folder)
    if only:
        labels["calls"] = {k: v for k, v in labels["calls"].items() if fnmatchcase(k, only)}
        if not labels["calls"]:
            raise ConfigError(f"{folder}/labels.yaml: no call id matches {only!r}")
    processor = _processor(settings, pack_path, policy_path)
    transcripts = _transcripts(folder, labels, source, processor, on_call)
    pairs: dict[str, list[tuple[str, str]]] = {}
    mistakes: list[str] = []
    redaction = Counter[str]()
    sentiment = Counter[str]()
    agree = 0
    for call_id, label in sorted(labels["calls"].items()):
        transcript = transcripts(call_id)
        metadata = _label_metadata(folder, call_id, label)
        redacted, analysis = processor.analyse(transcript, metadata)
        _compare_outcomes(call_id, label["outcomes"], analysis, pairs, mistakes)
        if source == "text":
            _score_redaction(call_id, label.get("redaction") or {}, redacted, redaction, mistakes)
        predicted = _sentiment_label(analysis.sentiment.customer_end)
        sentiment[predicted] += 1
        if predicted == label.get("sentiment_customer_end"):
            agree += 1
    every = [p for rule_pairs in pairs.values() for p in rule_pairs]
    return {
        "calls": len(labels["calls"]),
        "source": source,
        "rules": {rule_id: _rule_scores(p) for rule_id, p in pairs.items()},
        "overall": _rule_scores(every),
        "redaction": _redaction_scores(redaction),
        "sentiment": {"n": len(labels["calls"]), "agree": agree, "predicted": dict(sentiment)},
        "mistakes": mistakes,
    }


def _compare_outcomes(
    call_id: str,
    expected_outcomes: dict[str, str],
    analysis: CallAnalysis,
    pairs: dict[str, list[tuple[str, str]]],
    mistakes: list[str],
) -> None:
    """Adds each labelled rule's (expected, got) pair, and a line for each disagreement."""
    got = {r.id: r.outcome for r in analysis.rules}
    for rule_id, expected in expected_outcomes.items():
        outcome = got.get(rule_id, "missing")
        pairs.setdefault(rule_id, []).append((expected, outcome))
        if outcome != expected:
            reason = next((r.reason for r in analysis.rules if r.id == rule_id), "")
            mistakes.append(f"{call_id} {rule_id}: expected {expected}, got {outcome} ({reason})")


def _redaction_scores(redaction: Counter[str]) -> dict[str, Any]:
    must = redaction["must_redact"]
    return {
        "must_redact": must,
        "removed": redaction["removed"],
        "recall": redaction["removed"] / must if must else 1.0,
        "must_keep": redaction["must_keep"],
        "kept": redaction["kept"],
    }


def _processor(
    settings: Settings | None, pack_path: Path | None, policy_path: Path | None
) -> CallProcessor:
    """The one call path with the rules being judged: the pack and policy given, else the
    settings' (whose pack is also the one whose phrases may be hotwords)."""
    from core.config import load_settings
    from pipeline.one_call import CallProcessor

    overrides = {"rule_pack": pack_path, "policy_file": policy_path}
    chosen = (settings or load_settings(None)).model_copy(
        update={k: v for k, v in overrides.items() if v}
    )
    return CallProcessor(chosen)


def _label_metadata(folder: Path, call_id: str, label: dict[str, Any]) -> CallMetadata:
    """The call metadata a label gives (ring time and the like), typed as a recorder's."""
    from core.call_metadata import known_fields, merge_metadata

    # layout, agent_channel, format and driver say how the test recording was built (and
    # what callqa must find out itself): a recorder's metadata never tells them.
    built = {"layout", "agent_channel", "format", "driver"}
    stated = {k: v for k, v in (label.get("metadata") or {}).items() if k not in built}
    given = known_fields(stated)
    where = f"{folder}/labels.yaml: call {call_id}"
    return merge_metadata(where, call_id, [("labels.yaml", given)])[0]


def _transcripts(
    folder: Path,
    labels: dict[str, Any],
    source: str,
    processor: CallProcessor,
    on_call: Callable[[str], None] | None,
) -> Callable[[str], Transcript]:
    """A function from call id to the transcript to judge: the written one, or the
    recording's (transcribed once per recognition settings, then read back)."""
    if source == "text":
        unwritten = [c for c in labels["calls"] if not (folder / "calls" / f"{c}.json").is_file()]
        _require_every_call(
            folder / "calls",
            "transcript",
            unwritten,
            "score the recordings alone with --from audio, or build the transcripts with"
            " python -m synth.eval_calls",
        )
        return lambda call_id: Transcript.read(folder / "calls" / f"{call_id}.json")
    if source != "audio":
        raise ConfigError(f"source must be 'text' or 'audio' (got {source!r})")
    recordings = recordings_of(folder)
    _require_every_call(
        folder / "recordings",
        "recording",
        set(labels["calls"]) - set(recordings),
        "build them with python -m synth.eval_calls",
    )
    cache = folder / "asr" / _recognition_digest(processor)
    cache.mkdir(parents=True, exist_ok=True)

    def transcript(call_id: str) -> Transcript:
        kept = cache / f"{call_id}.json"
        if kept.is_file():
            return Transcript.read(kept)
        if on_call is not None:
            on_call(call_id)
        result = processor.transcribe_file(recordings[call_id])
        result.write(kept)
        return result

    return transcript


def _require_every_call(where: Path, what: str, missing: Iterable[str], fix: str) -> None:
    """Refuses a set with labelled calls that have no transcript or recording, naming them."""
    absent = sorted(missing)
    if absent:
        raise ConfigError(
            f"{where}: no {what} for {len(absent)} labelled calls"
            f" ({', '.join(absent[:5])}...); {fix}"
        )


def _recognition_digest(processor: CallProcessor) -> str:
    """What decides a recording's transcript: the model and the call options the one
    call path transcribes with (the same ones ``callqa process`` uses)."""
    from dataclasses import asdict

    from pipeline.configured import whisper_config

    decided = {
        "whisper": asdict(whisper_config(processor.settings)),
        "call": asdict(processor.options()),
    }
    text = json.dumps(decided, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _rule_scores(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Per-rule scores as the unseen set is judged: a ``needs_review`` counts as wrong for
    accuracy and as caught for the recall of ``failed``; precisions are those of the
    confident outcomes (what a QA lead trusts without listening)."""
    confident = [(e, g) for e, g in pairs if g != "needs_review"]
    scores: dict[str, Any] = {
        "n": len(pairs),
        "accuracy": sum(e == g for e, g in pairs) / len(pairs),
        "review": len(pairs) - len(confident),
        "confident_accuracy": (
            sum(e == g for e, g in confident) / len(confident) if confident else None
        ),
    }
    for outcome in OUTCOMES:
        predicted = sum(g == outcome for _, g in confident)
        actual = sum(e == outcome for e, _ in pairs)
        hits = sum(e == g == outcome for e, g in confident)
        caught = hits + sum(e == outcome and g == "needs_review" for e, g in pairs)
        scores[f"{outcome}_precision"] = hits / predicted if predicted else None
        scores[f"{outcome}_recall"] = (
            (caught if outcome == "failed" else hits) / actual if actual else None
        )
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
    """The customer-end score in the sentiment model's own bands (SentimentConfig)."""
    from models.sentiment import SentimentConfig

    band = SentimentConfig().neutral_band
    if not isinstance(score, int | float):
        return "neutral"
    if score > band:
        return "positive"
    if score < -band:
        return "negative"
    return "neutral"
