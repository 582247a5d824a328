"""Where callqa keeps files it derives from packages (rejoined weights, synthetic audio)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """``$CALLQA_CACHE`` (default ``~/.cache/callqa``) joined with ``parts``, created."""
    base = Path(os.environ.get("CALLQA_CACHE") or Path.home() / ".cache" / "callqa")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
