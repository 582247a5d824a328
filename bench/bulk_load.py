"""A bank-scale store in a kept PostgreSQL cluster, loaded in bulk with COPY.

N calls (default 10,000,000) over the 12 months 2025-11 .. 2026-10, 2,000 agents in 100
teams; per call 11 rule outcomes (some failed, some sent to review, reviewed ones
overturned or confirmed by a QA review), 10 turns of Chinese transcript (also in
``calls.search_text``, as the pipeline stores it), a call scorecard; 0.1 % of calls mention
a rare phrase so that a selective search has something to find.

The schema is the product's own: ``storage.database.Store`` runs the migrations. Before
loading, every secondary index and foreign key is dropped (only the calls' primary key
stays: it tells a resumed load where it stopped); after loading they are rebuilt from a
reference database migrated to head, so an index added to a migration later is built by
running this again. Each chunk of calls is one transaction: an interrupted load resumes at
the first missing chunk. Nothing is generated when the store already holds N calls.

    .venv/bin/python bench/bulk_load.py --root /work/pg10m --calls 10000000
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_console import PHRASES as CONSOLE_PHRASES  # noqa: E402
from bench_console import RULES  # noqa: E402
from pgcluster import PgCluster  # noqa: E402

DATABASE = "callqa"
PASSWORD = "bench password 1"
MONTHS = [f"{2025 + (10 + m) // 12}-{(10 + m) % 12 + 1:02d}" for m in range(12)]
TEAMS = [f"t{t:03d}" for t in range(100)]
AGENTS = [(f"a{a:04d}", TEAMS[a % 100]) for a in range(2000)]
CHUNK = 100_000
TURNS = 10
PHRASES = (
    *CONSOLE_PHRASES,
    "我想办理账单分期。",
    "分期的利率是每期百分之零点六。",
    "这个理财产品有风险，收益不保证。",
    "我的额度能不能提高一点？",
    "您的还款日是每月二十五号。",
    "境外消费需要开通吗？",
    "密码连续输错被锁了怎么办？",
    "请您到柜台办理解锁。",
    "积分可以兑换里程吗？",
)
RARE_PHRASE = "年费减免申请已提交。"  # in 0.1 % of calls: what a selective search finds
CALL_COLUMNS = (
    "id", "agent_id", "team_id", "started_at", "month", "customer_ref", "channel_layout",
    "ring_time_s", "duration_s", "language", "source", "source_version", "transcript_key",
    "analysis_key", "redacted_audio_key", "models", "rule_pack", "policy", "score", "flagged",
    "severity", "rules_applicable", "rules_passed", "enquiry_answered", "reviewed",
    "customer_end_sentiment", "agent_negative_share", "language_breach", "answer_time_s",
    "response_latency_p90_s", "metrics", "sentiment", "search_text", "training_case",
    "escalated", "processed_at",
)  # fmt: skip
RULE_COLUMNS = (
    "call_id", "rule_id", "outcome", "confidence", "leaning", "reviewed_outcome", "critical",
    "tags", "reason", "evidence", "month", "team_id", "agent_id",
)  # fmt: skip
TURN_COLUMNS = (
    "call_id", "index", "speaker", "start", "end", "text", "sentiment_label", "sentiment_score",
)  # fmt: skip
CARD_COLUMNS = ("call_id", "analysed_score", "score", "breakdown", "flags", "updated_at")
REVIEW_COLUMNS = ("call_id", "rule_id", "verdict", "outcome", "reviewer", "comment", "created_at")
NOW = "2026-11-01 00:00:00"
SETTINGS = {
    # a benchmark cluster, rebuilt from the generator if lost: durability buys nothing
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "30min",
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "maintenance_work_mem": "2GB",
    "work_mem": "64MB",
    "random_page_cost": "1.1",
    "max_parallel_maintenance_workers": "2",
    "max_parallel_workers_per_gather": "2",
}


def _esc(text: str) -> str:
    """A value in COPY's text format."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def chunk_rows(first: int, count: int, total: int, seed: int) -> dict[str, io.StringIO]:
    """COPY text for calls ``first`` .. ``first + count - 1``: the same for the same seed."""
    rng = random.Random(seed * 1_000_003 + first)
    out = {t: io.StringIO() for t in ("calls", "rules", "turns", "cards", "reviews")}
    calls, rules, turns = out["calls"].write, out["rules"].write, out["turns"].write
    cards, reviews = out["cards"].write, out["reviews"].write
    for n in range(first, first + count):
        call_id = f"c{n:08d}"
        agent, team = AGENTS[rng.randrange(len(AGENTS))]
        month = MONTHS[n * len(MONTHS) // total]
        start = datetime.fromisoformat(month + "-01") + timedelta(seconds=rng.randrange(28 * 86400))
        failed = {r for r, _ in RULES if rng.random() < 0.05}
        to_review = {r for r, _ in RULES if r not in failed and rng.random() < 0.004}
        reviewed = rng.random() < 0.02
        severity = sum(1 for r, crit in RULES if crit and r in failed)
        score = max(0.0, min(100.0, rng.gauss(86, 7) - 12 * severity - 3 * len(failed)))
        flags = [f"critical rule failed: {r}" for r, c in RULES if c and r in failed]
        if score < 80:
            flags.append(f"score {score:.1f} below the pass mark 80")
        texts = [PHRASES[rng.randrange(len(PHRASES))] for _ in range(TURNS)]
        if rng.random() < 0.001:
            texts[rng.randrange(TURNS)] = RARE_PHRASE
        sentiment = rng.uniform(-1, 1)
        applicable = sum(1 for r, _ in RULES if not r.startswith(("complaint", "followup")))
        calls(
            f"{call_id}\t{agent}\t{team}\t{start}\t{month}\t\\N\tstereo\t{rng.uniform(1, 9):.1f}"
            f"\t{rng.uniform(60, 600):.1f}\tzh\tbank/{call_id}.wav\tv1\t\\N\t\\N"
            f"\tbench-call.wav\tbench\tbench\tbench\t{score:.1f}\t{'t' if flags else 'f'}"
            f"\t{severity}\t{applicable}\t{applicable - len(failed)}\t\\N"
            f"\t{'t' if reviewed else 'f'}\t{sentiment:.3f}\t{rng.uniform(0, 0.5):.2f}\tf"
            f"\t{rng.uniform(0.5, 9):.1f}\t{rng.uniform(1, 5):.1f}\t{{}}\t{{}}"
            f"\t{_esc(chr(10).join(texts))}\tf\tf\t{NOW}\n"
        )
        for i, text in enumerate(texts):
            turns(
                f"{call_id}\t{i}\t{'agent' if i % 2 == 0 else 'customer'}\t{i * 10.0}"
                f"\t{i * 10.0 + 8}\t{text}\tneutral\t{rng.uniform(-1, 1):.2f}\n"
            )
        for rule, critical in RULES:
            if rule in failed:
                outcome = "failed"
            elif rule in to_review:
                outcome = "needs_review"
            elif rule.startswith(("complaint", "followup")):
                outcome = "not_applicable"
            else:
                outcome = "passed"
            settled = "\\N"
            if reviewed and outcome in ("failed", "needs_review"):
                settled = "passed" if rng.random() < 0.3 else "failed"
                verdict = "overturned" if settled != outcome else "confirmed"
                reviews(f"{call_id}\t{rule}\t{verdict}\t{settled}\tqa\t\t{NOW}\n")
            evidence = (
                f'[{{"turn": 0, "start": 0.0, "end": 8.0, "text": "{texts[0][:6]}"}}]'
                if outcome in ("failed", "needs_review")
                else "[]"
            )
            rules(
                f"{call_id}\t{rule}\t{outcome}\t{rng.uniform(0.5, 1):.2f}\t\\N\t{settled}"
                f"\t{'t' if critical else 'f'}\t[]\t{rule}: {outcome}\t{evidence}"
                f"\t{month}\t{team}\t{agent}\n"
            )
        flag_json = "[" + ", ".join(f'"{f}"' for f in flags) + "]"
        cards(f'{call_id}\t{score:.1f}\t{score:.1f}\t{{"pass_mark": 80}}\t{flag_json}\t{NOW}\n')
    return out


def _constraints_and_indexes(conn) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    """(kind, table, name, definition) of every foreign key and secondary index, the calls'
    primary key aside: what the load drops and rebuilds."""
    found: list[tuple[str, str, str, str]] = []
    for table, name, definition in conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype IN ('f', 'p', 'u') AND connamespace = 'public'::regnamespace"
        " ORDER BY contype DESC"  # primary and unique keys before the foreign keys needing them
    ):
        if name != "pk_calls" and table != "alembic_version":
            found.append(("constraint", table, name, definition))
    for table, name, definition in conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
    ):
        found.append(("index", table, name, definition))
    return found


