"""pyannote's segmentation network (SincNet, four LSTMs, two linear layers) on ONNX Runtime.

Exported and cached by ``models.onnx_export``. Each load runs a probe through both
runtimes and compares them; only then is the torch forward pass replaced. Anything that
goes wrong (no ``onnx`` package, an export error, a mismatch) is logged with its reason
and the segmentation stays on torch: slower, never wrong. On 2 shared cores ONNX Runtime
took 30-40 % less CPU per batch of 10 s windows, log-probabilities equal within 2e-3.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ModelError
from models.onnx_export import cached_export, cpu_session

__all__ = ["export_segmentation", "max_difference", "run_on_onnx", "tolerance"]

_LOG = logging.getLogger(__name__)

_INPUT = "waveforms"
_OUTPUT = "scores"
# Largest difference allowed between torch's and ONNX Runtime's log-probabilities on
# the probe. Measured 1e-4 on single windows and 1.6e-3 in batches of 32 (float32 sums
# in another order); a wrong graph (dropout left on, say) was off by 2.
_TOLERANCE = 1e-2


def tolerance() -> float:
    """Largest allowed |torch - ONNX Runtime| on the segmentation's log-probabilities."""
    return _TOLERANCE


def run_on_onnx(model: Any, checkpoint: Path, checkpoint_sha256: str, threads: int) -> bool:
    """Make ``model`` (a loaded pyannote segmentation model) run on ONNX Runtime.

    Returns True when its forward pass now runs on ONNX Runtime, False when it stays on
    torch (the reason is logged as a warning).
    """
    model.eval()  # as pyannote runs it: dropout off (the export does the same)
    try:
        path = export_segmentation(model, checkpoint, checkpoint_sha256)
        session = cpu_session(path, threads)
        _check_against_torch(model, session, path)
    except ModelError as exc:
        _LOG.warning("%s; the segmentation runs on torch instead", exc)
        return False
    _replace_forward(model, session)
    _LOG.info("diarization segmentation runs on ONNX Runtime from %s", path)
    return True


def export_segmentation(model: Any, checkpoint: Path, checkpoint_sha256: str) -> Path:
    """The segmentation's ONNX file, from the cache or exported (``ModelError``)."""
    import torch

    model.eval()
    return cached_export(
        model,
        (torch.zeros(2, 1, _window_samples(model)),),
        name="segmentation",
        source=checkpoint,
        source_sha256=checkpoint_sha256,
        inputs=[_INPUT],
        outputs=[_OUTPUT],
        dynamic_axes={_INPUT: {0: "batch"}, _OUTPUT: {0: "batch"}},
    )


def _window_samples(model: Any) -> int:
    return round(model.specifications.duration * model.hparams.sample_rate)


def _probe(model: Any) -> np.ndarray:
    """Two 10 s windows of noise with loud and quiet stretches: every output class moves."""
    rng = np.random.default_rng(13)
    samples = _window_samples(model)
    noise = rng.standard_normal((2, 1, samples)).astype(np.float32)
    envelope = (np.sin(np.linspace(0, 12 * np.pi, samples)) > 0).astype(np.float32)
    return noise * (0.02 + 0.3 * envelope)


def max_difference(model: Any, session: Any, waveforms: np.ndarray) -> float:
    """Largest |model - session| over ``waveforms`` (batch, 1, samples)."""
    import torch

    with torch.inference_mode():
        expected = model(torch.from_numpy(waveforms)).numpy()
    actual = session.run([_OUTPUT], {_INPUT: waveforms})[0]
    if actual.shape != expected.shape:
        return float("inf")
    return float(np.max(np.abs(actual - expected)))


def _check_against_torch(model: Any, session: Any, path: Path) -> None:
    try:
        difference = max_difference(model, session, _probe(model))
    except Exception as exc:  # ONNX Runtime rejects the input: a broken graph
        raise ModelError(f"the exported segmentation {path} cannot run: {exc}") from exc
    if not difference <= _TOLERANCE:  # NaN fails too
        raise ModelError(
            f"the exported segmentation {path} differs from torch by {difference:.3g}"
            f" (tolerance {_TOLERANCE})"
        )


def _replace_forward(model: Any, session: Any) -> None:
    """Route ``model(waveforms)`` through ``session``; everything else pyannote reads from
    the model (specifications, receptive field, frames) is left as it was."""
    import torch

    def forward(waveforms: torch.Tensor, *_: Any, **__: Any) -> torch.Tensor:
        batch = np.ascontiguousarray(waveforms.detach().cpu().numpy(), dtype=np.float32)
        return torch.from_numpy(session.run([_OUTPUT], {_INPUT: batch})[0])

    # An instance attribute: nn.Module.__call__ looks up self.forward, so this instance
    # (and no other segmentation model) runs on ONNX Runtime.
    model.forward = forward
    model.onnx_session = session
