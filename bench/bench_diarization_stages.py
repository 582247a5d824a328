"""Which diarization stage a DER comes from: missed speech, false alarm and confusion per
clip and configuration (same clips and configurations as bench_diarization.py).

    .venv/bin/python bench/bench_diarization_stages.py                   # old,unrefined,new
    .venv/bin/python bench/bench_diarization_stages.py --clips dev01 --configs old,new

Missed speech and false alarm come from the speaker count (where there is speech and how
many speak: the segmentation windows' votes); confusion from the embeddings and the
clustering. Each share is of the reference's speech, collar 0.25 s, over the clip's UEM.
"refinement windows" is how many in-between windows the run segmented where the count
was disputed (0 when ``refine_count`` is off). No timing: bench_diarization.py times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_diarization import COLLAR_S, annotation, configs, prepare_clips  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="old,unrefined,new")
    parser.add_argument("--clips", default="", help="only clips whose name contains this")
    args = parser.parse_args()

    import models  # noqa: F401  (sets torch's thread policy before torch loads)
    from models.diarization import load_diarization
    from pipeline.audio import decode
    from pipeline.diarize import diarize

    wanted = args.configs.split(",")
    loaded = {name: load_diarization(c) for name, c in configs().items() if name in wanted}
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    print("clip | config | DER | missed | false alarm | confusion | refinement windows")
    for clip in (c for c in prepare_clips() if args.clips in c.name):
        samples = decode(clip.mono).mono()
        for name, model in loaded.items():
            segments = diarize(samples, model)
            hypothesis = annotation([(s.start, s.end, s.speaker) for s in segments])
            metric = DiarizationErrorRate(collar=COLLAR_S)
            parts = metric(
                clip.reference, hypothesis, uem=Timeline([Segment(*clip.uem)]), detailed=True
            )
            total = parts["total"]
            shares = [parts[key] / total for key in ("missed detection", "false alarm")]
            shares.append(parts["confusion"] / total)
            windows = getattr(model.pipeline, "refinement_windows", 0)
            print(
                f"{clip.name} | {name} | {parts['diarization error rate']:.4f} | "
                + " | ".join(f"{share:.3f}" for share in shares)
                + f" | {windows}",
                flush=True,
            )


if __name__ == "__main__":
    main()