def _drop(conn, items: list[tuple[str, str, str, str]]) -> None:  # type: ignore[no-untyped-def]
    for kind, table, name, _ in sorted(items, key=lambda x: x[3].startswith("FOREIGN"),
                                       reverse=True):  # fmt: skip
        if kind == "constraint":
            conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}" CASCADE')
        else:
            conn.execute(f'DROP INDEX IF EXISTS "{name}"')


def _build(conn, items: list[tuple[str, str, str, str]]) -> None:  # type: ignore[no-untyped-def]
    have = {r[0] for r in conn.execute("SELECT conname FROM pg_constraint")} | {
        r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")
    }
    for kind, table, name, definition in items:
        if name in have:
            continue
        started = time.perf_counter()
        if kind == "constraint":
            conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        else:
            conn.execute(definition)
        print(f"  {name}: {time.perf_counter() - started:.0f} s", flush=True)


def _copy(conn, table: str, columns: tuple[str, ...], data: io.StringIO) -> None:  # type: ignore[no-untyped-def]
    names = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        copy.write(data.getvalue())


def _static_rows(conn) -> None:  # type: ignore[no-untyped-def]
    from console.auth import hash_password

    conn.execute("DELETE FROM users WHERE username = 'qa'")
    conn.execute("INSERT INTO teams (id, name) SELECT unnest(%s::text[]), 'Team'", (TEAMS,))
    conn.execute(
        "INSERT INTO agents (id, name, team_id) SELECT a, '坐席' || a, t"
        " FROM unnest(%s::text[], %s::text[]) AS x(a, t)",
        ([a for a, _ in AGENTS], [t for _, t in AGENTS]),
    )
    conn.execute(
        "INSERT INTO users (username, password_hash, role, active, created_at)"
        " VALUES ('qa', %s, 'qa_lead', true, %s)",
        (hash_password(PASSWORD), NOW),
    )


