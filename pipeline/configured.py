"""The stages' options as the settings ask for them: built here, below the command and the
flows that use them and above the stages they configure, so that ``core.config`` (plain
settings) never imports a stage."""

from __future__ import annotations

from core.config import Settings
from models.diarization import DiarizationModelConfig
from models.whisper import WhisperConfig
from pipeline.call import CallOptions
from pipeline.diarize import DiarizeOptions
from pipeline.roles import RoleOptions
from pipeline.transcribe import TranscribeOptions


def whisper_config(settings: Settings) -> WhisperConfig:
    return WhisperConfig(
        model=settings.whisper_model,
        compute_type=settings.compute_type,
        cpu_threads=settings.cpu_threads,
    )


def diarization_config(settings: Settings) -> DiarizationModelConfig:
    return DiarizationModelConfig(
        segmentation=settings.diarization_segmentation,
        embedding=settings.diarization_embedding,
        threads=settings.cpu_threads,
    )


def recognition_hotwords(settings: Settings) -> tuple[str, ...]:
    """The one hotword decision for every path (transcribe, analyze, process, eval): the
    configured words, plus the rule pack's phrases when ``pack_hotwords`` is on."""
    words = list(settings.hotwords)
    if settings.pack_hotwords:
        from pipeline.analyze import load_rules
        from rules.hotword_selection import hotwords

        words += hotwords(load_rules(settings.rule_pack, settings.policy_file)[0])
    return tuple(dict.fromkeys(words))


def call_options(settings: Settings, *, agent_channel: str | None = None) -> CallOptions:
    """Options for ``pipeline.call.transcribe_call``; ``agent_channel`` from call metadata
    overrides the configured one."""
    chosen = agent_channel or settings.agent_channel
    fixed = {"left": "ch0", "right": "ch1"}.get(chosen)
    return CallOptions(
        transcribe=TranscribeOptions(
            language=settings.language,
            beam_size=settings.beam_size,
            vad=settings.vad,
            vad_threshold=settings.vad_threshold,
            initial_prompt=settings.initial_prompt,
            hotwords=recognition_hotwords(settings),
            output_script=settings.output_script,
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
