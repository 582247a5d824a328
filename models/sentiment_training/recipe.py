"""The recipe: corpus -> tokenizer -> teacher -> trained BERT -> neutral centre -> one
folder with ``metrics.json``, written beside the target and renamed into place."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.progress import ProgressHook, no_progress
from models.sentiment_training.corpus import (
    CORPUS_PACKAGE,
    DIALOGUE_FILE,
    DIALOGUE_TARGETS,
    LABELS,
    TEXT_NORMALISATION,
    Corpus,
    asr_shaped,
    load_corpus,
    load_dialogue,
    split_corpus,
    split_dialogue,
)
from models.sentiment_training.loop import (
    accuracy,
    fit,
    raw_scores,
    seed_everything,
    teacher_probabilities,
)
from models.sentiment_training.options import TrainingOptions
from models.sentiment_training.tokenizer import build_tokenizer, encode

if TYPE_CHECKING:
    from tokenizers import Tokenizer

METRICS_FILE = "metrics.json"

# Plain call-centre sentences with no feeling in them (enquiries, identity checks,
# procedure). Not training data: after training, the median score the model gives them
# becomes the model's neutral centre (``score_centre`` in metrics.json). Review corpora
# file most factual sentences under "negative" (complaints narrate, praise praises), so a
# model trained on them scores a plain question about -0.5; ``models.sentiment`` rescales
# scores so that this centre reads as 0.
NEUTRAL_REFERENCE = (
    "请您提供一下身份证号码的后四位。",
    "我这边帮您查询一下，请稍等。",
    "您的账单日是每月五号。",
    "这笔款项预计三个工作日内到账。",
    "请问您是本人办理吗？",
    "办理结果我们会以短信的形式通知您。",
    "您可以在手机银行首页点击转账。",
    "这张卡的年费是一百元。",
    "好的，我帮您登记一下联系电话。",
    "请问您的卡号后四位是多少？",
    "目前一年期定期存款的利率是百分之一点五。",
    "这个业务需要本人带身份证到网点办理。",
    "我想问一下信用卡怎么分期。",
    "我的手机号是尾号五六七八的。",
    "我上个月在网上买了个东西。",
    "这个需要去网点办理吗？",
    "我想开通一下短信提醒。",
    "是我本人的卡。",
    "我要查一下上周的一笔转账。",
    "那我明天上午过去。",
    "卡是去年办的。",
    "请问周末营业吗？",
    "我的名字是张伟。",
    "我想把这张卡的密码改一下。",
)


def dialogue_accuracy(raw: Sequence[float], labels: Sequence[str], centre: float) -> float:
    """Three-class accuracy of raw scores (P(pos) - P(neg)) as models.sentiment reads
    them: re-centred on ``centre``, neutral within the default band."""
    from models.sentiment import SentimentConfig, SentimentModel

    band = SentimentConfig().neutral_band
    right = 0
    for value, label in zip(raw, labels, strict=True):
        score = SentimentModel.centred(value, centre)
        guess = "positive" if score > band else "negative" if score < -band else "neutral"
        right += guess == label
    return right / max(1, len(labels))


def train_sentiment_model(
    out: Path,
    options: TrainingOptions = TrainingOptions(),  # noqa: B008 (frozen: safe to share)
    progress: ProgressHook = no_progress,
) -> dict[str, Any]:
    """Trains the default model into ``out`` (replaced when complete); returns its metrics.

    ``progress`` is called as ``progress("train", step, total_steps)`` during training.
    """
    import torch

    from models.sentiment import import_transformers

    transformers = import_transformers()
    started = time.monotonic()
    out = Path(out)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(options.threads)
    try:
        seed_everything(options.seed)
        data = _training_data(options, progress)
        config = _bert_config(transformers, data.tokenizer, options)
        model = transformers.BertForSequenceClassification(config)
        state, history, best_epoch = fit(model, data.encoded, data.targets, options, progress)
        model.load_state_dict(state)
        model.eval()
        test_ids, test_labels = data.encoded["test"]
        test_accuracy = accuracy(model, test_ids, test_labels, options.batch_size)
        reference = raw_scores(model, encode(data.tokenizer, NEUTRAL_REFERENCE), options.batch_size)
        centre = sorted(reference)[len(reference) // 2]
        heldout = data.dialogue_heldout
        heldout_raw = raw_scores(
            model, encode(data.tokenizer, [t for t, _ in heldout]), options.batch_size
        )
        heldout_accuracy = dialogue_accuracy(heldout_raw, [label for _, label in heldout], centre)
        metrics: dict[str, Any] = {
            **_data_record(data, options),
            "test_accuracy": round(test_accuracy, 4),
            "score_centre": round(centre, 4),
            "score_centre_from": f"median raw score of {len(reference)} plain call-centre"
            " sentences (models.sentiment_training.NEUTRAL_REFERENCE)",
            "validation_accuracy": history[best_epoch - 1]["validation_accuracy"],
            "best_epoch": best_epoch,
            "history": history,
            "options": asdict(options),
            "architecture": {
                "class": "BertForSequenceClassification",
                "parameters": sum(p.numel() for p in model.parameters()),
                "vocab_size": config.vocab_size,
            },
            "tokenizer": options.tokenizer,
            "training_seconds": round(time.monotonic() - started, 1),
            "versions": _versions(),
        }
        metrics["dialogue"]["heldout_accuracy_3class"] = round(heldout_accuracy, 4)
        _write_folder(out, metrics, model, data.tokenizer, options, transformers)
        return metrics
    finally:
        torch.set_num_threads(previous_threads)


@dataclass
class _TrainingData:
    """The encoded splits and soft targets a training run learns from, with what they came
    from (for metrics.json)."""

    corpus: Corpus
    parts: dict[str, tuple[list[str], list[int]]]
    tokenizer: Tokenizer
    encoded: dict[str, tuple[list[list[int]], list[int]]]
    targets: list[float]
    teacher: list[float] | None
    dialogue_train: list[tuple[str, str]]
    dialogue_heldout: list[tuple[str, str]]


def _training_data(options: TrainingOptions, progress: ProgressHook) -> _TrainingData:
    corpus = load_corpus()
    parts = split_corpus(corpus, options)
    progress("prepare", 0, 3)
    train_texts, train_labels = parts["train"]
    dialogue_train, dialogue_heldout = split_dialogue(load_dialogue(), options)
    # the vocabulary is learnt from the review sentences alone: the dialogue corpus is
    # small, and adding it cost the reviews' held-out accuracy (0.852 -> 0.849)
    tokenizer = build_tokenizer(train_texts, options)
    tokenizer.enable_truncation(max_length=options.max_len)
    encoded = {
        name: (encode(tokenizer, texts), list(labels)) for name, (texts, labels) in parts.items()
    }
    progress("prepare", 1, 3)
    teacher = (
        teacher_probabilities(train_texts, train_labels, options.seed)
        if options.distill > 0
        else None
    )
    targets = [
        float(y) if teacher is None else (1 - options.distill) * y + options.distill * p
        for y, p in zip(train_labels, teacher or train_labels, strict=True)
    ]
    # the dialogue sentences join the training split only, with their own targets
    # every other repeat in the recogniser's shape (ASCII commas, no full stops)
    shapes = (
        encode(tokenizer, [t for t, _ in dialogue_train]),
        encode(tokenizer, [asr_shaped(t) for t, _ in dialogue_train]),
    )
    for repeat in range(options.dialogue_repeat):
        encoded["train"][0].extend(shapes[repeat % 2])
        encoded["train"][1].extend(int(label == "positive") for _, label in dialogue_train)
        targets += [DIALOGUE_TARGETS[label] for _, label in dialogue_train]
    progress("prepare", 2, 3)
    return _TrainingData(
        corpus,
        parts,
        tokenizer,
        encoded,
        targets,
        teacher,
        list(dialogue_train),
        list(dialogue_heldout),
    )


def _data_record(data: _TrainingData, options: TrainingOptions) -> dict[str, Any]:
    """metrics.json's account of the training data: corpus, split, dialogue, teacher."""
    corpus = data.corpus
    train_labels = data.parts["train"][1]
    teacher = data.teacher
    return {
        "task": "binary sentiment (negative/positive) of Chinese sentences",
        "corpus": {
            "package": CORPUS_PACKAGE,
            "version": _version(CORPUS_PACKAGE),
            "files": corpus.checksums,
            "raw_lines": corpus.raw_lines,
            "unique_sentences": len(corpus.texts),
            "dropped_conflicting": corpus.dropped_conflicting,
            "text_normalisation": TEXT_NORMALISATION,
        },
        "split": {name: len(labels) for name, (_, labels) in data.parts.items()},
        "dialogue": {
            "file": DIALOGUE_FILE.name,
            "sha256": _sha256(DIALOGUE_FILE),
            "train": len(data.dialogue_train),
            "heldout": len(data.dialogue_heldout),
            "repeat": options.dialogue_repeat,
        },
        "teacher": None
        if teacher is None
        else {
            "model": "char 1-3-gram TF-IDF logistic regression, 5-fold cross-fitted",
            "weight": options.distill,
            "cross_fitted_accuracy": round(
                sum((p > 0.5) == bool(y) for p, y in zip(teacher, train_labels, strict=True))
                / len(train_labels),
                4,
            ),
        },
    }


