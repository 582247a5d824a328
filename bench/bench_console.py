"""Console speed on a large store: 100,000 calls (20 turns and 11 rule outcomes each) over
12 months, 200 agents in 20 teams, by default in SQLite.

Serves the console with uvicorn on loopback and measures, over several requests each, the
server time (the Server-Timing header the console sets) and the wall time of the queue,
call, scorecard and compliance pages, and the time to the first byte of an audio range
request; prints each median against its target as a ratio (< 1 is within target).

    .venv/bin/python bench/bench_console.py      # builds test-output/bench-console/console.db
    .venv/bin/python bench/bench_console.py --reuse      # measures an existing one
    .venv/bin/python bench/bench_console.py --store postgresql://...   # another database

At bank scale: bench/bulk_load.py builds ten million calls in a kept PostgreSQL cluster and
bench/bench_scorecards.py --root times one month's appraisal on it (which the scorecards
page then shows); ``--root`` here starts that cluster and measures it:

    .venv/bin/python bench/bench_console.py --root /work/pg10m
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGETS_MS = {
    "queue": 300,
    "queue_filtered": 300,
    "queue_search_rare": 300,
    "call": 300,
    "scorecards": 500,
    "compliance": 500,
    "compliance_month": 500,
    "audio_first_byte": 1000,
}
RULES = (
    ("greeting", False),
    ("identity_verification", True),
    ("risk_disclosure", False),
    ("customer_consent", True),
    ("result_confirmation", False),
    ("followup_commitment", False),
    ("complaint_apology", False),
    ("complaint_time_commitment", False),
    ("forbidden_language", True),
    ("closing", False),
    ("answer_time", False),
)
PHRASES = (
    "您好，华岳银行信用卡中心，很高兴为您服务。",
    "我的信用卡好像丢了，想挂失。",
    "请问您的身份证后四位是多少？",
    "好的，核实通过了。",
    "这个操作会收取手续费，您确认办理吗？",
    "确认，办吧。",
    "已经给您挂失成功了。",
    "还有其他什么可以帮您的吗？",
    "没有了，谢谢。",
    "感谢您的来电，再见。",
    "我要投诉，你们的服务太差了！",
    "非常抱歉给您带来不便。",
    "我们会在两个工作日内给您回复。",
    "转账限额是多少？",
    "您稍等，我帮您查一下。",
)
PASSWORD = "bench password 1"


def build(url: str, calls: int, audio: Path, seed: int = 7) -> None:
    from sqlalchemy import insert

    from console.auth import hash_password
    from storage.database import Store
    from storage.schema import (
        Agent,
        AgentScorecard,
        Call,
        CallScorecard,
        RuleOutcome,
        Team,
        Turn,
        User,
    )

    rng = random.Random(seed)
    store = Store(url)
    now = datetime(2026, 11, 1)
    months = [f"{2025 + (10 + m) // 12}-{(10 + m) % 12 + 1:02d}" for m in range(12)]
    teams = [f"t{t:02d}" for t in range(20)]
    agents = [(f"a{a:03d}", teams[a % 20]) for a in range(200)]
    write_tone(audio, 600)
    started = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(insert(Team), [{"id": t, "name": f"Team {t}"} for t in teams])
        conn.execute(
            insert(Agent), [{"id": a, "name": f"坐席{a}", "team_id": t} for a, t in agents]
        )
        conn.execute(
            insert(User),
            [
                {
                    "username": "qa",
                    "password_hash": hash_password(PASSWORD),
                    "role": "qa_lead",
                    "team_id": None,
                    "agent_id": None,
                    "active": True,
                    "created_at": now,
                }
            ],
        )
        cards = []
        for month in months:
            for a, _ in agents:
                total = rng.gauss(78, 8)
                cards.append(
                    {
                        "agent_id": a,
                        "period": month,
                        "kind": "month",
                        "calls": 40,
                        "business": total,
                        "service": total,
                        "compliance": total,
                        "total": total,
                        "meets_standard": total >= 70,
                        "rank": None,
                        "details": {},
                        "computed_at": now,
                    }
                )
        conn.execute(insert(AgentScorecard), cards)
    batch = 5000
    for first in range(0, calls, batch):
        rows_call, rows_turn, rows_rule, rows_card = [], [], [], []
        for n in range(first, min(first + batch, calls)):
            call_id = f"c{n:07d}"
            agent, team = agents[rng.randrange(len(agents))]
            month = months[n * len(months) // calls]
            start = datetime.fromisoformat(month + "-01") + timedelta(
                seconds=rng.randrange(27 * 86400)
            )
            failed = {r for r, _ in RULES if rng.random() < 0.06}
            severity = sum(1 for r, crit in RULES if crit and r in failed)
            score = max(0.0, min(100.0, rng.gauss(86, 7) - 12 * severity - 3 * len(failed)))
            flags = [f"critical rule failed: {r}" for r, c in RULES if c and r in failed]
            if score < 80:
                flags.append(f"score {score:.1f} below the pass mark 80")
            texts = [PHRASES[rng.randrange(len(PHRASES))] for _ in range(20)]
            rows_call.append(
                {
                    "id": call_id,
                    "agent_id": agent,
                    "team_id": team,
                    "started_at": start,
                    "month": month,
                    "duration_s": 200.0,
                    "language": "zh",
                    "source": "bench",
                    "source_version": "1",
                    "redacted_audio_key": audio.name,
                    "models": "bench",
                    "rule_pack": "bench",
                    "policy": "bench",
                    "score": round(score, 1),
                    "flagged": bool(flags),
                    "severity": severity,
                    "rules_applicable": 9,
                    "rules_passed": 9 - len(failed),
                    "reviewed": False,
                    "customer_end_sentiment": round(rng.uniform(-1, 1), 3),
                    "metrics": {},
                    "sentiment": {},
                    "search_text": "\n".join(texts),
                    "training_case": False,
                    "escalated": False,
                    "processed_at": now,
                    "language_breach": False,
                }
            )
            for i, text in enumerate(texts):
                rows_turn.append(
                    {
                        "call_id": call_id,
                        "index": i,
                        "speaker": "agent" if i % 2 == 0 else "customer",
                        "start": i * 10.0,
                        "end": i * 10.0 + 8,
                        "text": text,
                        "sentiment_label": "neutral",
                        "sentiment_score": round(rng.uniform(-1, 1), 2),
                    }
                )
            for rule, critical in RULES:
                outcome = (
                    "failed"
                    if rule in failed
                    else (
                        "not_applicable" if rule.startswith(("complaint", "followup")) else "passed"
                    )
                )
                rows_rule.append(
                    {
                        "call_id": call_id,
                        "rule_id": rule,
                        "outcome": outcome,
                        "critical": critical,
                        "reason": f"{rule}: {outcome}",
                        "evidence": [{"turn": 0, "start": 0.0, "end": 8.0, "text": texts[0][:4]}],
                        "month": month,
                        "team_id": team,
                        "agent_id": agent,
                    }
                )
            rows_card.append(
                {
                    "call_id": call_id,
                    "analysed_score": score,
                    "score": score,
                    "flags": flags,
                    "breakdown": {"pass_mark": 80},
                    "updated_at": now,
                }
            )
        with store.engine.begin() as conn:
            conn.execute(insert(Call), rows_call)
            conn.execute(insert(Turn), rows_turn)
            conn.execute(insert(RuleOutcome), rows_rule)
            conn.execute(insert(CallScorecard), rows_card)
        print(f"\r  {min(first + batch, calls):,} calls", end="", flush=True)
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
    print(f"\n  built in {time.perf_counter() - started:.0f} s")
    store.close()


def write_tone(path: Path, seconds: float, rate: int = 8000) -> None:
    import numpy as np
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.05 * np.sin(2 * np.pi * 440 * t)).astype("float32"), rate, subtype="PCM_16")


def serve(url: str, results: Path):  # type: ignore[no-untyped-def]
    import uvicorn

    from console import FolderAudio, create_app

    app = create_app(url, FolderAudio(results))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def measure(client, paths: list[str], repeat: int) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
    """The first request's server time (cold: nothing cached by the console), then the
    median and 95th percentile server time (Server-Timing) and the median wall time of the
    next ones, in ms. ``paths`` are taken in turn (one call page after another)."""
    server, wall = [], []
    first = client.get(paths[0])  # templates compiled, database pages cached, aggregates kept
    if first.status_code != 200:
        raise SystemExit(f"{paths[0]}: HTTP {first.status_code} {first.text[:200]}")
    cold = float(first.headers["server-timing"].split("dur=")[1])
    for n in range(repeat):
        path = paths[(n + 1) % len(paths)]
        t0 = time.perf_counter()
        r = client.get(path)
        wall.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path}: HTTP {r.status_code} {r.text[:200]}")
        server.append(float(r.headers["server-timing"].split("dur=")[1]))
    p95 = statistics.quantiles(server, n=20)[-1] if len(server) > 1 else server[0]
    return cold, statistics.median(server), p95, statistics.median(wall)


def store_facts(url: str, rng: random.Random, count: int) -> tuple[str, list[str]]:
    """The latest month with calls and ``count`` call ids drawn at random from the store."""
    from sqlalchemy import func, select

    from storage.database import Store
    from storage.schema import Call

    store = Store(url)
    with store.session() as s:
        latest = s.scalar(select(func.max(Call.month))) or ""
        last = s.scalar(select(func.max(Call.id))) or "c0"
        width = len(last) - 1
        top = int(last[1:])
        ids = [f"c{rng.randrange(top):0{width}d}" for _ in range(count)]
        found = set(s.scalars(select(Call.id).where(Call.id.in_(ids))))
    store.close()
    return latest, [i for i in ids if i in found]


def first_byte(client, path: str, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        with client.stream("GET", path, headers={"Range": f"bytes={i * 4096}-"}) as r:
            assert r.status_code == 206, r.status_code
            next(r.iter_raw())
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "test-output" / "bench-console")
    parser.add_argument("--store", help="database URL (default: SQLite in --out)")
    parser.add_argument("--reuse", action="store_true", help="measure an existing store")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--root", type=Path, help="the kept cluster of bench/bulk_load.py")
    args = parser.parse_args()
    if not args.root:
        measure_store(args)
        return
    from bulk_load import DATABASE, SETTINGS
    from pgcluster import PgCluster

    cluster = PgCluster(SETTINGS, root=args.root, locale="C.UTF-8", port=55432).start()
    args.store, args.reuse = cluster.url(DATABASE), True
    try:
        measure_store(args)
    finally:
        cluster.stop()


def measure_store(args: argparse.Namespace) -> None:
    import httpx

    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "console.db"
    url = args.store or f"sqlite:///{db}"
    audio = args.out / "results" / "bench-call.wav"
    if not args.reuse:
        if db.exists() and not args.store:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        print(f"building {args.calls:,} calls in {url}")
        build(url, args.calls, audio)
    if not audio.exists():
        write_tone(audio, 600)
    rng = random.Random(1)
    latest, call_ids = store_facts(url, rng, args.repeat + 2)
    server, base = serve(url, audio.parent)
    client = httpx.Client(base_url=base, headers={"Origin": base}, timeout=600)
    r = client.post("/api/session", json={"username": "qa", "password": PASSWORD})
    r.raise_for_status()
    pages = {
        "queue": ["/queue"],
        "queue_filtered": ["/queue?rule=customer_consent&sentiment=negative&q=挂失"],
        # a rare phrase (0.1 % of calls in bench/bulk_load.py): the search index's case
        "queue_search_rare": ["/queue?q=年费减免"],
        "call": [f"/calls/{i}" for i in call_ids[1:]],
        "scorecards": [f"/scorecards?period={latest}"],
        "compliance": ["/compliance"],
        "compliance_month": [f"/compliance?month_from={latest}&month_to={latest}&by=agent"],
    }
    print(f"\nlatest month {latest}; server time (Server-Timing) of {args.repeat} requests after")
    print("the first; 'first' is the first (cold: nothing cached by the console) request")
    print(
        f"{'page':<18}{'first ms':>10}{'p50 ms':>10}{'p95 ms':>10}{'wall p50':>10}"
        f"{'target':>8}{'p50/target':>11}"
    )
    for name, paths in pages.items():
        cold, p50, p95, wall_ms = measure(client, paths, args.repeat)
        target = TARGETS_MS[name]
        print(
            f"{name:<18}{cold:>10.1f}{p50:>10.1f}{p95:>10.1f}{wall_ms:>10.1f}{target:>8}"
            f"{p50 / target:>11.2f}"
        )
    ttfb = first_byte(client, f"/api/calls/{call_ids[0]}/audio", args.repeat)
    target = TARGETS_MS["audio_first_byte"]
    print(f"{'audio_first_byte':<18}{'':>10}{'':>10}{ttfb:>10.1f}{target:>8}{ttfb / target:>7.2f}")
    client.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
