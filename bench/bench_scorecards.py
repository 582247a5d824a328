"""Appraisal at scale: monthly scorecards over a million calls in a private PostgreSQL.

Generates 500 agents in 25 teams and N calls (default 1,000,000) over the 12 months of 2025
server-side (INSERT ... SELECT over generate_series: no row crosses the wire), with each
agent's skill shaping their calls' denormalised columns, plus QA reviews (2 %) and
surveys (5 %). Then times:

1. every agent's monthly scorecard for one month, and for all 12 months;
2. reading one agent's scorecard (median of 100 reads, each in its own session);

and prints each against its target as a ratio (target / measured: above 1 is within it).

    .venv/bin/python bench/bench_scorecards.py            # full size
    .venv/bin/python bench/bench_scorecards.py --calls 50000
    .venv/bin/python bench/bench_scorecards.py --root /work/pg10m   # bulk_load.py's store
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pgcluster import PgCluster
from sqlalchemy import text

MONTH_TARGET_S = 30.0  # all agents' scorecards for one month at 1M calls
READ_TARGET_MS = 100.0  # one agent's scorecard

GENERATE = """
CREATE TEMP TABLE skill AS
  SELECT n, 'A' || lpad(n::text, 4, '0') AS agent_id, 'T' || lpad((n % 25)::text, 2, '0')
         AS team_id, random() AS s
  FROM generate_series(0, 499) AS n;
INSERT INTO teams (id, name) SELECT DISTINCT team_id, team_id FROM skill;
INSERT INTO agents (id, name, team_id) SELECT agent_id, agent_id, team_id FROM skill;
INSERT INTO calls (
  id, agent_id, team_id, started_at, month, duration_s, source, source_version, models,
  rule_pack, policy, score, flagged, severity, rules_applicable, rules_passed,
  enquiry_answered, reviewed, customer_end_sentiment, agent_negative_share,
  language_breach, answer_time_s, response_latency_p90_s, metrics, sentiment,
  search_text, training_case, escalated, processed_at)
SELECT id, agent_id, team_id, started_at, to_char(started_at, 'YYYY-MM'), duration_s,
  'bench/' || id || '.wav', 'v1', 'bench', 'bank@1', 'policy@1',
  greatest(0, 100 - 12 * missed - 30 * severity), severity > 0 OR missed > 1, severity,
  applicable, greatest(0, applicable - missed), enquiry_answered, random() < 0.02,
  round((random() * 2 - 1)::numeric, 2), round((random() * 0.7)::numeric, 2),
  forbidden, answer_time_s, round((1 + random() * 4)::numeric, 1), '{}', '{}', '',
  false, false, now()
FROM (
  SELECT 'C' || lpad(g::text, 8, '0') AS id, k.agent_id, k.team_id,
    timestamp '2025-01-01' + (g::float8 / :n) * interval '365 days' AS started_at,
    round((60 + random() * 400)::numeric, 1) AS duration_s,
    6 + (random() * 4)::int AS applicable,
    CASE WHEN random() < 0.10 + 0.25 * (1 - k.s) THEN 1 + (random() * 2)::int ELSE 0 END
      AS missed,
    CASE WHEN random() < 0.005 + 0.03 * (1 - k.s) THEN 1 ELSE 0 END AS severity,
    CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.78 + 0.2 * k.s END
      AS enquiry_answered,
    random() < 0.002 + 0.01 * (1 - k.s) AS forbidden,
    CASE WHEN random() < 0.02 THEN NULL
         ELSE round((0.5 + random() * 6 + CASE WHEN random() < 0.04 + 0.1 * (1 - k.s)
                     THEN 8 ELSE 0 END)::numeric, 1) END AS answer_time_s
  FROM generate_series(1, :n) AS g JOIN skill AS k ON k.n = g % 500
) AS base;
INSERT INTO rule_results (call_id, rule_id, outcome, reviewed_outcome, critical, reason, evidence,
                          tags)
  SELECT id, 'identity_verification', 'failed',
         CASE WHEN random() < 0.3 THEN 'failed' ELSE 'passed' END, true, 'bench', '[]', '[]'
  FROM calls WHERE reviewed;
INSERT INTO qa_reviews (call_id, rule_id, verdict, outcome, reviewer, comment, created_at)
  SELECT call_id, rule_id, CASE WHEN reviewed_outcome = 'failed' THEN 'confirmed'
         ELSE 'overturned' END, reviewed_outcome, 'qa', '', now()
  FROM rule_results;
