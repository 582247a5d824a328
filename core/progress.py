"""Progress reporting through an injected hook (a no-op by default).

Library code calls ``hook(stage, done, total)``; the CLI turns that into progress bars,
flows into Prefect logs. ``done``/``total`` are in seconds of audio where that makes sense.
"""

from __future__ import annotations

from typing import Protocol


class ProgressHook(Protocol):
    def __call__(self, stage: str, done: float, total: float | None = None) -> None: ...


def no_progress(stage: str, done: float, total: float | None = None) -> None:
    """The default hook: report nothing."""
