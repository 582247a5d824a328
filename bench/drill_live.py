"""Live bad-input drill (issue 12, "Bad input"): the real ``callqa live ws://...`` server
(a subprocess, SQLite store, scratch ``--keep``) takes good calls and every kind of bad
stream at once, then one more good call to show it still takes calls.

    .venv/bin/python bench/drill_live.py                 # ~75 s on a shared 2-core machine
    .venv/bin/python bench/drill_live.py --speed 2 --work /tmp/dl   # keep store and audio

Good: 8 kHz evaluation recordings streamed at ``--speed`` x real time, then the end message.
Bad: dropped, silent past the idle timeout, random / text-file / MP3 bytes, half a sample,
a text message that is not the end, a per_party channel byte out of range, rate 44100, PCM
before metadata, malformed JSON, no call_id, a first message and an audio message over the
size limit, reasons in Chinese, one call_id on two connections, a client that sends nothing.
Counted from the store (storage.live) and the keep folder: good calls ended (alerts beside
the hand labels), bad ones closed with a reason, audio kept against bytes sent, lost,
doubled, server alive. Exits 1 if anything is lost, a good call failed or the server died.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RECORDINGS = Path(os.environ.get("CALLQA_EVAL_AUDIO", "/work/eval-audio")) / "recordings"
GOOD = (
    "ua13-card-cancel-annual-fee-rude",
    "ua46-duplicate-charge-brush-off",
    "ub33-transfer-arrival-agent-just-hangs",
    "ub24-pin-unlock-impatient-agent",
)
FINAL = "ub45-big-cash-refused-angry-customer"
SPEECH = "ua07-online-login-reset-result-try"  # its first seconds: mono speech for bad streams
MP3 = Path("/work/shared/data/real/faster-whisper/hotwords.mp3")
TEXT = ROOT / "README.md"
RATE = 8000
BLOCK_S = 0.25
NO_METADATA = ("pcm first", "connects, sends nothing")  # bad streams sent with no metadata


@dataclass
class Stream:
    """One connection: what the client sent and what the server told it."""

    name: str
    call_id: str | None  # the id in its metadata (None: a reject gets a generated one)
    expect: str  # "ended" | "closed" | "nothing" (no call: nothing was sent)
    channels: int = 1
    sent_bytes: int = 0  # PCM bytes the server could take as audio
    local_port: int | None = None
    close_code: int | None = None
    close_reason: str = ""
    error: str = ""
    rows: list[Any] = field(default_factory=list)  # live_calls rows found for it
    kept: list[tuple[str, float]] = field(default_factory=list)  # (file, seconds)
    alerts: list[str] = field(default_factory=list)
    labelled: list[str] = field(default_factory=list)  # live rules the hand labels fail

    @property
    def sent_s(self) -> float:
        return self.sent_bytes / (2 * self.channels * RATE)


def read_pcm(call: str, seconds: float | None = None) -> tuple[bytes, int]:
    with wave.open(str(RECORDINGS / f"{call}.wav")) as w:
        assert w.getframerate() == RATE and w.getsampwidth() == 2, call
        frames = w.getnframes() if seconds is None else int(seconds * RATE)
        return w.readframes(frames), w.getnchannels()


def meta(call_id: str, channels: int, **extra: object) -> str:
    return json.dumps(
        {"call_id": call_id, "agent_id": "A-drill", "sample_rate": RATE, "channels": channels}
        | extra
    )


async def _send_pcm(ws: Any, s: Stream, pcm: bytes, speed: float) -> None:
    step = int(BLOCK_S * RATE) * 2 * s.channels
    for i in range(0, len(pcm), step):
        await ws.send(pcm[i : i + step])
        s.sent_bytes += len(pcm[i : i + step])
        if speed > 0:
            await asyncio.sleep(BLOCK_S / speed)


async def run_stream(url: str, s: Stream, script: list[tuple[str, Any]], speed: float) -> None:
    """Plays ``script`` (("meta", text) ("pcm", bytes) ("raw", bytes) ("text", str)
    ("sleep", s) ("drop", None) ("end", None)), then waits for the server to close."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    try:
        async with connect(url, max_size=2**24, open_timeout=30) as ws:
            s.local_port = ws.local_address[1]
            try:
                for kind, value in script:
                    if kind in ("meta", "text", "raw"):  # raw: bytes that are not audio
                        await ws.send(value)
                    elif kind == "pcm":
                        await _send_pcm(ws, s, value, speed)
                    elif kind == "sleep":  # quiet, until the server closes at the latest
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(ws.wait_closed(), value)
                    elif kind == "end":
                        await ws.send(json.dumps({"type": "end"}))
                    elif kind == "drop":
                        await asyncio.sleep(0.5)  # let what was sent reach the server
                        ws.transport.abort()
                        return
                await asyncio.wait_for(ws.wait_closed(), 60)
            except ConnectionClosed:
                pass
            s.close_code = ws.close_code
            s.close_reason = ws.close_reason or ""
    except Exception as exc:  # the drill reports it; one stream must not stop the others
        s.error = f"{type(exc).__name__}: {exc}"