def _versions() -> dict[str, str | None]:
    names = ("torch", "transformers", "tokenizers", "scikit-learn", "opencc-python-reimplemented")
    return {"python": platform.python_version(), **{name: _version(name) for name in names}}


def _bert_config(transformers: Any, tokenizer: Tokenizer, options: TrainingOptions) -> Any:
    """A small BERT classifier sized by ``options``, labelled negative/positive."""
    return transformers.BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=options.hidden_size,
        num_hidden_layers=options.layers,
        num_attention_heads=options.heads,
        intermediate_size=options.intermediate_size,
        hidden_dropout_prob=options.dropout,
        attention_probs_dropout_prob=options.dropout,
        max_position_embeddings=options.max_len,
        type_vocab_size=2,
        pad_token_id=tokenizer.token_to_id("[PAD]"),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
        problem_type="single_label_classification",
    )


def _write_folder(
    out: Path,
    metrics: dict[str, Any],
    model: Any,
    tokenizer: Tokenizer,
    options: TrainingOptions,
    transformers: Any,
) -> None:
    """Saves everything beside ``out`` and renames it into place, so that a reader never
    finds half a model; adds the weights' SHA-256 to ``metrics``."""
    partial = out.with_name(f".{out.name}.part-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _save(partial, model, tokenizer, options, transformers)
        metrics["weights_sha256"] = _sha256(partial / "model.safetensors")
        (partial / METRICS_FILE).write_text(
            json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        _replace_dir(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _save(
    folder: Path, model: Any, tokenizer: Tokenizer, options: TrainingOptions, transformers: Any
) -> None:
    """The model and its tokenizer as a plain Hugging Face folder (``save_pretrained``)."""
    from models.sentiment import quiet_progress

    with quiet_progress(transformers):
        model.save_pretrained(folder)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=options.max_len,
    )
    fast.save_pretrained(folder)


def _replace_dir(partial: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        partial.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(out)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
