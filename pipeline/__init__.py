"""The audio path: decode -> transcribe -> attribute speakers -> Transcript.

Each stage is a plain typed function between frozen data types; models are loaded by
``models`` and passed in. Importing ``pipeline`` is cheap (no model library is imported).
"""

from pipeline.audio import Audio, decode
from pipeline.progress import ProgressHook, no_progress
from pipeline.transcript import AudioFacts, RoleEvidence, Transcript, Turn, Word

__all__ = [
    "Audio",
    "AudioFacts",
    "ProgressHook",
    "RoleEvidence",
    "Transcript",
    "Turn",
    "Word",
    "decode",
    "no_progress",
]
