"""The live path's numbers (issue 12), each printed with the machine's load.

    .venv/bin/python bench/bench_live.py rules      # live vs batch rules, transcripts only
    .venv/bin/python bench/bench_live.py audio  [--limit N]   # live vs batch on eval audio
    .venv/bin/python bench/bench_live.py latency [--calls 4 --rounds 2]
    .venv/bin/python bench/bench_live.py capacity [--seconds 120]

``rules``: every call of the dev set (tests/data/eval) and of the evaluation audio's
reference transcripts fed segment by segment through the live call code (redaction,
roles, the rolling transcript, once-per-call alerts), compared with the batch engine on the
whole transcript: does a live rule alert exactly when batch says ``failed``?

``audio``: the evaluation recordings (/work/eval-audio, `python -m synth.eval_calls`)
replayed flat out through the real engine (Whisper, beam 1), alerts compared with batch
outcomes of the same rules on the batch transcripts (asr/ cache, beam 5) and with the
hand labels.

``latency``: ``--calls`` evaluation calls in which batch finds forbidden language streamed
at once in real time; for each forbidden-language alert, the delay from the end of the
phrase (its words' end, call time) to the alert; and each call's worst lag (audio arrival
to recognition done: a call falls behind real time when this keeps growing).

``capacity``: recognition CPU seconds per second of call (both channels, 1 thread):
one core sustains 1 / that many calls at once. CPU time, not wall time, so other
processes on a shared machine distort it little.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EVAL_AUDIO = Path(os.environ.get("CALLQA_EVAL_AUDIO", "/work/eval-audio"))
DEV_SET = ROOT / "tests" / "data" / "eval"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def _pack():  # type: ignore[no-untyped-def]
    from pipeline.analyze import load_rules

    return load_rules()[0]


def _batch_failed(transcript, pack) -> set[str]:  # type: ignore[no-untyped-def]
    """Live rules the batch path fails on the whole (redacted) transcript."""
    from pipeline.live.live_rules import live_pack
    from pipeline.redact import redact_transcript
    from rules.engine import evaluate

    redacted = redact_transcript(transcript)[0]
    return {r.id for r in evaluate(redacted, live_pack(pack)) if r.outcome == "failed"}


def _live_alerts_from_transcript(transcript, pack) -> set[str]:  # type: ignore[no-untyped-def]
    """The transcript's turns fed one by one, as recognised segments, through the live
    call code (no recognition): which live rules alert."""
    import numpy as np

    from pipeline.live.call import LiveCall
    from pipeline.live.endpoint import Chunk, EndpointOptions
    from pipeline.live.events import Alert, CallMeta
    from pipeline.live.live_rules import LiveRules, live_pack
    from pipeline.transcribe import ChannelTranscript, Segment

    agent = transcript.roles.agent if transcript.roles else None
    channel_of = {"agent": 0, "customer": 1}
    meta = CallMeta(transcript.call_id, channels=2, agent_channel=0 if agent else None)
    call = LiveCall(meta, "bench", LiveRules(live_pack(pack)), EndpointOptions(), "reference")
    fired: set[str] = set()
    for turn in transcript.turns:
        channel = turn.channel if turn.channel is not None else channel_of[turn.speaker]
        if agent is not None and turn.channel is not None:
            channel = 0 if f"ch{turn.channel}" == agent else 1
        seg = Segment(turn.start, turn.end, turn.text, (), 0.0, 0.0)
        call.pending += 1
        call.endpoints[channel].base = int(turn.end * 16000)  # call time reached
        chunk = Chunk(channel, 0.0, np.zeros(0, np.float32), turn.end)
        text = ChannelTranscript(channel, (seg,), "zh", 1.0, turn.end)
        fired |= {e.rule for e in call.recognised(chunk, text) if isinstance(e, Alert)}
    fired |= {e.rule for e in call.finished() if isinstance(e, Alert)}  # the call ends
    return fired


def _agreement(rows: list[tuple[str, set[str], set[str]]], rules: list[str]) -> None:
    total = agree = 0
    for rule in rules:
        tp = sum(rule in live and rule in batch for _, live, batch in rows)
        fp = sum(rule in live and rule not in batch for _, live, batch in rows)
        fn = sum(rule not in live and rule in batch for _, live, batch in rows)
        same = len(rows) - fp - fn
        total += len(rows)
        agree += same
        print(
            f"  {rule:24s} agree {same}/{len(rows)}  (both {tp}, live only {fp}, batch only {fn})"
        )
    print(f"  overall agreement {agree}/{total} = {agree / max(total, 1):.3f}")
    for call_id, live, batch in rows:
        if live != batch:
            print(f"    {call_id}: live {sorted(live)} batch {sorted(batch)}")


def cmd_rules(_args: argparse.Namespace) -> None:
    from core.transcript import Transcript

    pack = _pack()
    rules = [r.id for r in pack.live_rules]
    for name, folder in (("dev set", DEV_SET / "calls"), ("eval audio refs", EVAL_AUDIO / "calls")):
        rows = []
        for path in sorted(folder.glob("*.json")):
            transcript = Transcript.read(path)
            rows.append(
                (
                    transcript.call_id,
                    _live_alerts_from_transcript(transcript, pack),
                    _batch_failed(transcript, pack),
                )
            )
        print(f"{name}: {len(rows)} calls, live rules fed turn by turn vs batch ({_load()})")
        _agreement(rows, rules)


def _engine(hook, threads: int = 2, keep: Path | None = None):  # type: ignore[no-untyped-def]
    import tempfile

    from models.whisper import WhisperConfig, load_whisper
    from pipeline.live import LiveEngine, LiveOptions

    keep = keep or Path(tempfile.mkdtemp(prefix="bench-live-"))
    whisper = load_whisper(WhisperConfig(cpu_threads=threads))
    return LiveEngine(whisper, _pack(), LiveOptions(keep_dir=keep), hook=hook).start()


def _asr_dir() -> Path:
    """The batch transcripts of the evaluation audio (the fullest cache folder)."""
    folders = [f for f in (EVAL_AUDIO / "asr").iterdir() if f.is_dir()]
    return max(folders, key=lambda f: len(list(f.glob("*.json"))))


def _stereo_calls() -> list[Path]:
    import yaml

    labels = yaml.safe_load((EVAL_AUDIO / "labels.yaml").read_text(encoding="utf-8"))["calls"]
    out = []
    for path in sorted((EVAL_AUDIO / "recordings").iterdir()):
        if path.name.endswith(".meta.json"):
            continue
        if labels.get(path.stem, {}).get("metadata", {}).get("layout") == "stereo":
            out.append(path)
    return out


def cmd_audio(args: argparse.Namespace) -> None:
    import yaml

    from core.transcript import Transcript
    from pipeline.live.events import Alert, LiveEvent
    from pipeline.live.sources import replay

    pack = _pack()
    rules = [r.id for r in pack.live_rules]
    labels = yaml.safe_load((EVAL_AUDIO / "labels.yaml").read_text(encoding="utf-8"))["calls"]
    asr = _asr_dir()
    alerts: dict[str, set[str]] = {}

    def hook(event: LiveEvent) -> None:
        if isinstance(event, Alert):
            alerts.setdefault(event.call_id, set()).add(event.rule)

    engine = _engine(hook)
    calls = _stereo_calls()[args.offset :]
    calls = calls[: args.limit] if args.limit else calls
    started = time.monotonic()
    for path in calls:
        call_id = replay(engine, path, speed=0)
        engine.wait_closed(call_id, timeout=3600)
    engine.stop()
    rows, truth = [], []
    for path in calls:
        live = alerts.get(path.stem, set()) & set(rules)
        batch = _batch_failed(Transcript.read(asr / f"{path.stem}.json"), pack)
        labelled = {r for r in rules if labels[path.stem]["outcomes"].get(r) == "failed"}
        rows.append((path.stem, live, batch))
        truth.append((path.stem, live, labelled))
    print(
        f"eval audio: {len(calls)} stereo calls replayed in {time.monotonic() - started:.0f} s"
        f" ({_load()})"
    )
    print(" live alerts vs batch outcomes (batch transcripts, same rules):")
    _agreement(rows, rules)
    print(" live alerts vs hand labels:")
    _agreement(truth, rules)


def cmd_latency(args: argparse.Namespace) -> None:
    from core.transcript import Transcript
    from pipeline.live.events import Alert, CallClosed, LiveEvent
    from pipeline.live.sources import replay

    pack = _pack()
    forbidden = pack.rules[[r.tags for r in pack.rules].index(("language_breach",))].id
    asr = _asr_dir()
    candidates = [
        p
        for p in _stereo_calls()
        if forbidden in _batch_failed(Transcript.read(asr / f"{p.stem}.json"), pack)
    ]
    arrivals: dict[str, float] = {}
    closed: dict[str, CallClosed] = {}
    alerts: list[tuple[Alert, float]] = []

    def hook(event: LiveEvent) -> None:
        if isinstance(event, Alert):
            alerts.append((event, time.monotonic()))
        elif isinstance(event, CallClosed):
            closed[event.call_id] = event
            arrivals[event.call_id] = time.monotonic()

    engine = _engine(hook)
    delays, lags, tails = [], [], []
    print(f"before: {_load()}")
    for r in range(args.rounds):
        batch = candidates[r * args.calls : (r + 1) * args.calls]
        if len(batch) < args.calls:
            break
        started: dict[str, float] = {}

        def go(p: Path, started: dict[str, float] = started) -> None:
            def first_audio(call_id: str) -> None:
                started[call_id] = time.monotonic()

            replay(engine, p, speed=1.0, on_start=first_audio)
            started[p.stem + ":fed"] = time.monotonic()

        threads = [threading.Thread(target=go, args=(path,)) for path in batch]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for path in batch:
            engine.wait_closed(path.stem, timeout=600)
            lags.append(closed[path.stem].max_lag_s)
            tails.append(arrivals[path.stem] - started[path.stem + ":fed"])
        for alert, at in alerts:
            if alert.rule == forbidden and alert.call_id in started:
                delays.append(at - (started[alert.call_id] + alert.t))
        alerts.clear()
        print(f"round {r + 1}: {[p.stem for p in batch]} ({_load()})")
    engine.stop()
    delays.sort()
    if delays:
        p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
        print(
            f"forbidden-language alert delay after the phrase ends, {len(delays)} alerts:"
            f" median {statistics.median(delays):.2f} s, p95 {p95:.2f} s, max {delays[-1]:.2f} s"
        )
        print(f"  all: {[round(d, 2) for d in delays]}")
    print(
        f"worst lag per call (audio in -> recognised): median {statistics.median(lags):.2f} s,"
        f" max {max(lags):.2f} s; close after last audio: max {max(tails):.2f} s"
    )
    print(f"after: {_load()}")


def cmd_capacity(args: argparse.Namespace) -> None:
    """Packing on and off side by side: the same calls through each, one at a time,
    alternating which goes first; CPU seconds per second of call for each."""
    import dataclasses

    from pipeline.live.sources import replay

    packed = _engine(lambda _e: None, threads=1)
    single = _engine(lambda _e: None, threads=1)
    single.options = dataclasses.replace(single.options, pack_chunks=False)
    calls = _stereo_calls()
    for engine in (packed, single):  # warm up: model, pack compiled; not counted
        replay(engine, calls[0], speed=0)
        engine.wait_closed(calls[0].stem, timeout=600)
    cpu = {"packed": 0.0, "single": 0.0}
    seconds = 0.0
    for i, path in enumerate(calls[1:]):
        order = [("packed", packed), ("single", single)]
        for name, engine in order if i % 2 == 0 else order[::-1]:
            before = resource.getrusage(resource.RUSAGE_SELF)
            call_id = replay(engine, path, speed=0, call_id=f"{path.stem}-{name}")
            done = engine.wait_closed(call_id, timeout=1800)
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu[name] += after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        seconds += done.duration_s if done else 0.0
        if seconds >= args.seconds:
            break
    for engine in (packed, single):
        engine.stop()
    print(f"{seconds:.0f} s of stereo calls, flat out, whisper 1 thread, beam 1 ({_load()}):")
    for name in ("packed", "single"):
        per = cpu[name] / seconds
        print(
            f"  {name:7s} {cpu[name]:6.0f} CPU s, {per:.3f} CPU s per call second"
            f" -> one core sustains {1 / per:.1f} calls"
        )
    print(f"  ratio single/packed CPU: {cpu['single'] / cpu['packed']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("rules")
    audio = sub.add_parser("audio")
    audio.add_argument("--limit", type=int, default=0)
    audio.add_argument("--offset", type=int, default=0)
    latency = sub.add_parser("latency")
    latency.add_argument("--calls", type=int, default=4)
    latency.add_argument("--rounds", type=int, default=2)
    capacity = sub.add_parser("capacity")
    capacity.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    {"rules": cmd_rules, "audio": cmd_audio, "latency": cmd_latency, "capacity": cmd_capacity}[
        args.cmd
    ](args)


if __name__ == "__main__":
    main()
