"""Let pyannote.audio import on a CPU-only machine whose torchaudio cannot load its C++ part.

pyannote.audio 4.0 imports ``torchaudio`` at module load, but it only uses torchaudio's
pure-Python parts (``compliance.kaldi.fbank``, ``functional.resample``). The torchaudio
wheels PyPI offers for torch 2.13 are CUDA-linked: ``torchaudio/__init__`` imports
``torchaudio._extension``, which loads ``lib/_torchaudio.abi3.so``, which fails on a CPU
machine (``libc10_cuda.so`` missing), and with it the whole package.

``install()`` first tries the real import; only when that fails does it register a
stand-in for ``torchaudio._extension`` that reports the extension as absent (so the
few C++-backed functions refuse to run instead of crashing) and imports torchaudio again.
It also marks a torchcodec that cannot load as absent, so nobody retries its
CUDA-linked libraries: callqa hands pyannote waveforms in memory, never file paths,
so pyannote's own decoding is never needed.

Idempotent: a second call changes nothing.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["install", "is_stand_in"]

_LOG = logging.getLogger(__name__)
_STAND_IN_MARK = "__callqa_stand_in__"
_F = TypeVar("_F", bound=Callable[..., Any])


def install() -> None:
    """Make ``import torchaudio`` (and so ``import pyannote.audio``) work on this machine."""
    _install_torchaudio()
    _mark_torchcodec_absent_if_broken()


def is_stand_in() -> bool:
    """Whether torchaudio runs on the stand-in extension (after ``install()``)."""
    extension = sys.modules.get("torchaudio._extension")
    return bool(getattr(extension, _STAND_IN_MARK, False))


def _install_torchaudio() -> None:
    if "torchaudio" in sys.modules:  # real or already shimmed: nothing to do
        return
    try:
        importlib.import_module("torchaudio")
        return
    except ModuleNotFoundError as error:
        if error.name == "torchaudio":  # not installed at all: a stand-in cannot help
            raise
        _LOG.debug("torchaudio cannot import (%s); using the stand-in extension", error)
    except (OSError, ImportError) as error:  # torch raises OSError for a .so that won't load
        _LOG.debug("torchaudio's extension cannot load (%s); using the stand-in", error)
    _forget_modules("torchaudio")
    sys.modules["torchaudio._extension"] = _stand_in_extension()
    importlib.import_module("torchaudio")


def _mark_torchcodec_absent_if_broken() -> None:
    if "torchcodec" in sys.modules:
        return
    try:
        importlib.import_module("torchcodec")
    except (ImportError, OSError, RuntimeError) as error:
        _LOG.debug("torchcodec cannot load (%s); marking it absent", error)
        _forget_modules("torchcodec")
        # None in sys.modules makes every later `import torchcodec` raise ImportError
        # at once, which pyannote catches (it then only accepts in-memory waveforms).
        sys.modules["torchcodec"] = None  # type: ignore[assignment]


def _forget_modules(package: str) -> None:
    """Drop a package's half-imported modules left behind by a failed import."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


def _stand_in_extension() -> types.ModuleType:
    """What torchaudio's package code reads from ``torchaudio._extension``, with no C++."""
    module = types.ModuleType("torchaudio._extension", "callqa stand-in: no C++ extension")
    attributes: dict[str, object] = {
        _STAND_IN_MARK: True,
        "_IS_TORCHAUDIO_EXT_AVAILABLE": False,
        "_IS_ALIGN_AVAILABLE": False,
        "_load_lib": _no_library,
        "_check_cuda_version": _no_cuda_version,
        "fail_if_no_align": _fail_without_extension,
    }
    for name, value in attributes.items():
        setattr(module, name, value)
    return module


def _no_library(name: str) -> bool:
    return False


def _no_cuda_version() -> None:
    return None


def _fail_without_extension(function: _F) -> _F:
    """Decorator for torchaudio functions that need the C++ extension: fail when called."""

    @functools.wraps(function)
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"torchaudio.{function.__name__} needs torchaudio's C++ extension, which cannot "
            "load on this machine (callqa uses a stand-in; see models/torchaudio_shim.py)."
        )

    return refuse  # type: ignore[return-value]
