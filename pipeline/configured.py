"""The stages' options as the settings ask for them: built here, below the command and the
flows that use them and above the stages they configure, so that ``core.config`` (plain
settings) never imports a stage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.concurrency import (
    ConcurrencyChoice,
    choose_concurrency,
    fixed_concurrency,
    this_machine,
    usable_cores,
)
from core.config import Settings
from models.diarization import DiarizationModelConfig
from models.whisper import WhisperConfig
from pipeline.call import CallOptions
from pipeline.diarize import DiarizeOptions
from pipeline.roles import RoleOptions
from pipeline.transcribe import TranscribeOptions

if TYPE_CHECKING:
    from rules.pack import RulePack


def whisper_config(settings: Settings) -> WhisperConfig:
    """One model per process, run by as many calls at once as the batch's workers."""
    return WhisperConfig(
        model=settings.whisper_model,
        compute_type=settings.compute_type,
        cpu_threads=_threads(settings),
        workers=settings.concurrency if isinstance(settings.concurrency, int) else 1,
    )


def diarization_config(settings: Settings) -> DiarizationModelConfig:
    return DiarizationModelConfig(
        segmentation=settings.diarization_segmentation,
        embedding=settings.diarization_embedding,
        threads=_threads(settings),
    )


def _threads(settings: Settings) -> int:
    """The configured threads per call; unset (not yet chosen with the concurrency), every
    core: one call alone has the machine to itself."""
    return settings.cpu_threads or usable_cores()


def resolve_concurrency(
    settings: Settings, concurrency: int | str | None = None
) -> tuple[Settings, ConcurrencyChoice]:
    """The settings with workers and threads per call fixed for this machine, now (``auto``
    measured from the cores and the memory available; ``concurrency`` overrides the
    configured value), and the choice, for the run summary."""
    from models.whisper import model_bytes

    wanted = concurrency if concurrency is not None else settings.concurrency
    machine = this_machine()
    if wanted == "auto":
        choice = choose_concurrency(
            machine,
            model_bytes=model_bytes(settings.whisper_model),
            max_duration_s=settings.max_duration_s,
            threads=settings.cpu_threads,
        )
    else:
        choice = fixed_concurrency(machine, int(wanted), settings.cpu_threads)
    resolved = settings.model_copy(
        update={"concurrency": choice.workers, "cpu_threads": choice.threads}
    )
    return resolved, choice


def recognition_hotwords(settings: Settings, pack: RulePack | None = None) -> tuple[str, ...]:
    """The hotword decision for every path (``pipeline.one_call`` makes it once per run):
    the configured words, plus the rule pack's phrases when ``pack_hotwords`` is on (``pack``
    as already loaded; read from the settings' files without it)."""
    words = list(settings.hotwords)
    if settings.pack_hotwords:
        from rules.hotword_selection import hotwords

        if pack is None:
            from pipeline.analyze import load_rules

            pack = load_rules(settings.rule_pack, settings.policy_file)[0]
        words += hotwords(pack)
    return tuple(dict.fromkeys(words))


def call_options(
    settings: Settings,
    *,
    agent_channel: str | None = None,
    hotwords: tuple[str, ...] | None = None,
) -> CallOptions:
    """Options for ``pipeline.call.transcribe_call``; ``agent_channel`` from call metadata
    overrides the configured one; ``hotwords`` as decided once (``CallProcessor.hotwords``),
    else decided here."""
    chosen = agent_channel or settings.agent_channel
    fixed = {"left": "ch0", "right": "ch1"}.get(chosen)
    return CallOptions(
        transcribe=TranscribeOptions(
            language=settings.language,
            beam_size=settings.beam_size,
            vad=settings.vad,
            vad_threshold=settings.vad_threshold,
            initial_prompt=settings.initial_prompt,
            hotwords=recognition_hotwords(settings) if hotwords is None else hotwords,
            output_script=settings.output_script,
            batch_size=settings.whisper_batch_size,
        ),
        diarize=DiarizeOptions(
            num_speakers=None
            if (settings.min_speakers or settings.max_speakers)
            else settings.num_speakers,
            min_speakers=settings.min_speakers,
            max_speakers=settings.max_speakers,
        ),
        roles=RoleOptions(
            agent=fixed,
            source="metadata" if agent_channel else "configured",
            first_speaker_is_agent=settings.first_speaker_is_agent,
        ),
    )
