"""The one exception hierarchy of callqa.

Every message says what was received, what was expected and how to fix it::

    CallqaError
    ├── ConfigError                 a setting or option has a wrong value
    ├── ModelError                  a model cannot be found, verified or loaded
    │   ├── ModelNotFoundError
    │   └── ModelChecksumError
    ├── TranscriptFormatError       a transcript JSON does not follow the exchange format
    └── AudioError                  one input recording cannot be used (quarantine it)
        ├── EmptyAudioError         zero bytes, or no samples after decoding
        ├── NotAudioError           not an audio container we can open
        ├── CorruptAudioError       an audio container whose stream breaks while decoding
        ├── UnsupportedChannelsError more than two channels
        ├── AudioTooLongError       longer than the configured limit
        └── NoSpeechError           decodes fine, but the VAD finds no speech

``AudioError`` always carries ``source`` (the file name or a label for bytes) and
``reason`` (a short, stable machine-readable code used in quarantine records).
"""

from __future__ import annotations


class CallqaError(Exception):
    """Base class of every error callqa raises on purpose."""


class CallqaWarning(UserWarning):
    """Warnings callqa emits; the test suite turns them into errors."""


class ConfigError(CallqaError):
    """A configuration value is missing or wrong."""


class ModelError(CallqaError):
    """A model's files cannot be found, verified or loaded."""


class ModelNotFoundError(ModelError):
    pass


class ModelChecksumError(ModelError):
    pass


class TranscriptFormatError(CallqaError):
    """A transcript document does not follow the exchange format (docs/transcript-format.md)."""


class AudioError(CallqaError):
    """One recording cannot be processed. Names the input and the problem."""

    reason = "audio_error"

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class EmptyAudioError(AudioError):
    reason = "empty"


class NotAudioError(AudioError):
    reason = "not_audio"


class CorruptAudioError(AudioError):
    reason = "corrupt"


class UnsupportedChannelsError(AudioError):
    reason = "unsupported_channels"


class AudioTooLongError(AudioError):
    reason = "too_long"


class NoSpeechError(AudioError):
    reason = "no_speech"


__all__ = [
    "AudioError",
    "AudioTooLongError",
    "CallqaError",
    "CallqaWarning",
    "ConfigError",
    "CorruptAudioError",
    "EmptyAudioError",
    "ModelChecksumError",
    "ModelError",
    "ModelNotFoundError",
    "NoSpeechError",
    "NotAudioError",
    "TranscriptFormatError",
    "UnsupportedChannelsError",
]


class AudioNotFoundError(AudioError):
    reason = "not_found"


__all__ += ["AudioNotFoundError"]


class RulePackError(ConfigError):
    """A rule pack (rules/*.yaml) cannot be loaded: bad YAML, an unknown key, a bad value or
    a dangling reference. The message names the file, the rule id and the problem."""


__all__ += ["RulePackError"]
