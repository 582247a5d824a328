"""The one exception hierarchy of callqa: every error it raises on purpose is a
``CallqaError``, and every one of them is in this tree (tests/test_layers.py checks both).

Every message says what was received, what was expected and how to fix it::

    CallqaError
    ├── ConfigError                 a setting or option has a wrong value
    │   ├── RulePackError           a rule pack cannot be loaded (file, rule id, problem)
    │   │   └── TaxonomyError       rules/drivers.py: a driver taxonomy (file, id, problem)
    │   └── PeriodError             appraisal/periods.py: not a month or a quarter
    ├── ModelError                  a model cannot be found, verified or loaded
    │   ├── ModelNotFoundError
    │   └── ModelChecksumError
    ├── TranscriptFormatError       a transcript JSON does not follow the exchange format
    ├── AudioError                  one input recording cannot be used (quarantine it)
    │   ├── EmptyAudioError         zero bytes, or no samples after decoding
    │   ├── NotAudioError           not an audio container we can open
    │   ├── CorruptAudioError       an audio container whose stream breaks while decoding
    │   ├── UnsupportedChannelsError more than two channels
    │   ├── AudioTooLongError       longer than the configured limit
    │   ├── NoSpeechError           decodes fine, but the VAD finds no speech
    │   └── AudioNotFoundError      no recording at that path
    ├── StorageError                storage/objects.py: an object store cannot do what was asked
    │   ├── StorageUnavailable      the server does not answer (retried, then the backlog)
    │   ├── ObjectNotFound          no object at that key
    │   ├── ObjectRefused           storage/objects.py: a link or special file, never read
    │   └── CallIdTaken             storage/call_identity.py: a stated id another recording holds
    ├── CallMetadataError           core/call_metadata.py: bad call metadata (quarantined)
    ├── StoreError                  storage/database.py: the scorecard store cannot be opened
    │   └── BackupError             storage/backup.py: a backup or restore cannot go on
    ├── RetentionError              storage/retention.py: a hold or retention step refused
    ├── LiveStoreError              storage/live.py: a live write for a call never opened
    ├── LiveStreamError             pipeline/live/pcm.py: a live stream's metadata or samples
    ├── RecordingProblem            flows/work.py: a recording to quarantine, with its reason
    ├── LostClaim                   flows/storing.py: another worker took the call over
    ├── SurveyImportError           appraisal/surveys.py: a survey file cannot be imported
    │   └── _RowError               one bad row (reported, the rest imported)
    ├── ReviewError                 appraisal/reviews.py: a review cannot be recorded
    │   ├── UnknownCallError
    │   └── UnknownRuleError
    ├── AccountError                console/auth.py: an account cannot be changed as asked
    └── ConsoleError                console/permissions.py: a request refused, with its status
        ├── NotSignedIn             401
        ├── Forbidden               403
        ├── NotFound                404
        │   └── AudioNotFound       console/audio.py: the call has no redacted recording
        ├── BadRequest              400
        ├── RangeNotSatisfiable     console/audio.py: 416
        ├── TooManySignIns          console/signin.py: 429 with Retry-After
        └── Unavailable             503
            └── SignInBusy          console/signin.py: every password check busy

Every class has a stable ``reason`` code (``CallqaError.reason``); ``AudioError`` also
carries ``source`` (the file name or a label for bytes) and ``problem`` (for people).
``CallqaWarning`` is the one warning class (the test suite turns it into an error).
"""

from __future__ import annotations

import re


class CallqaError(Exception):
    """Base class of every error callqa raises on purpose.

    ``reason`` is the class's stable machine-readable code (quarantine records, error
    files, logs): a class states its own, or gets its name in snake case without the
    ``Error`` suffix (``StorageUnavailable`` -> ``storage_unavailable``). tests/test_layers.py
    pins every code, so renaming a class cannot silently change what records say."""

    reason: str = "callqa"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "reason" not in cls.__dict__:
            cls.reason = _snake_case(cls.__name__.removesuffix("Error"))


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.lstrip("_")).lower()


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


class AudioNotFoundError(AudioError):
    reason = "not_found"


class RulePackError(ConfigError):
    """A rule pack (rules/*.yaml) cannot be loaded: bad YAML, an unknown key, a bad value or
    a dangling reference. The message names the file, the rule id and the problem."""


__all__ = [
    "AudioError",
    "AudioNotFoundError",
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
    "RulePackError",
    "TranscriptFormatError",
    "UnsupportedChannelsError",
]
