"""Bad-input drill (issue 10, item 11): a folder of recordings as a careless recorder leaves
it, through the real ``callqa process`` (a subprocess, the folder store, SQLite).

    .venv/bin/python bench/drill_bad_input.py                 # every kind, in a temp folder
    .venv/bin/python bench/drill_bad_input.py --work /tmp/d   # keep the folder and store

The folder holds 28 kinds of bad input (empty, text named .wav (one whose key is markup),
truncated, a header only, a header that lies about its length, sample rate 0, 0 or 3
channels, random bytes behind FLAC/Ogg/MP3/MP4 magic, NaN and infinite float samples,
silence, a tone, white noise, 50 ms, a folder, a symbolic link to /etc/passwd and a named
pipe called .wav, malformed, mistyped and non-object ``.meta.json``) and good calls with
awkward names (shell metacharacters, 80 Chinese characters, a leading dash, markup).
Prints, per file, what became of it
(processed / quarantined + reason / skipped), then the totals: lost (neither stored nor
quarantined, or failed), doubled (stored more than once), quarantined, processed, originals
changed or gone (every input hashed before and after) and files copied from outside the
folder. Exits 1 if anything was lost, doubled or changed, or read from outside.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RATE = 16000
OUTSIDE = Path("/etc/passwd")
# what each kind must become: "processed", "quarantined", "skipped" (a folder), or "either"
# where decoding a damaged file may legitimately yield a (short) call
Expect = str


def good_call_bytes() -> bytes:
    """A short synthetic stereo call (Kokoro TTS, cached), as the flow tests make them."""
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS

    call = build_call("enquiry_card_bill", SCRIPTS["enquiry_card_bill"][:4], agent_channel=0)
    with tempfile.TemporaryDirectory() as folder:
        return write_call(call, Path(folder) / "good.wav").read_bytes()


def wav_header(
    data_len: int,
    *,
    channels: int = 1,
    rate: int = RATE,
    bits: int = 16,
    fmt: int = 1,
    riff_len: int | None = None,
) -> bytes:
    block = channels * bits // 8
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_len if riff_len is None else riff_len)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, fmt, channels, rate, rate * block, block, bits)
        + b"data"
        + struct.pack("<I", data_len)
    )


def pcm16(samples: np.ndarray, channels: int = 1) -> bytes:
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    return wav_header(len(data), channels=channels) + data


def float_wav(samples: np.ndarray) -> bytes:
    data = samples.astype("<f4").tobytes()
    return wav_header(len(data), bits=32, fmt=3) + data


def _noise(seconds: float, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.5, 0.5, int(RATE * seconds))


def _random(n: int, seed: int = 11) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return 0.5 * np.sin(2 * math.pi * 1000 * t)


def bad_files(good: bytes) -> dict[str, tuple[bytes, Expect]]:
    """Bad recordings as bytes, by file name, with what each must become."""
    nan = _tone(2).astype(np.float32)
    nan[::7] = np.nan
    inf = _tone(2).astype(np.float32)
    inf[::5] = np.inf
    return {
        "empty.wav": (b"", "quarantined"),
        "text.wav": ("这不是录音 this is a text file\n".encode(), "quarantined"),
        # a key that is rich-text markup (a folder "tag[" holding "]text.wav"): printed
        # as it is, not interpreted (an unmatched closing tag once crashed the summary)
        "tag[/]text.wav": (b"not audio, and a key that is markup", "quarantined"),
        "random.wav": (_random(8192), "quarantined"),
        "riff_garbage.wav": (b"RIFF....WAVEfmt this is not audio at all", "quarantined"),
        "truncated.wav": (good[: len(good) // 3], "either"),
        "header_only.wav": (wav_header(0), "quarantined"),
        "lying_header.wav": (wav_header(100_000_000) + pcm16(_noise(1))[44:], "either"),
        "rate_0.wav": (wav_header(RATE * 2, rate=0) + bytes(RATE * 2), "quarantined"),
        "channels_0.wav": (wav_header(RATE * 2, channels=0) + bytes(RATE * 2), "quarantined"),
        "channels_3.wav": (pcm16(np.tile(_noise(2), 3), channels=3), "quarantined"),
        "fake_flac.flac": (b"fLaC" + _random(8192), "quarantined"),
        "fake_ogg.ogg": (b"OggS" + _random(8192), "quarantined"),
        "fake_id3.mp3": (b"ID3\x03\x00\x00\x00\x00\x00\x00" + _random(8192), "quarantined"),
        "fake_frames.mp3": (b"\xff\xfb\x90\x64" + _random(8192), "quarantined"),
        "fake_mp4.m4a": (
            b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + _random(8192),
            "quarantined",
        ),
        "nan_samples.wav": (float_wav(nan), "quarantined"),
        "inf_samples.wav": (float_wav(inf), "either"),
        "silence.wav": (pcm16(np.zeros(RATE * 5)), "quarantined"),
        "tone.wav": (pcm16(_tone(5)), "either"),
        "white_noise.wav": (pcm16(_noise(5)), "either"),
        "short_50ms.wav": (pcm16(_noise(0.05)), "either"),
    }


def build(folder: Path, good: bytes, *, full: bool = True) -> dict[str, Expect]:
    """Fills ``folder`` with the drill's inputs; returns each one's expected outcome.
    ``full=False`` leaves out the extra good calls (the test suite's smaller set)."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Expect] = {}

    def add(name: str, data: bytes, expect: Expect) -> Path:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        expected[name] = expect
        return folder / name

    for name, (data, expect) in bad_files(good).items():
        add(name, data, expect)
    (folder / "a_folder.wav").mkdir()
    expected["a_folder.wav"] = "skipped"
    (folder / "link.wav").symlink_to(OUTSIDE)
    expected["link.wav"] = "quarantined"
    os.mkfifo(folder / "named_pipe.wav")
    expected["named_pipe.wav"] = "quarantined"
    metadata: dict[str, str] = {
        "bad_json": '{"agent_id": "A01", started_at: 2026',
        "mistyped": json.dumps({"agent_channel": "middle", "started_at": "yesterday"}),
        "not_an_object": "[1, 2, 3]",
    }
    for stem, text in metadata.items():
        add(f"{stem}.wav", good, "quarantined")
        (folder / f"{stem}.meta.json").write_text(text, encoding="utf-8")
    good_names = ["a;b $(x) 'q'.wav", "客户来电" * 20 + ".wav"]
    if full:
        good_names += ["-rf --help.wav", "[red]x [link=y] 100%.wav", "good_1.wav"]
    for name in good_names:
        add(name, good, "processed")
    # a good call whose name is GBK bytes, not UTF-8 (a Windows recorder's copy): listed
    # under a text key (undecodable bytes as U+FFFD and hex) and processed
    gbk = os.fsdecode("录音".encode("gbk") + b"_0001.wav")
    (folder / gbk).write_bytes(good)
    expected[_text_key(gbk)] = "processed"
    return expected


def _text_key(name: str) -> str:
    """The key the folder store lists ``name`` under (see ``storage.local``)."""
    return "".join(
        f"\ufffd{ord(ch) - 0xDC00:02X}" if "\udc80" <= ch <= "\udcff" else ch for ch in name
    )


def snapshot(folder: Path) -> dict[str, str]:
    """A digest of every input under ``folder`` (results and quarantine aside), never
    following a link and never opening a pipe."""
    digests: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        relative = Path(dirpath).relative_to(folder)
        if relative.parts[:1] in (("results",), ("quarantine",)):
            continue
        for name in [*filenames, *dirnames]:
            path = Path(dirpath) / name
            info = path.lstat()
            if path.is_symlink():
                digests[str(relative / name)] = "link:" + os.readlink(path)
            elif path.is_file():
                digests[str(relative / name)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                digests[str(relative / name)] = f"mode:{info.st_mode:o}"
    return digests


@dataclass
class Outcome:
    name: str
    expected: Expect
    status: str
    reason: str = ""
    calls: int = 0

    @property
    def as_expected(self) -> bool:
        if self.expected == "either":
            return self.status in ("processed", "quarantined")
        return self.status == self.expected


@dataclass
class DrillResult:
    outcomes: list[Outcome]
    exit_code: int
    seconds: float
    changed: list[str] = field(default_factory=list)
    outside_copies: list[str] = field(default_factory=list)
    output: str = ""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def lost(self) -> list[str]:
        return [
            o.name
            for o in self.outcomes
            if o.status not in ("processed", "quarantined") and o.expected != "skipped"
        ]

    @property
    def doubled(self) -> list[str]:
        return [o.name for o in self.outcomes if o.calls > 1]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.changed or self.outside_copies)


def run(folder: Path, data_dir: Path, expected: dict[str, Expect]) -> DrillResult:
    """``callqa process folder`` in a subprocess; what became of each input."""
    before = snapshot(folder)
    env = {
        **os.environ,
        "CALLQA_DATA_DIR": str(data_dir),
        # Prefect's ephemeral API starts in each run: slow on a busy 2-core machine
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
        "PYTHONPATH": str(ROOT),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "callqa.cli", "process", str(folder)],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    after = snapshot(folder)
    changed = sorted(k for k in before if after.get(k) != before[k])
    outcomes = _outcomes(folder, data_dir / "callqa.db", expected)
    secret = OUTSIDE.read_bytes() if OUTSIDE.is_file() else None
    outside = [
        str(p.relative_to(folder))
        for top in ("quarantine", "results")
        for p in (folder / top).rglob("*")
        if secret is not None and p.is_file() and not p.is_symlink() and p.read_bytes() == secret
    ]
    return DrillResult(
        outcomes, done.returncode, seconds, changed, outside, done.stdout + done.stderr
    )


def _outcomes(folder: Path, db_path: Path, expected: dict[str, Expect]) -> list[Outcome]:
    root = folder.resolve()
    ledger: dict[str, tuple[str, str | None]] = {}
    calls: dict[str, int] = {}
    if db_path.exists():
        db = sqlite3.connect(db_path)
        for source, status, problem in db.execute(
            "select source, status, problem from processed_recordings"
        ):
            ledger[source] = (status, problem)
        for source, count in db.execute("select source, count(*) from calls group by source"):
            calls[source] = count
        db.close()
    outcomes = []
    for name, expect in sorted(expected.items()):
        source = str(root / name)
        status, problem = ledger.get(source, ("skipped" if expect == "skipped" else "lost", None))
        status = {"done": "processed"}.get(status, status)
        reason = _reason_code(folder, name) if status == "quarantined" else ""
        if status == "claimed":
            status = "failed"
        detail = reason or (problem or "")
        outcomes.append(Outcome(name, expect, status, detail, calls.get(source, 0)))
    return outcomes


def _reason_code(folder: Path, name: str) -> str:
    """``reason: problem`` from the quarantine record of ``name``, folder paths left out."""
    for record in (folder / "quarantine").rglob("*.reason.json"):
        data = json.loads(record.read_text("utf-8"))
        if data.get("key") == name:
            problem = str(data.get("problem", "")).replace(str(folder.resolve()) + "/", "")
            return f"{data.get('reason')}: {problem}"
    return "(no reason record)"


def report(result: DrillResult, print_: Callable[[str], None] = print) -> None:
    print_(f"{'input':44} {'expected':12} {'became':12} reason")
    for o in result.outcomes:
        mark = "" if o.as_expected else "  <-- unexpected"
        shown = o.name if len(o.name) <= 44 else o.name[:20] + "…" + o.name[-23:]
        print_(f"{shown:44} {o.expected:12} {o.status:12} {o.reason}{mark}")
    print_(
        f"\ncallqa process exit {result.exit_code} in {result.seconds:.0f} s | inputs "
        f"{len(result.outcomes)} | processed {result.count('processed')} | quarantined "
        f"{result.count('quarantined')} | skipped {result.count('skipped')} | lost "
        f"{len(result.lost)} | doubled {len(result.doubled)} | originals changed or gone "
        f"{len(result.changed)} | copied from outside the folder {len(result.outside_copies)}"
        f" | not as expected {sum(1 for o in result.outcomes if not o.as_expected)}"
    )
    for label, items in (
        ("lost", result.lost),
        ("doubled", result.doubled),
        ("changed", result.changed),
        ("outside", result.outside_copies),
    ):
        if items:
            shown = ", ".join(items).encode("utf-8", "backslashreplace").decode("utf-8")
            print_(f"{label}: {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="folder to build in (default: a temp one)")
    parser.add_argument("--small", action="store_true", help="only two good calls")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="callqa-drill-") as temp:
        work = args.work or Path(temp)
        folder, data_dir = work / "incoming", work / "data"
        expected = build(folder, good_call_bytes(), full=not args.small)
        result = run(folder, data_dir, expected)
        report(result)
        if result.exit_code not in (0, 1):
            print(result.output[-3000:])
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
