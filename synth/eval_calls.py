"""Labelled evaluation calls as telephone recordings: scripts in, an evaluation set out.

The scripts (``tests/data/eval_audio/calls_*.yaml``) were written, with their per-rule
labels, by writers who had not seen the rule pack. This module speaks them (Kokoro, see
:mod:`synth.voice`), lays each out as a call and writes what ``callqa eval`` reads:

    OUT/recordings/<call_id>.{wav,flac,ogg}   8 kHz telephone band; stereo (the agent left
                                              in some calls, right in others) or mono
    OUT/recordings/<call_id>.meta.json        what the recorder knows (ring time), never
                                              which channel is the agent
    OUT/calls/<call_id>.json                  the reference transcript (the text side)
    OUT/labels.yaml                           expected outcomes, mood, driver

    python -m synth.eval_calls tests/data/eval_audio OUT [--only ID ...]
    python -m synth.eval_calls tests/data/eval_tune OUT --text-only

Speech is cached per sentence, so a second build is quick; a recording whose script did
not change is kept. ``--text-only`` writes the reference transcripts and labels without
speaking anything (timings estimated from the text), to judge the text side in seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from core.errors import ConfigError
from synth.calls import Line, SyntheticCall, build_call


def rule_ids() -> tuple[str, ...]:
    """The rules every call is labelled on: those of the bank's pack, in its order."""
    from rules.pack_loading import default_pack_path, load_pack

    return tuple(rule.id for rule in load_pack(default_pack_path()).rules)


OUTCOMES = {"passed", "failed", "not_applicable"}
MOODS = {"positive", "neutral", "negative"}
TELEPHONE_RATE = 8000
_FORMATS = ("wav", "flac", "ogg")
MONO_EVERY = 7  # every 7th call is a mono mix (diarization decides who is the agent)
# a text-only set's turn timings: about the pace of the synthetic voices, a pause between
SECONDS_PER_CHARACTER = 0.24
PAUSE_S = 0.6


def load_scripts(folder: Path) -> dict[str, dict[str, Any]]:
    """Every call of ``calls_*.yaml`` in ``folder``, checked: ids unique, all 11 rules
    labelled with a known outcome, speakers a/c, a mood."""
    calls: dict[str, dict[str, Any]] = {}
    rules = rule_ids()
    files = sorted(folder.glob("calls_*.yaml"))
    if not files:
        raise ConfigError(f"{folder}: no calls_*.yaml scripts")
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for call_id, call in (data.get("calls") or {}).items():
            where = f"{path}: call {call_id!r}"
            if call_id in calls:
                raise ConfigError(f"{where}: duplicate call id")
            outcomes = call.get("outcomes") or {}
            if set(outcomes) != set(rules) or not set(outcomes.values()) <= OUTCOMES:
                raise ConfigError(f"{where}: outcomes must label all of {', '.join(rules)}")
            if call.get("sentiment_customer_end") not in MOODS:
                raise ConfigError(f"{where}: sentiment_customer_end must be one of {MOODS}")
            lines = call.get("lines") or []
            if not lines or any(line.get("s") not in ("a", "c") for line in lines):
                raise ConfigError(f"{where}: lines need s: a (agent) or c (customer)")
            calls[call_id] = call
    return calls


