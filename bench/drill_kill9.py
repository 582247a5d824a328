"""kill -9 drill (issue 10): ``callqa process`` killed at random moments, then rerun; every
call must be stored exactly once and be identical to a clean run's.

    .venv/bin/python bench/drill_kill9.py                # 200 calls, 3 kills
    .venv/bin/python bench/drill_kill9.py --calls 40     # a quick check

1. N short stereo calls (two lines each, a few seconds; Kokoro TTS cached under
   ``$CALLQA_CACHE``; each call's line noise is seeded by its name, so every file differs)
   with ``.meta.json`` sidecars, copied into two folders.
2. A clean reference run of ``callqa process`` on the first folder into its own store.
3. On the second folder, into a second store: ``callqa process`` started in its own process
   group and killed with SIGKILL (the group: the CLI and whatever it started) at a random
   moment after a random number of further calls were stored, ``--kills`` times; then a
   final run to completion.
4. Compared per recording: stored exactly once (calls and ledger), identical to the clean
   run's (call id, score, flags, rule outcomes with confidences, turns with times and text),
   and the originals untouched (hashed before and after). Prints lost / doubled /
   differing / changed and exits 1 unless all are 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("enquiry_card_bill", "card_loss", "no_greeting")  # cached by the flow tests


def build_calls(folder: Path, count: int) -> None:
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS as LINES

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        script = SCRIPTS[i % len(SCRIPTS)]
        first = (i // len(SCRIPTS)) % 3
        name = f"call_{i:04d}"
        call = build_call(name, LINES[script][first : first + 2], agent_channel=0)
        path = write_call(call, folder / f"{name}.wav")
        path.with_suffix(".json").unlink()  # the synthesiser's truth is not call metadata
        meta = {
            "agent_id": f"A{i % 5:02d}",
            "team_id": "T1",
            "started_at": f"2026-03-{1 + i % 28:02d}T09:{i % 60:02d}:00",
        }
        (folder / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] not in ("results", "quarantine")
    }


def _command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "callqa.cli", "process", str(folder)]


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CALLQA_DATA_DIR": str(data_dir),
        # Prefect's ephemeral API starts in each run: slow on a busy 2-core machine
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
        "PYTHONPATH": str(ROOT),
    }


def _done(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        db = sqlite3.connect(db_path, timeout=1)
        try:
            return int(
                db.execute(
                    "select count(*) from processed_recordings where status='done'"
                ).fetchone()[0]
            )
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0  # not created or migrated yet


def run_to_end(folder: Path, data_dir: Path) -> tuple[int, float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        _command(folder), env=_env(data_dir), capture_output=True, text=True, timeout=7200
    )
    return done.returncode, time.perf_counter() - started, done.stdout + done.stderr


def run_and_kill(folder: Path, data_dir: Path, rng: random.Random, calls: int) -> str:
    """Starts a run, kills its process group after a random number of further calls were
    stored (and a random fraction of a call's time more); says what happened."""
    db_path = data_dir / "callqa.db"
    at_start = _done(db_path)
    wanted = at_start + rng.randint(1, max(2, calls // 8))
    victim = subprocess.Popen(
        _command(folder),
        env=_env(data_dir),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    while victim.poll() is None and _done(db_path) < wanted:
        time.sleep(0.1)
    if victim.poll() is not None:
        return f"ended by itself (exit {victim.returncode}) with {_done(db_path)} stored"
    time.sleep(rng.uniform(0.0, 2.0))  # anywhere inside the next call: fetch to commit
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    return (
        f"killed after {time.perf_counter() - started:.0f} s with {_done(db_path)} stored "
        f"({_done(db_path) - at_start} in this run)"
    )


def stored(folder: Path, db_path: Path) -> tuple[dict[str, list[object]], dict[str, int]]:
    """Per recording (its key in the folder): what the store holds, and how many calls and
    finished ledger rows it has."""
    root = str(folder.resolve()) + "/"
    db = sqlite3.connect(db_path)
    copies: dict[str, int] = {}
    for (source,) in db.execute("select source from calls"):
        key = source.removeprefix(root)
        copies[key] = copies.get(key, 0) + 1
    for (source,) in db.execute("select source from processed_recordings where status='done'"):
        key = source.removeprefix(root)
        copies[key + " (ledger)"] = copies.get(key + " (ledger)", 0) + 1
    content: dict[str, list[object]] = {}
    for call_id, source, score, flagged in db.execute(
        "select id, source, score, flagged from calls"
    ):
        outcomes = db.execute(
            "select rule_id, outcome, confidence from rule_results where call_id=? "
            "order by rule_id",
            (call_id,),
        ).fetchall()
        turns = db.execute(
            'select speaker, start, "end", text from turns where call_id=? order by "index"',
            (call_id,),
        ).fetchall()
        flags = db.execute(
            "select flags from call_scorecards where call_id=?", (call_id,)
        ).fetchone()
        content[source.removeprefix(root)] = [call_id, score, flagged, outcomes, turns, flags]
    db.close()
    return content, copies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--work", type=Path, help="folder to work in (default: a temp one)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="callqa-kill9-") as temp:
        work = args.work or Path(temp)
        started = time.perf_counter()
        build_calls(work / "calls", args.calls)
        reference, victim = work / "reference", work / "victim"
        for copy in (reference, victim):
            shutil.copytree(work / "calls", copy)
        print(f"{args.calls} calls built in {time.perf_counter() - started:.0f} s")
        originals = digests(victim)

        code, seconds, output = run_to_end(reference, work / "reference-data")
        print(f"clean run: exit {code} in {seconds:.0f} s")
        if code != 0:
            print(output[-3000:])
            return 1
        for kill in range(1, args.kills + 1):
            print(f"run {kill}: {run_and_kill(victim, work / 'victim-data', rng, args.calls)}")
        code, seconds, output = run_to_end(victim, work / "victim-data")
        summary = re.search(r"\d+ processed,.*?failed", " ".join(output.split()))
        print(f"final run: exit {code} in {seconds:.0f} s: {summary[0] if summary else ''}")

        want, _ = stored(reference, work / "reference-data" / "callqa.db")
        got, copies = stored(victim, work / "victim-data" / "callqa.db")
        keys = sorted(k for k in originals if k.endswith(".wav"))
        lost = [k for k in keys if k not in got]
        doubled = sorted(k for k, n in copies.items() if n > 1)
        strays = sorted(k for k in got if k not in keys)
        differing = [k for k in keys if k in got and got[k] != want.get(k)]
        changed = sorted(k for k, v in digests(victim).items() if originals.get(k) != v)
        changed += sorted(k for k in originals if k not in digests(victim))
        print(
            f"\nrecordings {len(keys)} | stored {len(got)} | lost {len(lost)} | doubled "
            f"{len(doubled)} | differing from the clean run {len(differing)} | originals "
            f"changed or gone {len(changed)} | stored from nowhere {len(strays)} | final exit "
            f"{code} | drill {time.perf_counter() - started:.0f} s"
        )
        for label, items in (
            ("lost", lost),
            ("doubled", doubled),
            ("differing", differing),
            ("changed", changed),
            ("strays", strays),
        ):
            if items:
                print(f"{label}: {', '.join(items[:20])}")
        bad = lost or doubled or differing or changed or strays or code != 0
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