def _migration_0006() -> Any:
    path = ROOT / "storage" / "migrations" / "versions" / "0006_search_indexes.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _count_outcomes(conn, url: str) -> None:  # type: ignore[no-untyped-def]
    """``adherence_counts`` as migration 0006 makes it: created if this store predates it,
    filled from every outcome in one GROUP BY, then its trigger (off while loading)."""
    from sqlalchemy import create_engine

    from storage.scale_schema import AdherenceCount

    migration = _migration_0006()
    engine = create_engine(url)
    AdherenceCount.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
    engine.dispose()
    started = time.perf_counter()
    conn.execute("DROP TRIGGER IF EXISTS adherence_counts_keep ON rule_results")
    conn.execute("TRUNCATE adherence_counts")
    conn.execute(migration.BACKFILL)
    for statement in migration.counting_triggers("postgresql"):
        conn.execute(statement)
    print(f"  adherence_counts: {time.perf_counter() - started:.0f} s", flush=True)


def _add_new_tables(url: str) -> None:
    """Tables a migration added since this store was made (its own version is already at
    the head it had), so that it holds every table the console may read."""
    from sqlalchemy import create_engine, inspect

    from storage.schema import Base

    engine = create_engine(url)
    try:
        have = set(inspect(engine).get_table_names())
        missing = [t for name, t in Base.metadata.tables.items() if name not in have]
        Base.metadata.create_all(engine, tables=missing)
    finally:
        engine.dispose()


