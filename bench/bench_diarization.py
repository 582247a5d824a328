"""Mono diarization benchmark: DER and speed of today's and the previous diarization
settings, and what a mono call costs over plain faster-whisper on the same audio.

    .venv/bin/python bench/bench_diarization.py              # old vs new, 3 repeats
    .venv/bin/python bench/bench_diarization.py --configs new --repeats 5
    .venv/bin/python bench/bench_diarization.py --configs new,torch --clips AMI

Per clip and configuration it prints: DER (pyannote.metrics, collar 0.25 s, over the
whole clip or its UEM), the diarization stage's seconds, plain faster-whisper's seconds
on the same audio (same model and settings), callqa's mono transcription seconds, and
callqa / plain. Runs alternate (plain, old, new, then rotated) and the median of the
repeats is kept, so drift on a shared machine hits all alike. Models load before the
clock starts. A stereo clip is timed too (callqa / plain), which diarization never touches.

The clips are the real two-speaker recordings under ../shared/data/real with a reference:
pyannote's ``sample`` (RTTM), the Mandarin ``2speakers_example`` (RTTM), pyannote's AMI
excerpts ``dev00``/``dev01`` (RTTM + UEM), faster-whisper's ``stereo_diarization`` mixed to
mono (reference: each channel's voiced frames), and, when bench_transcribe.py has
synthesised it, the 60 s synthetic stereo call mixed to mono (reference: its script).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_transcribe import StageClock  # noqa: E402 (the same per-stage clock)

REAL = ROOT.parent / "shared" / "data" / "real"
SAMPLE_RATE = 16_000
COLLAR_S = 0.25


def configs() -> dict[str, Any]:
    """The diarization configurations compared: ``old`` is the one measured before the
    speed work (pyannote 3.1's 1 s step, CAM++ on every whole 10 s window); ``torch``,
    ``short`` and ``unrefined`` are today's with both networks on torch / with the 1 s step
    under 40 s / without the in-between windows where the speaker count is disputed."""
    from models.diarization import DiarizationModelConfig

    try:
        from models.diarization import legacy_config
    except ImportError:  # before the speed work: today's default is the old configuration
        return {"old": DiarizationModelConfig()}
    new = DiarizationModelConfig()
    return {
        "old": legacy_config(),
        "new": new,
        # today's settings with both networks on torch: what ONNX Runtime saves
        "torch": dataclasses.replace(new, runtime="torch"),
        # today's with the 1 s step on calls under 40 s: its DER and its cost
        "short": dataclasses.replace(new, short_call_s=40.0),
        # today's without refining the disputed speaker count: what the refinement costs
        "unrefined": dataclasses.replace(new, refine_count=False),
    }


@dataclass
class Clip:
    name: str
    mono: Path  # the mono recording diarized and transcribed
    language: str
    reference: Any  # pyannote.core.Annotation
    uem: tuple[float, float]


# --- references ------------------------------------------------------------------------
def rttm_reference(rttm: Path, uri: str) -> Any:
    from pyannote.database.util import load_rttm

    return load_rttm(str(rttm))[uri]


def voiced_spans(samples: Any, gap_s: float = 0.3, shortest_s: float = 0.1) -> list[tuple]:
    """Where one channel carries speech: 10 ms frames 10 dB above its noise floor, gaps
    under ``gap_s`` bridged, runs under ``shortest_s`` dropped."""
    import numpy as np

    hop = SAMPLE_RATE // 100
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop).astype(np.float64)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    voiced = db > max(float(np.percentile(db, 10)) + 10.0, -60.0)
    spans: list[list[float]] = []
    for index in np.flatnonzero(voiced):
        start = index / 100
        if spans and start - spans[-1][1] <= gap_s:
            spans[-1][1] = start + 0.01
        else:
            spans.append([start, start + 0.01])
    return [(a, b) for a, b in spans if b - a >= shortest_s]


def annotation(spans: list[tuple[float, float, str]]) -> Any:
    from pyannote.core import Annotation, Segment

    result = Annotation()
    for track, (start, end, speaker) in enumerate(spans):
        result[Segment(start, end), track] = speaker
    return result


def prepare_clips() -> list[Clip]:
    from models.cache import cache_dir
    from pipeline.audio import decode
    from pipeline.audio_writing import write_audio

    clips: list[Clip] = []
    folder = cache_dir("bench-diarization")

    def rttm_clip(name: str, stem: str, uri: str, rttm: str, language: str, uem: tuple | None):
        wav = REAL / f"{stem}.wav"
        if wav.is_file() and (REAL / rttm).is_file():
            duration = decode(wav).duration
            clips.append(
                Clip(name, wav, language, rttm_reference(REAL / rttm, uri), uem or (0, duration))
            )

    rttm_clip(
        "pyannote sample 30 s (en)",
        "pyannote-audio/sample",
        "sample",
        "pyannote-audio/sample.rttm",
        "en",
        None,
    )
    rttm_clip(
        "Mandarin 2 spk 52 s (zh)",
        "service_audio2text_sd/2speakers_example",
        "2speakers_example",
        "service_audio2text_sd/2speakers_example.rttm",
        "zh",
        None,
    )
    for uri in ("dev00", "dev01"):
        rttm_clip(
            f"AMI {uri} 30 s (en)",
            f"pyannote-audio/{uri}",
            uri,
            "pyannote-audio/debug.development.rttm",
            "en",
            (0.0, 30.0),
        )

    stereo = REAL / "faster-whisper/stereo_diarization.wav"
    if stereo.is_file():
        audio = decode(stereo)
        mono = folder / "stereo_diarization-mono.wav"
        write_audio(mono, audio.mono()[None], SAMPLE_RATE)
        spans = [(a, b, f"ch{c}") for c in range(2) for a, b in voiced_spans(audio.channel(c))]
        clips.append(
            Clip("fw stereo 5 s -> mono (en)", mono, "en", annotation(spans), (0.0, audio.duration))
        )

    synthetic = cache_dir("bench") / "stereo-60s.wav"
    script = synthetic.with_suffix(".json")
    if synthetic.is_file() and script.is_file():
        audio = decode(synthetic)
        mono = folder / "stereo-60s-mono.wav"
        write_audio(mono, audio.mono()[None], SAMPLE_RATE)
        turns = json.loads(script.read_text(encoding="utf-8"))["turns"]
        spans = [(t["start"], t["end"], t["speaker"]) for t in turns]
        clips.append(
            Clip(
                "synthetic 60 s -> mono (zh)", mono, "zh", annotation(spans), (0.0, audio.duration)
            )
        )
    return clips


def der(segments: Any, clip: Clip) -> float:
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypothesis = annotation([(s.start, s.end, s.speaker) for s in segments])
    metric = DiarizationErrorRate(collar=COLLAR_S)
    uem = Timeline([Segment(*clip.uem)])
    return float(metric(clip.reference, hypothesis, uem=uem))


# --- timing ------------------------------------------------------------------------------
CPU_SECONDS: list[float] = []  # the process CPU time of the last timed() run


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of ``run()``; its process CPU seconds (all threads) go to CPU_SECONDS,
    a steadier measure than wall time while other jobs load the machine."""
    cpu, start = time.process_time(), time.perf_counter()
    result = run()
    CPU_SECONDS[:] = [time.process_time() - cpu]
    return time.perf_counter() - start, result


def measure_clip(clip: Clip, models: dict[str, Any], repeats: int) -> dict[str, Any]:
    from faster_whisper import decode_audio

    from core.config import load_settings
    from pipeline.audio import decode
    from pipeline.configured import call_options
    from pipeline.diarize import diarize
    from pipeline.one_call import CallProcessor

    settings = load_settings(language=clip.language)
    transcriber = CallProcessor(settings)
    kwargs = call_options(settings).transcribe.whisper_kwargs()
    whisper = transcriber.models.whisper
    samples = decode(clip.mono).mono()
    result: dict[str, Any] = {"duration": len(samples) / SAMPLE_RATE}
    for name, model in models.items():
        result[f"der {name}"] = der(diarize(samples, model), clip)  # also warms it up

    def plain() -> float:
        seconds, _ = timed(
            lambda: [s for s in whisper.transcribe(decode_audio(str(clip.mono)), **kwargs)[0]]
        )
        return seconds

    def callqa(model: Any) -> tuple[float, float]:
        swapped = dataclasses.replace(transcriber.models, diarizer=lambda: model)
        processor = CallProcessor(settings, models=swapped)
        clock = StageClock()
        seconds, _ = timed(lambda: processor.transcribe_file(clip.mono, clock))
        return seconds, clock.seconds("diarize")

    def run_plain() -> None:
        times["plain"].append(plain())
        times["plain cpu"].append(CPU_SECONDS[0])

    runs: list[Callable[[], None]] = [run_plain]
    times: dict[str, list[float]] = {"plain": [], "plain cpu": []}
    for name, model in models.items():
        times[f"callqa {name}"], times[f"diarize {name}"] = [], []
        times[f"callqa cpu {name}"] = []

        def run(name: str = name, model: Any = model) -> None:
            total, diarizing = callqa(model)
            times[f"callqa {name}"].append(total)
            times[f"callqa cpu {name}"].append(CPU_SECONDS[0])
            times[f"diarize {name}"].append(diarizing)

        runs.append(run)
    for repeat in range(repeats):
        for index in range(len(runs)):  # rotated, so no one always goes first
            runs[(index + repeat) % len(runs)]()
    result.update({key: statistics.median(values) for key, values in times.items()})
    return result


def measure_stereo(path: Path, language: str, repeats: int) -> tuple[float, float]:
    """Median callqa and plain seconds on a stereo call (diarization never runs)."""
    from faster_whisper import decode_audio

    from core.config import load_settings
    from pipeline.configured import call_options
    from pipeline.one_call import CallProcessor

    settings = load_settings(language=language)
    transcriber = CallProcessor(settings)
    kwargs = call_options(settings).transcribe.whisper_kwargs()

    def plain() -> None:
        for channel in decode_audio(str(path), split_stereo=True):
            for _ in transcriber.models.whisper.transcribe(channel, **kwargs)[0]:
                pass

    callqa_s, plain_s = [], []
    for repeat in range(repeats):
        pair = [(callqa_s, lambda: transcriber.transcribe_file(path)), (plain_s, plain)]
        for times, run in pair[:: 1 if repeat % 2 == 0 else -1]:
            times.append(timed(run)[0])
    return statistics.median(callqa_s), statistics.median(plain_s)


# --- the report -----------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--configs", default="old,new", help="which of: old,new,torch,short,unrefined"
    )
    parser.add_argument("--clips", default="", help="only clips whose name contains this")
    parser.add_argument("--no-stereo", action="store_true")
    args = parser.parse_args()

    import models  # noqa: F401  (sets torch's thread policy before torch loads)
    from models.diarization import load_diarization

    wanted = args.configs.split(",")
    loaded = {
        name: load_diarization(config) for name, config in configs().items() if name in wanted
    }
    clips = [c for c in prepare_clips() if args.clips in c.name]
    print(f"configs: { {n: m.config for n, m in loaded.items()} }", flush=True)
    head = ["clip", "audio s", "plain s"]
    for name in loaded:
        head += [f"DER {name}", f"diar s {name}", f"callqa s {name}", f"callqa/plain {name}"]
        head += [f"cpu ratio {name}"]
    rows = []
    for clip in clips:
        print(f"measuring {clip.name} ...", file=sys.stderr, flush=True)
        r = measure_clip(clip, loaded, args.repeats)
        row = [clip.name, f"{r['duration']:.1f}", f"{r['plain']:.2f}"]
        for name in loaded:
            row += [
                f"{r[f'der {name}']:.4f}",
                f"{r[f'diarize {name}']:.2f}",
                f"{r[f'callqa {name}']:.2f}",
                f"{r[f'callqa {name}'] / r['plain']:.2f}",
                f"{r[f'callqa cpu {name}'] / r['plain cpu']:.2f}",
            ]
        rows.append(row)
        print(" | ".join(row), flush=True)
    print(
        "\nDER: pyannote.metrics DiarizationErrorRate, collar 0.25 s; times: median of"
        f" {args.repeats}, interleaved; cpu ratio: process CPU seconds, callqa / plain"
    )
    print(" | ".join(head))
    for row in rows:
        print(" | ".join(row))
    stereo = REAL / "faster-whisper/stereo_diarization.wav"
    from models.cache import cache_dir

    synthetic = cache_dir("bench") / "stereo-60s.wav"
    if not args.no_stereo:
        for path, language in ((stereo, "en"), (synthetic, "zh")):
            if path.is_file():
                callqa_s, plain_s = measure_stereo(path, language, args.repeats)
                print(
                    f"stereo {path.name}: callqa {callqa_s:.2f} s, plain {plain_s:.2f} s,"
                    f" callqa/plain {callqa_s / plain_s:.3f}"
                )
    print(
        "targets: mono callqa/plain <= 1.5 with DER new <= DER old + 0.01;"
        " stereo callqa/plain <= 1.05"
    )


if __name__ == "__main__":
    main()
