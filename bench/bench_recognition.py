"""Recognition settings for telephone Mandarin, measured side by side in one run.

    .venv/bin/python bench/bench_recognition.py            # the real Mandarin clips
    .venv/bin/python bench/bench_recognition.py --synthetic DIR   # also recordings + .json refs

For each setting (beam size, the rule pack's hotwords, an initial prompt, and each compute
type of ``--compute-types`` at beam 5) it transcribes
the 8 real Mandarin clips of ``../shared/data/real`` at their own rate and cut to the
telephone band (resampled to 8 kHz and back, as a phone line delivers them), and prints
the pooled CER (Simplified, punctuation removed) and the recognition time. With
``--synthetic`` it also scores the agent channel of synthetic call recordings (each with
its reference ``<name>.json`` as written by ``synth.calls.write_call``).

Settings run in turn on the same loaded model; each clip's time is the faster of two runs.
Each compute type is also timed on a 60-second stereo call laid out from the real clips
(speakers alternating between the channels, cut to the telephone band): its real-time
factor, the faster of two runs, beside int8's.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "real"


def _chars(text: str) -> str:
    from core.textnorm import to_simplified

    return re.sub(r"[\s\W_]+", "", to_simplified(text))


def _telephone(samples):  # type: ignore[no-untyped-def]
    """16 kHz → 8 kHz → 16 kHz: the telephone band, as an 8 kHz recording decodes."""
    import numpy as np
    from scipy.signal import resample_poly

    down = resample_poly(samples, 1, 2)
    return np.asarray(resample_poly(down, 2, 1), dtype=np.float32)


def _clips() -> list[tuple[str, object, str]]:
    import csv

    from pipeline.audio import decode

    rows = list(csv.DictReader((REAL / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
    out = []
    for row in rows:
        if row["language"] == "zh" and row["kind"] == "transcript":
            out.append((row["file"], decode(REAL / row["file"]).mono(), row["reference"]))
    return out


def _synthetic(folder: Path) -> list[tuple[str, object, str]]:
    from pipeline.audio import decode

    out = []
    for ref_path in sorted(folder.glob("*.json")):
        ref = json.loads(ref_path.read_text(encoding="utf-8"))
        audio_path = next(
            (p for p in ref_path.parent.glob(ref_path.stem + ".*") if p.suffix != ".json"), None
        )
        if audio_path is None or ref.get("agent_channel") is None:
            continue
        audio = decode(audio_path)
        agent = int(ref["agent_channel"])
        text = "".join(t["text"] for t in ref["turns"] if t["speaker"] == "agent")
        out.append((audio_path.name, audio.channel(agent), text))
    return out


def _stereo_call(clips: list[tuple[str, object, str]], seconds: int = 60) -> list[object]:
    """Two channels of ``seconds``: the clips (at most 8 s each) in turn on alternate
    channels with 0.6-s gaps, cut to the telephone band."""
    import numpy as np

    rate = 16000
    channels = [np.zeros(seconds * rate, np.float32), np.zeros(seconds * rate, np.float32)]
    at, k = rate // 2, 0
    while True:
        clip = np.asarray(clips[k % len(clips)][1], np.float32)[: 8 * rate]
        if at + len(clip) > len(channels[0]):
            return [_telephone(c) for c in channels]
        channels[k % 2][at : at + len(clip)] = clip
        at += len(clip) + int(0.6 * rate)
        k += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=Path, help="folder of synthetic recordings + refs")
    parser.add_argument("--beams", default="1,3,5")
    parser.add_argument(
        "--compute-types",
        default="int8,float32",
        help="CTranslate2 compute types to compare at beam 5 (one model loaded for each)",
    )
    parser.add_argument("--only-compute-types", action="store_true", help="skip the other settings")
    args = parser.parse_args()

    import jiwer

    from models.whisper import WhisperConfig, load_whisper
    from pipeline.analyze import load_rules
    from pipeline.transcribe import TranscribeOptions, transcribe_channel
    from rules.hotword_selection import hotwords as pack_hotwords

    model = load_whisper()
    pack = load_rules(None, None)[0]
    hotwords = pack_hotwords(pack)
    sets = {"real 16k": _clips()}
    sets["real 8k"] = [(n, _telephone(s), r) for n, s, r in sets["real 16k"]]
    if args.synthetic:
        sets["synthetic agent 8k"] = _synthetic(args.synthetic)
    # setting name -> (options, the model it runs on)
    settings: dict[str, tuple[TranscribeOptions, object]] = {}
    if not args.only_compute_types:
        for beam in (int(b) for b in args.beams.split(",")):
            settings[f"beam {beam}"] = (TranscribeOptions(beam_size=beam), model)
        settings["beam 5 + pack hotwords"] = (
            TranscribeOptions(beam_size=5, hotwords=hotwords),
            model,
        )
        settings["beam 5 + prompt 以下是普通话的句子。"] = (
            TranscribeOptions(beam_size=5, initial_prompt="以下是普通话的句子。"),
            model,
        )
    typed_rows = []
    for compute_type in args.compute_types.split(","):
        typed_rows.append(row := f"beam 5, {compute_type}")
        typed = load_whisper(WhisperConfig(compute_type=compute_type))
        settings[row] = (TranscribeOptions(beam_size=5), typed)
    # Warm each model so the first setting on it is not charged for loading.
    for _, warm in {id(m): (o, m) for o, m in settings.values()}.values():
        transcribe_channel(sets["real 16k"][0][1], warm, TranscribeOptions())  # type: ignore[arg-type]
    print(f"{'setting':38} {'set':20} {'CER':>6} {'seconds':>8} {'audio s':>8}")
    results = []
    for name, (options, on) in settings.items():
        for set_name, clips in sets.items():
            refs, hyps, seconds, audio_s = [], [], 0.0, 0.0
            for _, samples, ref in clips:
                best = float("inf")
                for _ in range(2 if set_name.startswith("real") and "+" not in name else 1):
                    t0 = time.perf_counter()
                    ct = transcribe_channel(samples, on, options)  # type: ignore[arg-type]
                    best = min(best, time.perf_counter() - t0)
                seconds += best
                audio_s += len(samples) / 16000  # type: ignore[arg-type]
                refs.append(_chars(ref))
                hyps.append(_chars("".join(s.text for s in ct.segments)))
            cer = float(jiwer.cer(refs, hyps))
            results.append({"setting": name, "set": set_name, "cer": cer, "seconds": seconds})
            print(f"{name:38} {set_name:20} {cer:6.3f} {seconds:8.1f} {audio_s:8.1f}", flush=True)
    stereo = _stereo_call(sets["real 16k"])
    for name in typed_rows:
        options, on = settings[name]
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            for channel in stereo:
                transcribe_channel(channel, on, options)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - t0)
        results.append({"setting": name, "set": "stereo 60 s RTF", "rtf": best / 60})
        print(f"{name:38} {'stereo 60 s, 8 kHz':20} RTF {best / 60:.3f}", flush=True)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