def _reference_schema(cluster: PgCluster) -> list[tuple[str, str, str, str]]:
    """The keys and indexes of a database migrated to head now (made afresh each run, so
    that an index changed in a migration since the load started is what gets built)."""
    import psycopg

    from storage.database import Store

    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS schema_reference")
    Store(cluster.create_database("schema_reference")).close()
    with psycopg.connect(cluster.dsn("schema_reference"), autocommit=True) as ref:
        return _constraints_and_indexes(ref)


def load(cluster: PgCluster, total: int, upto: int | None = None, seed: int = 7) -> str:
    """Brings the store to ``upto`` (default ``total``) of the ``total`` calls laid out over
    the year, with every key and index of the current schema built; returns its URL."""
    import psycopg

    from storage.database import Store

    url = cluster.create_database(DATABASE, exist_ok=True)
    Store(url).close()  # the product's schema, by its migrations
    wanted = _reference_schema(cluster)
    upto = min(upto or total, total)
    with psycopg.connect(cluster.dsn(DATABASE), autocommit=True) as conn:
        done_id = conn.execute("SELECT max(id) FROM calls").fetchone()[0]  # type: ignore[index]
        done = int(done_id[1:]) + 1 if done_id else 0
        if done < upto:
            if done == 0:
                _static_rows(conn)
            _drop(conn, _constraints_and_indexes(conn))
            if conn.execute("SELECT to_regclass('adherence_counts')").fetchone()[0]:
                # counted in one pass after loading, not row by row while loading
                conn.execute("DROP TRIGGER IF EXISTS adherence_counts_keep ON rule_results")
            started = time.perf_counter()
            print(f"loading calls {done:,} .. {upto:,} in chunks of {CHUNK:,}", flush=True)
            for first in range(done, upto, CHUNK):
                count = min(CHUNK, upto - first)
                data = chunk_rows(first, count, total, seed)
                with conn.transaction():
                    _copy(conn, "calls", CALL_COLUMNS, data["calls"])
                    _copy(conn, "rule_results", RULE_COLUMNS, data["rules"])
                    _copy(conn, "turns", TURN_COLUMNS, data["turns"])
                    _copy(conn, "call_scorecards", CARD_COLUMNS, data["cards"])
                    _copy(conn, "qa_reviews", REVIEW_COLUMNS, data["reviews"])
                rate = (first + count - done) / (time.perf_counter() - started)
                print(
                    f"  {first + count:,} calls  {rate:,.0f} calls/s  "
                    f"eta {(upto - first - count) / rate / 60:.0f} min",
                    flush=True,
                )
            print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        print("building keys and indexes", flush=True)
        trigger = conn.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = 'adherence_counts_keep'"
        ).fetchone()
        if done < upto or trigger is None:
            _count_outcomes(conn, url)
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        _add_new_tables(url)
        names = {name for _, _, name, _ in wanted}
        _drop(conn, [i for i in _constraints_and_indexes(conn) if i[2] not in names])
        _build(conn, wanted)
        conn.execute("VACUUM ANALYZE")
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", (DATABASE,)).fetchone()
        print(f"database size {size[0] if size else '?'}", flush=True)  # type: ignore[index]
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/work/pg10m"), help="cluster folder")
    parser.add_argument("--calls", type=int, default=10_000_000, help="the year's calls")
    parser.add_argument(
        "--upto", type=int, help="load only the first N of them (the earliest months)"
    )
    parser.add_argument("--port", type=int, default=55432)
    args = parser.parse_args()
    cluster = PgCluster(SETTINGS, root=args.root, locale="C.UTF-8", port=args.port).start()
    try:
        load(cluster, args.calls, args.upto)
        print(f"store: {cluster.url(DATABASE)}")
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
