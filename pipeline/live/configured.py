"""A live engine as the settings ask for it: the batch path's Whisper model and recognition
options (hotwords included; greedy decoding unless told otherwise), its rule pack and
sentiment model, received audio kept under ``data_dir/live``."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from core.config import Settings
from core.errors import CallqaError
from pipeline.live.engine import LiveEngine, LiveOptions
from pipeline.live.events import LiveHook, no_hook
from pipeline.live.live_rules import Scorer

log = logging.getLogger("callqa.live")


def keep_dir(settings: Settings, keep: Path | None = None) -> Path:
    return keep or settings.data_dir / "live"


def live_engine(
    settings: Settings,
    *,
    hook: LiveHook = no_hook,
    keep: Path | None = None,
    beam_size: int = 1,
    sentiment: bool = True,
) -> LiveEngine:
    """Models loaded, not started: call ``.start()``."""
    from models.whisper import load_whisper
    from pipeline.analyze import load_rules
    from pipeline.configured import call_options, whisper_config

    pack, _policy = load_rules(settings.rule_pack, settings.policy_file)
    whisper = whisper_config(settings)
    transcribe = dataclasses.replace(call_options(settings).transcribe, beam_size=beam_size)
    options = LiveOptions(
        keep_dir=keep_dir(settings, keep), transcribe=transcribe, model_label=whisper.label
    )
    scorer = _scorer() if sentiment and _wants_sentiment(pack.live_checks) else None
    return LiveEngine(load_whisper(whisper), pack, options, hook=hook, scorer=scorer)


def _wants_sentiment(checks: tuple[object, ...]) -> bool:
    return any(getattr(c, "kind", None) == "customer_sentiment" for c in checks)


def _scorer() -> Scorer | None:
    """The sentiment model's ``predict``; None (those checks off, said once) if absent."""
    from models.sentiment import SentimentConfig, load_sentiment

    try:
        model = load_sentiment(SentimentConfig())
    except CallqaError as exc:
        log.warning("live sentiment checks are off: %s", exc)
        return None
    return model.predict  # type: ignore[return-value]