def streams() -> list[tuple[Stream, list[tuple[str, Any]]]]:
    rng = np.random.default_rng(12)
    plan: list[tuple[Stream, list[tuple[str, Any]]]] = []
    for call in GOOD:
        pcm, ch = read_pcm(call)
        script = [("meta", meta(call, ch)), ("pcm", pcm), ("end", None)]
        plan.append((Stream(f"good {call[:4]}", call, "ended", ch), script))
    speech, _ = read_pcm(SPEECH, 4.0)
    text = TEXT.read_bytes()
    text = (text * (1 + 40_000 // len(text)))[:40_000]
    half_s, one_s = speech[:8000], speech[:16000]
    no_id = json.dumps({"sample_rate": RATE, "channels": 1})
    huge = '{"call_id": "' + "h" * 5_000_000 + '"}'
    bad: list[tuple[str, int, list[tuple[str, Any]]]] = [
        ("dropped (no end)", 1, [("pcm", speech), ("drop", None)]),
        ("silent (idle)", 1, [("pcm", one_s), ("sleep", 60)]),
        ("random bytes", 1, [("pcm", half_s), ("pcm", rng.bytes(48_000))]),
        ("text file bytes", 1, [("pcm", text)]),
        ("mp3 file bytes", 1, [("pcm", MP3.read_bytes()[:48_000])]),
        ("half a sample", 1, [("pcm", one_s), ("raw", b"\x01\x02\x03")]),
        ("text not end", 1, [("pcm", one_s), ("text", "hello?"), ("pcm", speech)]),
        ("per_party ch 5", 2, [("raw", b"\x05" + half_s)]),
        ("rate 44100", 1, [("raw", half_s)]),
        ("pcm first", 1, [("raw", one_s), ("raw", speech[16000:32000])]),
        ("malformed json", 1, [("meta", '{"call_id": "x", sample_rate: 8000'), ("raw", half_s)]),
        ("no call_id", 1, [("meta", no_id), ("raw", half_s)]),
        ("huge first message", 1, [("meta", huge)]),
        ("garbage, 中文 call_id", 1, [("pcm", rng.bytes(24_000))]),
        ("text not end, 中文", 1, [("pcm", half_s), ("text", "喂" * 60)]),
        ("huge audio message", 1, [("pcm", half_s), ("raw", bytes(5_000_000))]),
        ("connects, sends nothing", 1, [("sleep", 60)]),
    ]
    for i, (name, ch, script) in enumerate(bad):
        expect = "nothing" if name == "connects, sends nothing" else "closed"
        call_id = f"drill-bad-{i:02d}" + ("-客户来电" * 5 if "中文" in name else "")
        first: list[tuple[str, Any]] = []
        if name == "rate 44100":
            first = [("meta", meta(call_id, ch, sample_rate=44100))]
        elif name == "per_party ch 5":
            first = [("meta", meta(call_id, ch, layout="per_party"))]
        elif not any(k == "meta" for k, _ in script) and name not in NO_METADATA:
            first = [("meta", meta(call_id, ch))]
        has_id = bool(first) and name != "rate 44100"
        plan.append((Stream(name, call_id if has_id else None, expect, ch), first + script))
    # one call_id on two connections, the second starting later and ending later (a
    # reconnect racing the old connection, or two calls given one id by mistake)
    dup, ch = read_pcm(GOOD[1], 12.0)
    for half, pcm, wait in (("a", dup[: len(dup) // 2], 0.0), ("b", dup, 1.0)):
        s = Stream(f"same call_id ({half})", "drill-dup", "ended", ch)
        steps: list[tuple[str, Any]] = [("sleep", wait), ("meta", meta("drill-dup", ch))]
        plan.append((s, [*steps, ("pcm", pcm), ("end", None)]))
    return plan


def label_failures(calls: list[Stream]) -> None:
    """Live rules the hand labels (labels.yaml) fail: shown beside the alerts, not judged."""
    import yaml

    from pipeline.analyze import load_rules

    labels_file = RECORDINGS.parent / "labels.yaml"
    if not labels_file.is_file():
        return
    live_ids = {rule.id for rule in load_rules()[0].live_rules}
    labels = yaml.safe_load(labels_file.read_text("utf-8"))
    calls_labels = labels.get("calls", labels) if isinstance(labels, dict) else {}
    for s in calls:
        outcomes = (calls_labels.get(s.call_id) or {}).get("outcomes", {})
        s.labelled = sorted(r for r, v in outcomes.items() if v == "failed" and r in live_ids)


def start_server(work: Path, port: int, idle: float, sentiment: bool) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "callqa.cli", "live", f"ws://127.0.0.1:{port}"]
    command += ["--store", f"sqlite:///{work / 'live.db'}", "--keep", str(work / "keep")]
    command += ["--idle-timeout", str(idle), "--json"]
    command += [] if sentiment else ["--no-sentiment"]
    env = {**os.environ, "CALLQA_DATA_DIR": str(work / "data"), "PYTHONPATH": str(ROOT)}
    out, err = (work / "server.out").open("w"), (work / "server.err").open("w")
    return subprocess.Popen(command, env=env, cwd=work, stdout=out, stderr=err, text=True)


def wait_listening(work: Path, server: subprocess.Popen[str], timeout: float = 300) -> bool:
    """For the server's "listening" line (a bare TCP probe logs a handshake traceback)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        if "listening for calls" in (work / "server.err").read_text():
            return True
        time.sleep(0.5)
    return False


def settle(store: Any, timeout: float = 120) -> None:
    """Until no live call is open (last chunks recognised) and rows stay put for a poll."""
    from storage.live import live_calls

    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        with store.session() as session:
            rows = live_calls(session, everything=True, limit=1000)
        state = sorted((r.id, r.close_reason) for r in rows)
        if state == last and all(not r.in_progress for r in rows):
            return
        last = state
        time.sleep(2)


def collect(store: Any, plan: list[Stream]) -> list[Any]:
    """Each stream's rows, kept audio and alerts; returns rows no stream accounts for."""
    from storage.live import alerts_of, live_calls
    from storage.live_schema import LiveCall

    with store.session() as session:
        rows = live_calls(session, everything=True, limit=1000)
        paths = {r.id: getattr(session.get(LiveCall, r.id), "recording_path", None) for r in rows}
        alerts: dict[str, list[str]] = {}
        for a in alerts_of(session, [r.id for r in rows]):
            alerts.setdefault(a.call_id, []).append(f"{a.rule_id}@{a.t:.0f}s")
    used: set[str] = set()
    for s in plan:
        mine = [
            r
            for r in rows
            # two connections naming one call are told apart by their connection alone
            if (r.id == s.call_id and not s.name.startswith("same"))
            or (s.local_port and r.source == f"ws:127.0.0.1:{s.local_port}")
        ]
        s.rows = mine
        used |= {r.id for r in mine}
        s.alerts = sorted({a for r in mine for a in alerts.get(r.id, [])})
        for r in mine:
            path = paths.get(r.id)
            if path and Path(path).is_file():
                s.kept.append((Path(path).name, _seconds(Path(path), s.channels)))
    return [r for r in rows if r.id not in used]


def _seconds(path: Path, channels: int) -> float:
    if path.suffix == ".wav":
        with wave.open(str(path)) as w:
            return w.getnframes() / w.getframerate()
    return path.stat().st_size / (2 * channels * RATE)  # raw bytes kept as they came


def verdict(s: Stream) -> str:
    """'' when the stream came out as the issue asks, else what went wrong."""
    reasons = [r.close_reason for r in s.rows]
    if s.expect == "nothing":
        return "" if not s.rows else f"a call for a stream that sent nothing: {reasons}"
    if not s.rows or any(r is None for r in reasons):
        return "LOST: no closed live call"
    if len(s.rows) > 1:
        return f"DOUBLED: {len(s.rows)} rows"
    if s.close_code == 1011:
        return "the server's handler failed (close 1011, no reason sent to the client)"
    if s.expect == "ended" and reasons != ["ended"]:
        return f"good call not ended: {reasons}"
    if s.expect == "closed" and "ended" in reasons:
        return "bad stream closed as ended"
    kept = sum(sec for _, sec in s.kept)
    if s.name.startswith("same"):
        if kept < s.sent_s - 0.01:
            return f"LOST: kept {kept:.1f} s of the {s.sent_s:.1f} s this stream sent"
        if kept > s.sent_s + 0.01:
            return f"MERGED: {kept:.1f} s kept for the {s.sent_s:.1f} s this stream sent"
        return ""
    sent = s.sent_s
    if sent > 0 and not s.kept:
        return f"LOST: {sent:.1f} s of audio received, none kept"
    if s.expect == "ended" and abs(kept - sent) > 0.01:
        return f"kept {kept:.2f} s of {sent:.2f} s sent"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", type=float, default=4.0, help="times real time (0: flat out)")
    parser.add_argument("--idle-timeout", type=float, default=3.0)
    parser.add_argument("--sentiment", action="store_true", help="load the sentiment model too")
    parser.add_argument("--work", type=Path, help="scratch folder kept afterwards")
    args = parser.parse_args(argv)
    needed = [*GOOD, FINAL, SPEECH]
    missing = [c for c in needed if not (RECORDINGS / f"{c}.wav").is_file()]
    if missing:
        parser.exit(
            2,
            f"{RECORDINGS}: the drill streams these WAV recordings, missing: {', '.join(missing)}"
            "\nmake them with: .venv/bin/python -m synth.eval_calls tests/data/eval_audio"
            f" {RECORDINGS.parent} --only {' '.join(dict.fromkeys(needed))}"
            " (or point CALLQA_EVAL_AUDIO at a folder that has them)\n",
        )
    with tempfile.TemporaryDirectory(prefix="callqa-drill-live-") as temp:
        work = (args.work or Path(temp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        return drill(work, args.speed, args.idle_timeout, args.sentiment)


def drill(work: Path, speed: float, idle: float, sentiment: bool) -> int:
    from storage.database import Store

    with socket.socket() as sock:  # a free port
        sock.bind(("127.0.0.1", 0))
        port, started = int(sock.getsockname()[1]), time.perf_counter()
    url = f"ws://127.0.0.1:{port}"
    server = start_server(work, port, idle, sentiment)
    if not wait_listening(work, server):
        print("server never listened:\n" + (work / "server.err").read_text()[-3000:])
        return 1
    print(f"callqa live listening after {time.perf_counter() - started:.0f} s on {url}")
    plan = streams()

    async def all_streams() -> None:
        await asyncio.gather(*(run_stream(url, s, script, speed) for s, script in plan))

    t0 = time.perf_counter()
    asyncio.run(all_streams())  # then one more good call: does the server still take calls?
    final_pcm, ch = read_pcm(FINAL, 10.0)
    final = Stream("final good (alive?)", "drill-final", "ended", ch)
    script = [("meta", meta("drill-final", ch)), ("pcm", final_pcm), ("end", None)]
    asyncio.run(run_stream(url, final, script, speed))
    plan_streams = [s for s, _ in plan] + [final]
    store = Store(f"sqlite:///{work / 'live.db'}")
    settle(store)
    streamed_s = time.perf_counter() - t0
    alive = server.poll() is None
    strays = collect(store, plan_streams)
    server.send_signal(signal.SIGINT)
    try:
        exit_code: int | None = server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        exit_code = None
    label_failures([s for s in plan_streams if s.call_id in GOOD])
    report(plan_streams, strays)
    good = [s for s in plan_streams if s.expect == "ended" and not s.name.startswith("same")]
    bad = [s for s in plan_streams if s not in good]
    failures = {s.name: verdict(s) for s in plan_streams}
    lost, doubled, merged = (
        [n for n, v in failures.items() if v.startswith(k)] for k in ("LOST", "DOUBLED", "MERGED")
    )
    good_failed = [s.name for s in good if failures[s.name]]
    closed = [s for s in bad if s.rows and all(r.close_reason for r in s.rows)]
    kept = [s for s in plan_streams if s.kept]
    final_ok = not failures[final.name] and final.close_code == 1000
    print(
        f"\nstreams {len(plan_streams)} in {streamed_s:.0f} s (speed {speed:g}x, idle timeout"
        f" {idle:g} s) | good completed {len(good) - len(good_failed)}/{len(good)} | bad closed"
        f" with a reason {len(closed)}/{sum(1 for s in bad if s.expect != 'nothing')} | audio"
        f" kept {len(kept)} | lost {len(lost)} | doubled {len(doubled)} | merged {len(merged)}"
        f" | not as expected {sum(1 for v in failures.values() if v)} | rows no stream"
        f" accounts for {len(strays)}"
        f" | server alive {alive and final_ok} (exit on SIGINT {exit_code})"
    )
    for name, problem in failures.items():
        if problem:
            print(f"  {name}: {problem}")
    print(f"machine: load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared)")
    return 1 if lost or good_failed or not (alive and final_ok) else 0


def report(plan: list[Stream], strays: list[Any]) -> None:
    print(f"{'stream':24} {'sent s':>6} {'kept':28} {'ws close':9} reason (store) / alerts")
    for s in plan:
        kept = ", ".join(f"{n[:18]} {sec:.1f}s" for n, sec in s.kept) or "-"
        code = str(s.close_code or "") + (" ERR" if s.error else "")
        reasons = "; ".join(f"{r.id[:20]}: {r.close_reason}" for r in s.rows) or "(no live call)"
        print(f"{s.name:24} {s.sent_s:6.1f} {kept:28} {code:9} {reasons[:150]}")
        if s.alerts or s.labelled:
            alerts = ", ".join(s.alerts) or "none"
            print(f"{'':24} alerts: {alerts} | labels fail: {', '.join(s.labelled) or 'none'}")
        if s.error:
            print(f"{'':24} client: {s.error[:120]}")
    for r in strays:
        print(f"row no stream accounts for: {r.id} {r.source} {r.close_reason}")


if __name__ == "__main__":
    sys.exit(main())
