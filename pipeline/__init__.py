"""The audio path: decode -> transcribe -> attribute speakers -> Transcript.

Each stage is a plain typed function between frozen data types; models are loaded by
``models`` and passed in. Importing ``pipeline`` is cheap (no model library is imported).
"""

from core.progress import ProgressHook, no_progress
from core.transcript import AudioFacts, RoleEvidence, Transcript, Turn, Word
from pipeline.audio import Audio, decode

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
