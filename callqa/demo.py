"""``callqa demo``: the README's main job on embedded defaults, no servers.

Lays out a quarter of sample Mandarin calls for four agents in two teams, each with its
``.meta.json`` (agent, team, start time, ring time, customer reference), plus a file of
customer survey answers. The calls ship as Opus recordings in ``callqa/sample_calls``
(synthesised from ``synth.scripts`` by ``python -m callqa.build_sample_calls``): synthesising
them here took five of the first run's nine minutes on two cores. ``--synthesise``
builds them from the scripts instead. Then the whole pipeline runs as it would on last night's
bucket: Prefect (ephemeral, in-process) processes every recording in the folder into the
SQLite scorecard store, exactly once; surveys are imported; the quarter is appraised. It
prints the flagged calls first and the agents' scorecards. A rerun processes nothing
again: it only reports.
"""

from __future__ import annotations

import csv
import json
import shutil
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from core.config import Settings, load_settings
from core.errors import ConfigError

QUARTER = "2026Q1"
MONTHS = ("2026-01", "2026-02", "2026-03")
TEAMS = {"T-north": "North team", "T-south": "South team"}


@dataclass(frozen=True)
class DemoAgent:
    id: str
    name: str
    team: str
    scripts: tuple[str, ...]  # one call a month, in month order


# Two steady agents, one uneven, one who keeps skipping mandatory steps (§4, §7.3). One
# call each a month: a quarter is twelve calls, about fifteen minutes of speech to
# synthesise and transcribe (two calls a month took the first run past ten minutes).
AGENTS = (
    DemoAgent(
        "A101", "林志明", "T-north", ("enquiry_deposit_rate", "card_loss", "callback_remittance")
    ),
    DemoAgent(
        "A102",
        "陈建华",
        "T-north",
        ("enquiry_card_bill", "callback_no_commitment", "enquiry_deposit_rate"),
    ),
    DemoAgent("A103", "王建国", "T-south", ("no_greeting", "complaint_rude", "no_greeting")),
    DemoAgent(
        "A104",
        "张伟",
        "T-south",
        ("complaint_annual_fee", "enquiry_card_bill", "callback_remittance"),
    ),
)
# Scripts whose customer hangs up unhappy: their survey answer is "not satisfied".
UNHAPPY = {"slow_answer", "complaint_rude", "no_greeting", "callback_no_commitment"}
MONO_CALL = "A104-2026-03-1"  # one call recorded mono: speakers told apart by diarization


@dataclass(frozen=True)
class DemoCall:
    call_id: str
    agent: DemoAgent
    script: str
    started_at: datetime
    agent_channel: int
    customer_voice: str

    @property
    def layout(self) -> str:
        return "mono" if self.call_id == MONO_CALL else "stereo"

    def metadata(self) -> dict[str, object]:
        return {
            "call_id": self.call_id,
            "agent_id": self.agent.id,
            "agent_name": self.agent.name,
            "team_id": self.agent.team,
            "started_at": self.started_at.isoformat(),
            "customer_ref": f"C{zlib.crc32(self.call_id.encode()) % 100000:05d}",
            "ring_time_s": 0.0,
        }


def demo_calls() -> list[DemoCall]:
    calls = []
    for a, agent in enumerate(AGENTS):
        for m, month in enumerate(MONTHS):
            year, mon = (int(x) for x in month.split("-"))
            calls.append(
                DemoCall(
                    call_id=f"{agent.id}-{month}-1",
                    agent=agent,
                    script=agent.scripts[m],
                    started_at=datetime(year, mon, 13 + a, 9 + 2 * m, 5 * a),
                    agent_channel=(a + m) % 2,
                    customer_voice=("jf_nezumi", "jf_alpha")[(a + m) % 2],
                )
            )
    return calls


SHIPPED = Path(__file__).with_name("sample_calls")
RECORDING_FORMAT = "ogg"  # Opus, as call recorders store speech: 4 MB for the quarter


def build_recordings(
    folder: Path, truth: Path, console: Console, *, synthesise: bool = False
) -> list[DemoCall]:
    """Puts each call not there yet in ``folder``: the shipped recording, or with
    ``synthesise`` one built from its script (speech is cached per utterance). What each
    synthetic speaker said when goes to ``truth``, away from the recordings."""
    from core.call_metadata import sidecar_beside

    calls = demo_calls()
    folder.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    verb = "synthesising" if synthesise else "copying"
    with Progress(console=console) as progress:
        task = progress.add_task("building sample calls", total=len(calls))
        for call in calls:
            # an earlier demo's WAV counts as the call: a second copy would be a second call
            if not any(
                (folder / f"{call.call_id}.{suffix}").is_file()
                for suffix in ("wav", RECORDING_FORMAT)
            ):
                progress.update(task, description=f"{verb} {call.call_id} ({call.script})")
                if synthesise:
                    synthesise_call(call, folder, truth)
                else:
                    copy_shipped(call, folder, truth)
            meta = sidecar_beside(folder / f"{call.call_id}.{RECORDING_FORMAT}")
            meta.write_text(json.dumps(call.metadata(), ensure_ascii=False), encoding="utf-8")
            progress.advance(task)
        progress.update(task, description=f"{len(calls)} sample calls ready")
    return calls


def synthesise_call(call: DemoCall, folder: Path, truth: Path) -> Path:
    """The call's recording built from its script; its truth moved to ``truth``."""
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS

    synthetic = build_call(
        call.call_id,
        SCRIPTS[call.script],
        layout=call.layout,  # type: ignore[arg-type]
        agent_channel=call.agent_channel,
        customer_voice=call.customer_voice,
    )
    path = write_call(synthetic, folder / call.call_id, format=RECORDING_FORMAT)
    path.with_suffix(".json").replace(truth / f"{call.call_id}.json")
    return path