INSERT INTO surveys (call_id, agent_id, answered_at, month, satisfied, rating, source)
  SELECT id, agent_id, started_at + interval '1 hour', month, r >= 4, r, 'bench#' || id
  FROM (SELECT c.id, c.agent_id, c.started_at, c.month,
               least(5, 2 + (random() * 3.5)::int) AS r FROM calls AS c
        WHERE random() < 0.05) AS picked;
ANALYZE;
"""


def generate(store, calls: int) -> float:
    start = time.perf_counter()
    with store.engine.begin() as conn:
        for statement in GENERATE.split(";\n"):
            if statement.strip():
                conn.execute(text(statement), {"n": calls} if ":n" in statement else {})
    return time.perf_counter() - start


def run(calls: int) -> int:
    from appraisal import agent_scorecard, compute_month
    from rules.policy import load_policy
    from storage.database import Store

    policy = load_policy()
    with PgCluster({"shared_buffers": "256MB", "work_mem": "32MB"}) as cluster:
        store = Store(cluster.create_database("bench"))
        seconds = generate(store, calls)
        print(f"generated {calls:,} calls, 500 agents, 25 teams in {seconds:.1f} s")
        with store.engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("calls", "qa_reviews", "surveys")
            }
        print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))

        start = time.perf_counter()
        with store.session() as s:
            rows = compute_month(s, "2025-06", policy)
        one_month = time.perf_counter() - start
        start = time.perf_counter()
        for month in range(1, 13):
            with store.session() as s:
                compute_month(s, f"2025-{month:02d}", policy)
        all_months = time.perf_counter() - start

        agent = rows[len(rows) // 2].agent_id
        reads = []
        for _ in range(100):
            start = time.perf_counter()
            with store.session() as s:
                assert agent_scorecard(s, agent, "2025-06") is not None
            reads.append((time.perf_counter() - start) * 1000)
        read_ms = statistics.median(reads)
        store.close()

    scale = calls / 1_000_000  # targets are for a million calls
    print(f"one month, {len(rows)} agents:  {one_month:6.2f} s  target {MONTH_TARGET_S:g} s"
          f" at 1M calls  ratio {MONTH_TARGET_S / one_month:6.1f}x")  # fmt: skip
    print(f"all 12 months:          {all_months:6.2f} s  ({all_months / 12:.2f} s a month)"
          f"  ratio {MONTH_TARGET_S / (all_months / 12):6.1f}x per month")  # fmt: skip
    print(f"one agent's scorecard:  {read_ms:6.2f} ms median of 100  target "
          f"{READ_TARGET_MS:g} ms  ratio {READ_TARGET_MS / read_ms:6.1f}x")  # fmt: skip
    if scale < 1:
        print(f"(a {scale:.0%} data set: the monthly targets are for 1M calls)")
    return 0


def run_on_kept(root: Path) -> int:
    """Every month's appraisal on the kept store of bench/bulk_load.py (10 M calls a year:
    about 830,000 a month), timed one month at a time; the largest month is the figure."""
    from bulk_load import DATABASE, SETTINGS
    from sqlalchemy import func, select

    from appraisal import compute_month
    from rules.policy import load_policy
    from storage.database import Store
    from storage.schema import Call

    policy = load_policy()
    cluster = PgCluster(SETTINGS, root=root, locale="C.UTF-8", port=55432).start()
    try:
        store = Store(cluster.url(DATABASE))
        with store.session() as s:
            counted = s.execute(select(Call.month, func.count()).group_by(Call.month))
            sizes: dict[str | None, int] = {month: n for month, n in counted}
        print(f"{sum(sizes.values()):,} calls in {len(sizes)} months")
        for month in sorted(m for m in sizes if m):
            start = time.perf_counter()
            with store.session() as s:
                rows = compute_month(s, month, policy)
            seconds = time.perf_counter() - start
            print(f"{month}: {sizes[month]:>9,} calls, {len(rows)} agents  {seconds:6.1f} s"
                  f"  target 60 s  ratio {60 / seconds:5.1f}x")  # fmt: skip
        store.close()
    finally:
        cluster.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls to generate")
    parser.add_argument("--root", type=Path, help="time the kept cluster of bulk_load.py")
    args = parser.parse_args()
    return run_on_kept(args.root) if args.root else run(args.calls)


if __name__ == "__main__":
    raise SystemExit(main())