def layout_of(index: int) -> tuple[str, int, str]:
    """(layout, agent channel, format) for the index-th call: a deterministic mix."""
    fmt = _FORMATS[index % len(_FORMATS)]
    if index % MONO_EVERY == MONO_EVERY - 1:
        return "mono", 0, fmt
    return "stereo", (index // 2) % 2, fmt


def build_set(
    scripts: Path, out: Path, only: Sequence[str] = (), progress: bool = True
) -> list[str]:
    """Synthesise (or keep) every recording and write the set; returns the call ids."""
    from pipeline.audio_writing import write_audio

    calls = load_scripts(scripts)
    (out / "recordings").mkdir(parents=True, exist_ok=True)
    (out / "calls").mkdir(parents=True, exist_ok=True)
    labels: dict[str, Any] = {"answer_limit_s": 10.0, "rules": list(rule_ids()), "calls": {}}
    built = []
    for index, (call_id, call) in enumerate(sorted(calls.items())):
        layout, agent_channel, fmt = layout_of(index)
        metadata = {"ring_time_s": call["ring_time_s"]} if "ring_time_s" in call else {}
        labels["calls"][call_id] = _label(call, metadata, layout, agent_channel, fmt)
        if only and call_id not in only:
            continue
        digest = _digest(call, layout, agent_channel, fmt)
        recording = out / "recordings" / f"{call_id}.{fmt}"
        meta_path = out / "recordings" / f"{call_id}.meta.json"
        if recording.is_file() and _stored_digest(meta_path) == digest:
            built.append(call_id)
            continue
        if progress:
            print(f"[{index + 1}/{len(calls)}] {call_id} ({layout}, {fmt})", flush=True)
        synthetic = _spoken(call_id, call, layout, agent_channel, metadata)
        write_audio(recording, _at_telephone_rate(synthetic), TELEPHONE_RATE)
        meta_path.write_text(
            json.dumps({"call_id": call_id, **metadata, "script_digest": digest}, indent=1),
            encoding="utf-8",
        )
        synthetic.to_transcript().write(out / "calls" / f"{call_id}.json")
        built.append(call_id)
    (out / "labels.yaml").write_text(
        yaml.safe_dump(labels, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return built


def build_text_set(scripts: Path, out: Path) -> list[str]:
    """The set's text side only: a reference transcript per script (each line a turn, its
    time estimated from its length, the agent on channel 0) and labels.yaml; no audio."""
    from core.transcript import Transcript

    calls = load_scripts(scripts)
    (out / "calls").mkdir(parents=True, exist_ok=True)
    labels: dict[str, Any] = {"answer_limit_s": 10.0, "rules": list(rule_ids()), "calls": {}}
    for call_id, call in sorted(calls.items()):
        at, turns = 0.8, []
        for line in call["lines"]:
            text, speaker = str(line["t"]), "agent" if line["s"] == "a" else "customer"
            seconds = max(1.0, SECONDS_PER_CHARACTER * len(text))
            channel = 0 if speaker == "agent" else 1
            turns.append(
                {"speaker": speaker, "start": round(at, 2), "end": round(at + seconds, 2),
                 "text": text, "channel": channel, "overlap": False,
                 "speaker_label": f"ch{channel}"}
            )  # fmt: skip
            at += seconds + PAUSE_S
        transcript = {
            "format_version": "1.0",
            "call_id": call_id,
            "audio": {"duration": round(at, 2), "channels": 2, "sample_rate": 16000},
            "language": "zh",
            "model": "synth-reference",
            "roles": {"method": "external", "confidence": 1.0, "agent": "ch0", "detail": "text"},
            "turns": turns,
        }
        Transcript.from_dict(transcript).write(out / "calls" / f"{call_id}.json")
        metadata = {"ring_time_s": call["ring_time_s"]} if "ring_time_s" in call else {}
        label = _label(call, metadata, "stereo", 0, "none")
        label["metadata"] = {**metadata, "driver": call.get("driver")}
        labels["calls"][call_id] = label
    (out / "labels.yaml").write_text(
        yaml.safe_dump(labels, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return sorted(calls)


def _digest(call: dict[str, Any], *parts: object) -> str:
    text = json.dumps([call["lines"], call.get("ring_time_s"), *parts], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _stored_digest(meta_path: Path) -> str | None:
    try:
        return str(json.loads(meta_path.read_text(encoding="utf-8")).get("script_digest"))
    except (OSError, ValueError):
        return None


def _label(
    call: dict[str, Any],
    metadata: dict[str, Any],
    layout: str,
    agent_channel: int,
    fmt: str,
) -> dict[str, Any]:
    """The call's entry in labels.yaml: outcomes, mood, how the recording is laid out."""
    return {
        "outcomes": call["outcomes"],
        "sentiment_customer_end": call["sentiment_customer_end"],
        "metadata": {
            **metadata,
            "layout": layout,
            "agent_channel": agent_channel if layout == "stereo" else None,
            "format": fmt,
            "driver": call.get("driver"),
        },
        "note": call.get("why", ""),
        "redaction": {"must_redact": [], "must_keep": []},
    }


def _spoken(
    call_id: str,
    call: dict[str, Any],
    layout: str,
    agent_channel: int,
    metadata: dict[str, Any],
) -> SyntheticCall:
    """The script spoken by the two voices, laid out and band-limited."""
    lines = [
        Line("agent" if line["s"] == "a" else "customer", str(line["t"]), 0.6)
        for line in call["lines"]
    ]
    return build_call(
        call_id,
        lines,
        layout="stereo" if layout == "stereo" else "mono",
        agent_channel=agent_channel,
        band_limit=True,
        metadata=metadata,
    )


def _at_telephone_rate(synthetic: SyntheticCall) -> np.ndarray:
    from scipy.signal import resample_poly

    ratio = synthetic.sample_rate // TELEPHONE_RATE
    return np.asarray(resample_poly(synthetic.samples, 1, ratio, axis=1), dtype=np.float32)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", nargs="*", default=())
    parser.add_argument("--text-only", action="store_true", help="transcripts and labels only")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.text_only:
        ids = build_text_set(args.scripts, args.out)
    else:
        ids = build_set(args.scripts, args.out, args.only)
    print(f"{len(ids)} calls in {args.out}")


if __name__ == "__main__":
    main()
