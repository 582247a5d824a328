"""What matching patterns by sound and reading pauses as commas (issue 9) cost the rules:
the pack evaluated over recognised transcripts with both on and with both off,
interleaved, median of the repeats, printed as a ratio measured side by side in one run;
and the set-up either way (the pack compiled with its words by sound, once per pack).

    .venv/bin/python bench/bench_sound_patterns.py [--folder /work/eval-audio/asr/<digest>]
        [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class _NoSoundWords:
    """No words by sound: every recognised text is left as written."""

    def __init__(self, patterns: object) -> None:
        pass

    def __bool__(self) -> bool:
        return False


@contextmanager
def variant(on: bool) -> Iterator[None]:
    """Both features as built (on), or both switched off, with the compiled packs dropped."""
    import rules.call_view as call_view
    import rules.compiled as compiled
    import rules.matching as matching
    from rules.sound_patterns import SoundWords

    compiled._by_hash.clear()
    compiled._by_identity.clear()
    saved = call_view.CLAUSE_PAUSE_S
    if not on:
        matching.SoundWords = _NoSoundWords  # type: ignore[misc,assignment]
        call_view.CLAUSE_PAUSE_S = float("inf")
    try:
        yield
    finally:
        matching.SoundWords = SoundWords  # type: ignore[misc]
        call_view.CLAUSE_PAUSE_S = saved
        compiled._by_hash.clear()
        compiled._by_identity.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=Path("/work/eval-audio/asr/15ced157a059"))
    parser.add_argument("--only", default="ua*.json", help="which transcripts (ua: tuning)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from core.transcript import Transcript
    from rules import default_pack_path, evaluate, load_pack
    from rules.compiled import compile_pack

    transcripts = [Transcript.read(p) for p in sorted(args.folder.glob(args.only))]
    if not transcripts:
        raise SystemExit(f"{args.folder}: no transcripts")
    pack = load_pack(default_pack_path())
    minutes = sum(t.turns[-1].end for t in transcripts if t.turns) / 60
    with variant(True):  # the first time in a process: the sound tables and regexes built
        t0 = time.perf_counter()
        compile_pack(pack)
        evaluate(transcripts[0], pack)
        cold = time.perf_counter() - t0
    compile_s: dict[bool, list[float]] = {True: [], False: []}
    judge_s: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.repeats):
        for on in (True, False):
            with variant(on):
                t0 = time.perf_counter()
                compile_pack(pack)
                evaluate(transcripts[0], pack)  # patterns by sound compile on first use
                t1 = time.perf_counter()
                for transcript in transcripts[1:]:
                    evaluate(transcript, pack)
                t2 = time.perf_counter()
            compile_s[on].append(t1 - t0)
            judge_s[on].append(t2 - t1)
    med = {on: statistics.median(judge_s[on]) for on in (True, False)}
    print(
        f"{len(transcripts)} recognised calls, {minutes:.1f} min of speech, {args.repeats} repeats"
    )
    for on, name in ((False, "off"), (True, "on ")):
        per_call = med[on] / (len(transcripts) - 1) * 1000
        setup = statistics.median(compile_s[on])
        print(f"  {name}: rules {med[on]:.2f} s ({per_call:.0f} ms a call), set-up {setup:.2f} s")
    print(f"  first set-up in a process (pack, tokeniser warm-up, sound tables): {cold:.2f} s")
    print(f"  ratio on/off (rules): {med[True] / med[False]:.2f}")


if __name__ == "__main__":
    main()
