"""A torch network exported to ONNX once, cached, checked by its digest, run by ONNX Runtime.

Used for diarization's two networks (``models.segmentation_onnx``, ``models.campplus``):
on 2 shared cores ONNX Runtime ran each 30-40 % faster than torch. The export uses
torch's TorchScript-based exporter (``dynamo=False``), which needs the ``onnx`` package.
Files go to ``models.cache.cache_dir("diarization-onnx")`` under a name that carries the
source weights' SHA-256 and the torch version; a digest file written after the export is
checked on every load, so a truncated or altered file is exported again, never trusted.
Every failure is a ``ModelError`` naming the weights and the problem; callers log
it and keep the network on torch.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.errors import ModelError
from models.cache import cache_dir
from models.diarization_weights import sha256_of

__all__ = ["OPSET", "cached_export", "cpu_session"]

OPSET = 17
_EXPORT_HINT = "pip install onnx==1.23.2 (torch's exporter needs it)"


def cached_export(
    network: Any,
    example: tuple[Any, ...],
    *,
    name: str,
    source: Path,
    source_sha256: str,
    inputs: list[str],
    outputs: list[str],
    dynamic_axes: Mapping[str, Mapping[int, str]],
) -> Path:
    """The ONNX file of ``network`` (loaded from ``source``), exported first when missing
    or when it no longer matches its digest file."""
    import torch

    try:
        folder = cache_dir("diarization-onnx")
    except OSError as exc:
        raise ModelError(f"no cache folder for the ONNX export of {source}: {exc}") from exc
    path = folder / f"{name}-{source_sha256[:16]}-torch{torch.__version__}-opset{OPSET}.onnx"
    digest_file = path.with_suffix(".onnx.sha256")
    if (
        path.is_file()
        and digest_file.is_file()
        and sha256_of(path) == digest_file.read_text(encoding="ascii").strip()
    ):
        return path
    _export(network, example, source, path, inputs, outputs, dynamic_axes)
    digest_file.write_text(sha256_of(path) + "\n", encoding="ascii")
    return path


def _export(
    network: Any,
    example: tuple[Any, ...],
    source: Path,
    path: Path,
    inputs: list[str],
    outputs: list[str],
    dynamic_axes: Mapping[str, Mapping[int, str]],
) -> None:
    import torch

    # Written beside its final name and renamed: two workers exporting at once must
    # never leave (or read) half a file.
    handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".onnx.partial")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            # The exporter warns about instance norm's batch statistics (used at inference
            # too, so right) and LSTM batch sizes (the callers compare outputs).
            warnings.simplefilter("ignore")
            torch.onnx.export(
                network,
                example,
                partial,
                input_names=inputs,
                output_names=outputs,
                dynamic_axes={key: dict(axes) for key, axes in dynamic_axes.items()},
                opset_version=OPSET,
                dynamo=False,
            )
        os.chmod(partial, 0o644)  # mkstemp's 0600 would hide it from other users' workers
        os.replace(partial, path)
    except Exception as exc:  # the exporter raises anything from tracing to protobuf
        message = f"{type(exc).__name__}: {exc}"
        hint = f"; {_EXPORT_HINT}" if "onnx" in message and "install" in message else ""
        raise ModelError(f"{source} could not be exported to ONNX ({message}){hint}") from exc
    finally:
        Path(partial).unlink(missing_ok=True)


def cpu_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime session on CPU with ``threads`` threads that sleep while idle."""
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads that spin while waiting steal the cores a shared machine's other jobs
        # (and faster-whisper) need, as torch's did (see models/__init__.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # missing package, unreadable or invalid graph
        raise ModelError(f"ONNX Runtime cannot load {path}: {exc}") from exc
