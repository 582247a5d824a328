"""Transcription benchmark: per-stage wall time, real-time factor, peak memory, and callqa's
end-to-end time divided by plain faster-whisper's on the same audio, model and settings,
measured side by side in one run.

    .venv/bin/python bench/bench_transcribe.py            # the standard set of calls
    .venv/bin/python bench/bench_transcribe.py --hour     # also a 1-hour stereo call (memory,
                                                          # through the whole per-call path:
                                                          # transcribe, analyse, redacted copy)
    .venv/bin/python bench/bench_transcribe.py --hours 1 4 --only-long --long-beam 1
                                                          # 1- and 4-hour calls alone (memory)

Each call runs in a fresh child process, so its peak memory (ru_maxrss) is its own; models
are loaded before the clock starts. callqa and the plain baseline alternate (A B A B) and
the faster of each pair of runs is kept, so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "real"


# --- the calls ------------------------------------------------------------------------
def prepare_calls(long_hours: list[float], only_long: bool = False) -> list[tuple[str, Path, str]]:
    """(name, recording, language) for each call of the benchmark."""
    from bench.cached_calls import long_stereo_call, synthetic_call
    from models.cache import cache_dir
    from synth.long_calls import long_call

    folder = cache_dir("bench")
    calls: list[tuple[str, Path, str]] = []
    if (REAL / "faster-whisper/stereo_diarization.wav").is_file():
        calls.append(("real stereo 5 s (en)", REAL / "faster-whisper/stereo_diarization.wav", "en"))

    five_minutes = long_stereo_call(5)
    if only_long:
        calls.clear()
    else:
        calls.append(("synthetic stereo 60 s", synthetic_call("stereo-60s", long_call(60)), "zh"))
        calls.append(("synthetic stereo 5 min", five_minutes, "zh"))
        calls.append(
            ("synthetic mono 60 s", synthetic_call("mono-60s", long_call(60), "mono"), "zh")
        )
    if not only_long and (REAL / "service_audio2text_sd/2speakers_example.wav").is_file():
        calls.append(
            (
                "real mono 52 s (zh, 2 spk)",
                REAL / "service_audio2text_sd/2speakers_example.wav",
                "zh",
            )
        )
    for hours in long_hours:
        path = folder / f"stereo-{hours:g}h.flac"
        if not path.is_file():
            print(f"writing {path.name} (the 5-min call tiled) ...", file=sys.stderr, flush=True)
            write_tiled(five_minutes, path, hours * 3600)
        calls.append((f"synthetic stereo {hours:g} h (tiled)", path, "zh"))
    return calls


def write_tiled(source: Path, target: Path, seconds: float) -> None:
    """``source`` repeated to ``seconds`` as a stereo FLAC, encoded block by block (a 4-hour
    call as one float array would take 1.8 GB before the encoder's own copies)."""
    import av
    import numpy as np

    from pipeline.audio import decode

    block = np.ascontiguousarray(decode(source).samples)
    remaining = int(seconds * 16000)
    partial = target.with_suffix(".part.flac")
    with av.open(str(partial), mode="w", format="flac") as out:
        stream = out.add_stream("flac", rate=16000)
        stream.layout = "stereo"
        pts = 0
        while remaining > 0:
            piece = block[:, : min(block.shape[1], remaining)]
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(piece), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = 16000, pts
            for packet in stream.encode(frame):
                out.mux(packet)
            pts += piece.shape[1]
            remaining -= piece.shape[1]
        for packet in stream.encode(None):
            out.mux(packet)
    partial.replace(target)


# --- one call, in a child process ------------------------------------------------------
class StageClock:
    """A progress hook that notes when each stage starts and last reports."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, stage: str, done: float, total: float | None = None) -> None:
        now = time.perf_counter()
        self.first.setdefault(stage, now)
        self.last[stage] = now

    def seconds(self, stage: str) -> float:
        """From the stage's first report to its last (0 when it never reported)."""
        return self.last.get(stage, 0.0) - self.first.get(stage, 0.0)

    def spans(self) -> dict[str, float]:
        order = sorted(self.first, key=self.first.get)  # type: ignore[arg-type]
        spans = {}
        for i, stage in enumerate(order):
            end = self.first[order[i + 1]] if i + 1 < len(order) else self.last[stage]
            spans[stage] = end - self.first[stage]
        return spans


def measure(
    path: Path,
    repeats: int,
    language: str,
    baseline: bool,
    beam: int | None = None,
    windows: int | None = None,
    whole_path: bool = False,
) -> dict[str, object]:
    from faster_whisper import decode_audio

    from core.config import load_settings
    from pipeline.audio import decode
    from pipeline.configured import call_options
    from pipeline.one_call import CallProcessor

    # a call of exactly the 4-hour limit is still taken: the limit is what we measure up to
    settings = load_settings(language=language, beam_size=beam, max_duration_s=4 * 3600 + 60)
    if windows:
        _recognise_only(windows)
    transcriber = CallProcessor(settings)
    options = call_options(settings).transcribe
    kwargs = options.whisper_kwargs()
    audio = decode(path, max_duration=settings.max_duration_s)
    stereo_like = audio.channels == 2
    if audio.channels == 1 or _is_mono_call(audio):
        transcriber.models.diarizer()  # loaded before the clock, like whisper
    duration = audio.duration
    del audio  # the measured run decodes on its own: this copy must not add to its peak
    whisper = transcriber.models.whisper

    def run_callqa() -> tuple[float, dict[str, float], int]:
        clock = StageClock()
        start = time.perf_counter()
        if not whole_path:
            transcript = transcriber.transcribe_file(path, clock)
            return time.perf_counter() - start, clock.spans(), len(transcript.turns)
        # what `callqa process` does with one call: decode, transcribe, analyse, and write
        # the redacted Ogg copy the console plays (flows/work.py), all in this process
        from core.call_metadata import metadata_beside
        from flows.storing import redacted_audio

        result = transcriber.process(path, metadata_beside(path), progress=clock)
        clock("redacted copy", 0.0, None)
        redacted_audio(result.audio, result.transcript, result.analysis)
        clock("redacted copy", 1.0, None)
        return time.perf_counter() - start, clock.spans(), len(result.redacted.turns)

    def run_plain() -> float:
        start = time.perf_counter()
        channels = decode_audio(str(path), split_stereo=stereo_like)
        for channel in channels if stereo_like else [channels]:
            segments, _ = whisper.transcribe(channel, **kwargs)
            for _ in segments:
                pass
        return time.perf_counter() - start

    best_callqa, best_plain, spans, turns = float("inf"), float("inf"), {}, 0
    for _ in range(repeats):
        elapsed, stage_spans, turns = run_callqa()
        if elapsed < best_callqa:
            best_callqa, spans = elapsed, stage_spans
        if baseline:
            best_plain = min(best_plain, run_plain())
    return {
        "duration": duration,
        "channels": 2 if stereo_like else 1,
        "callqa_s": best_callqa,
        "plain_s": best_plain,
        "stages": spans,
        "turns": turns,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _recognise_only(count: int) -> None:
    """Recognise ``count`` of a long channel's windows, spread from first to last: the whole
    call is decoded, held and cut as always, at a fraction of the recognition time."""
    from pipeline.transcribe import VoicedFrames

    every = VoicedFrames.windows

    def spread(self: VoicedFrames, window_s: float, search_s: float) -> list[tuple[int, int]]:
        all_windows = every(self, window_s, search_s)
        picks = {round(i * (len(all_windows) - 1) / max(count - 1, 1)) for i in range(count)}
        return [w for i, w in enumerate(all_windows) if i in picks]

    VoicedFrames.windows = spread  # type: ignore[method-assign]


def _is_mono_call(audio: object) -> bool:
    from pipeline.call import channel_layout

    return channel_layout(audio) != "stereo"  # type: ignore[arg-type]


# --- the report -------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hour", action="store_true", help="also a 1-hour stereo call")
    parser.add_argument(
        "--hours", type=float, nargs="*", default=[], help="also stereo calls this many hours long"
    )
    parser.add_argument("--only-long", action="store_true", help="only the --hour(s) calls")
    parser.add_argument(
        "--long-beam", type=int, help="beam size for the long calls (memory barely depends on it)"
    )
    parser.add_argument(
        "--long-windows",
        type=int,
        help="recognise only this many of a long call's 10-min windows (first to last)",
    )
    parser.add_argument("--match", help="only the calls whose name contains this")
    parser.add_argument("--beam", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--windows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--whole-path", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--language", default="zh", help=argparse.SUPPRESS)
    parser.add_argument("--no-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(
                measure(
                    args.child,
                    args.repeats,
                    args.language,
                    not args.no_baseline,
                    args.beam,
                    args.windows,
                    args.whole_path,
                )
            )
        )
        return

    from rich.console import Console
    from rich.table import Table

    long_hours = sorted(set(args.hours) | ({1.0} if args.hour else set()))
    calls = prepare_calls(long_hours, args.only_long)
    calls = [c for c in calls if not args.match or args.match in c[0]]
    from core.config import load_settings

    used = load_settings()
    table = Table(
        title="callqa transcription benchmark (2 CPU threads, Whisper"
        f" {used.whisper_model} {used.compute_type}, beam {used.beam_size})"
    )
    for column in (
        "call",
        "audio s",
        "stages (s)",
        "callqa s",
        "RTF",
        "plain fw s",
        "callqa/plain",
        "peak MiB",
    ):
        table.add_column(column)
    for name, path, language in calls:
        hour = name.endswith("h (tiled)")  # measured for its memory: one run, no baseline
        repeats = 1 if hour else args.repeats
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(path),
                "--repeats",
                str(repeats),
                "--language",
                language,
                # a long call is measured for its memory through the whole per-call path
                *(["--no-baseline", "--whole-path"] if hour else []),
                *(["--beam", str(args.long_beam)] if hour and args.long_beam else []),
                *(["--windows", str(args.long_windows)] if hour and args.long_windows else []),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        baseline = (
            ("-", "-") if hour else (f"{r['plain_s']:.2f}", f"{r['callqa_s'] / r['plain_s']:.3f}")
        )
        partial = hour and args.long_windows  # only some windows recognised: no RTF
        table.add_row(
            name + (f" ({args.long_windows} windows a channel)" if partial else ""),
            f"{r['duration']:.1f}",
            stages,
            f"{r['callqa_s']:.2f}",
            "-" if partial else f"{r['callqa_s'] / r['duration']:.3f}",
            *baseline,
            f"{r['peak_rss_mib']:.0f}",
        )
    Console(width=200).print(table)
    print(
        "targets: stereo RTF <= 0.20 and callqa/plain <= 1.10; mono (diarized) RTF <= 0.50;"
        " 1-hour call peak <= 1536 MiB (issue 13; 3.6 GiB before streaming decode)"
    )


if __name__ == "__main__":
    main()