def copy_shipped(call: DemoCall, folder: Path, truth: Path) -> Path:
    recording = SHIPPED / f"{call.call_id}.{RECORDING_FORMAT}"
    said = SHIPPED / f"{call.call_id}.json"
    if not (recording.is_file() and said.is_file()):
        raise ConfigError(
            f"{recording}: the demo's shipped recording or its truth is missing "
            "(rebuild them with python -m callqa.build_sample_calls, or run callqa demo "
            "--synthesise)"
        )
    shutil.copyfile(said, truth / said.name)
    return Path(shutil.copyfile(recording, folder / recording.name))


def write_surveys(path: Path, calls: list[DemoCall]) -> Path:
    """Call-back survey answers for two calls in three: by call id, or by agent and time."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["call_id", "agent_id", "answered_at", "satisfied", "rating", "category"])
        for n, call in enumerate(calls):
            if n % 3 == 2:
                continue
            unhappy = call.script in UNHAPPY
            answered = call.started_at + timedelta(hours=2)
            by_call = n % 2 == 0
            writer.writerow(
                [
                    call.call_id if by_call else "",
                    "" if by_call else call.agent.id,
                    answered.isoformat(timespec="minutes"),
                    "no" if unhappy else "yes",
                    2 if unhappy else 5,
                    "complaint" if "complaint" in call.script else "service",
                ]
            )
    return path


def agents_found(results: Path, truth: Path, calls: list[DemoCall]) -> tuple[int, int]:
    """In how many calls the agent was told apart from the customer, checked against the
    synthesiser's truth (who spoke when): most of each call's turns must match."""
    found = checked = 0
    for call in calls:
        transcript = results / call.call_id / "transcript.json"
        reference = truth / f"{call.call_id}.json"
        if not (transcript.is_file() and reference.is_file()):
            continue
        said = json.loads(reference.read_text(encoding="utf-8"))["turns"]
        by_time = {(round(t["start"]), t["speaker"]) for t in said}
        turns = json.loads(transcript.read_text(encoding="utf-8"))["turns"]
        hits = [(round(t["start"]), t["speaker"]) in by_time for t in turns]
        checked += 1
        found += bool(hits) and sum(hits) / len(hits) >= 0.8
    return found, checked


def print_flagged(console: Console, settings: Settings) -> None:
    """The review queue as a QA lead sees it: critical failures first, then flagged."""
    from storage.database import Store
    from storage.reads.overview import worst_first

    store = Store(settings.resolved_store_url())
    with store.session() as session:
        calls = worst_first(session)
    table = Table("call", "agent", "started", "score", "failed rules", "why flagged")
    table.title = f"{sum(c.flagged for c in calls)} of {len(calls)} calls flagged (worst first)"
    for call in calls:
        rules = ", ".join(call.failed_rules) or "-"
        why = "; ".join(call.flags) or "-"
        table.add_row(
            call.call_id,
            call.agent_id or "?",
            f"{call.started_at:%Y-%m-%d %H:%M}" if call.started_at else "?",
            f"{call.score:.1f}",
            rules,
            f"[red]{why}[/red]" if call.flagged else why,
        )
    console.print(table)
    store.close()


def print_appraisal(console: Console, settings: Settings) -> None:
    from appraisal import agent_scorecard
    from callqa.cli_appraisal import print_quarter, print_scorecard
    from rules.policy import load_policy
    from storage.database import Store

    policy = load_policy(settings.policy_file)
    store = Store(settings.resolved_store_url())
    with store.session() as session:
        rows = print_quarter(console, session, QUARTER, policy)
        if rows:
            worst = min(rows, key=lambda r: r.total)
            monthly = agent_scorecard(session, worst.agent_id, MONTHS[-1])
            if monthly is not None:
                console.print(f"\n[bold]Why {worst.agent_id} scores as they do:[/bold]")
                print_scorecard(console, monthly)
    store.close()


def run_demo(out: Path, config: Path | None, *, synthesise: bool = False) -> int:
    from appraisal.surveys import import_surveys
    from callqa.cli_process import print_summary, run_with_progress
    from core.urls import masked_url
    from storage.database import Store

    console = Console()
    out = out.resolve()
    recordings = out / "recordings"
    calls = build_recordings(recordings, out / "truth", console, synthesise=synthesise)
    settings = load_settings(config, data_dir=out)
    console.print(
        f"[bold]callqa demo[/bold]: processing {len(calls)} recordings in {recordings} into "
        f"{Store.__name__.lower()} {masked_url(settings.resolved_store_url())}",
        highlight=False,
    )
    summary = run_with_progress(str(recordings), settings, console)
    print_summary(console, summary)
    found, checked = agents_found(recordings / "results", out / "truth", calls)
    console.print(f"agent told apart from the customer in {found} of {checked} calls")

    surveys = write_surveys(out / "surveys.csv", calls)
    store = Store(settings.resolved_store_url())
    with store.session() as session:
        report = import_surveys(session, surveys)
    store.close()
    console.print(f"surveys: {report.summary()}", highlight=False)

    print_flagged(console, settings)
    print_appraisal(console, settings)
    console.print(
        f"\nTranscripts, analyses and redacted audio: {recordings / 'results'}\n"
        f"The review console on this store: export CALLQA_DATA_DIR={out}; "
        "callqa users add lead --role qa_lead; callqa serve",
        highlight=False,
    )
    return 1 if summary.failed else 0
