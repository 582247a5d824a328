"""The training loop: the n-gram teacher's targets, masked-token batches of similar
length, the best epoch by validation accuracy, and scoring a trained model."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from core.progress import ProgressHook
from models.sentiment_training.options import TrainingOptions
from models.sentiment_training.tokenizer import SPECIAL_TOKENS

if TYPE_CHECKING:
    import torch

_LOG = logging.getLogger(__name__)


def teacher_probabilities(
    texts: Sequence[str], labels: Sequence[int], seed: int, folds: int = 5
) -> list[float] | None:
    """P(positive) from a character 1-3-gram TF-IDF logistic regression, cross-fitted: each
    sentence is scored by a teacher that never saw it. None without scikit-learn.

    On this corpus such a bag-of-n-grams is as accurate as the small transformer but
    errs differently; mixing its probability into the target (distillation) adds about
    half a point of held-out accuracy and keeps the transformer's scores less extreme.
    """
    try:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold
    except ImportError:
        _LOG.warning("scikit-learn is not installed: training without the n-gram teacher")
        return None
    y = np.asarray(labels)
    out = np.zeros(len(texts))
    for fit_idx, score_idx in StratifiedKFold(folds, shuffle=True, random_state=seed % 2**32).split(
        np.zeros(len(y)), y
    ):
        vectoriser = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True
        )
        features = vectoriser.fit_transform([texts[i] for i in fit_idx])
        teacher = LogisticRegression(C=4.0, solver="liblinear", max_iter=2000)
        teacher.fit(features, y[fit_idx])
        scored = vectoriser.transform([texts[i] for i in score_idx])
        out[score_idx] = teacher.predict_proba(scored)[:, 1]
    return [float(p) for p in out]


def fit(
    model: torch.nn.Module,
    encoded: dict[str, tuple[list[list[int]], list[int]]],
    targets: Sequence[float],
    options: TrainingOptions,
    progress: ProgressHook,
) -> tuple[dict[str, torch.Tensor], list[dict[str, float]], int]:
    """Trains on P(positive) targets; returns the best epoch's weights (by validation)."""
    import torch

    train_ids = encoded["train"][0]
    val_ids, val_labels = encoded["validation"]
    rng = random.Random(options.seed + 1)
    mask_id = SPECIAL_TOKENS.index("[MASK]")
    steps_per_epoch = -(-len(train_ids) // options.batch_size)
    total = steps_per_epoch * options.epochs
    warmup = max(1, int(total * options.warmup_share))
    optimizer, scheduler = _optimiser(model, options, total, warmup)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=options.label_smoothing)
    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, torch.Tensor]] = (-1.0, 0, {})
    step = 0
    progress("train", 0, total)
    for epoch in range(1, options.epochs + 1):
        model.train()
        running = 0.0
        for batch in _length_batches(train_ids, options.batch_size, rng):
            rows = [_masked(train_ids[i], options.token_mask, mask_id, rng) for i in batch]
            input_ids, mask = _pad(rows)
            positive = torch.tensor([targets[i] for i in batch])
            target = torch.stack([1 - positive, positive], dim=1)
            logits = model(input_ids=input_ids, attention_mask=mask).logits
            loss = loss_fn(logits, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.item()
            step += 1
            progress("train", step, total)
        val_accuracy = accuracy(model, val_ids, val_labels, options.batch_size)
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(running / steps_per_epoch, 4),
                "validation_accuracy": round(val_accuracy, 4),
            }
        )
        _LOG.info("epoch %d: validation accuracy %.4f", epoch, val_accuracy)
        if val_accuracy > best[0]:
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best = (val_accuracy, epoch, state)
    return best[2], history, best[1]


def _optimiser(
    model: torch.nn.Module, options: TrainingOptions, total: int, warmup: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW without weight decay on biases and LayerNorm; linear warm-up, then linear decay."""
    import torch

    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, param in model.named_parameters():
        (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": options.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=options.learning_rate,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))),
    )
    return optimizer, scheduler


def _masked(ids: list[int], share: float, mask_id: int, rng: random.Random) -> list[int]:
    """``ids`` with about ``share`` of its tokens (never [CLS]/[SEP]) replaced by [MASK]."""
    if share <= 0:
        return ids
    last = len(ids) - 1
    return [t if i in (0, last) or rng.random() >= share else mask_id for i, t in enumerate(ids)]


def _length_batches(
    ids: list[list[int]], batch_size: int, rng: random.Random
) -> Iterator[list[int]]:
    """Shuffled batches of similar length (less padding), in shuffled order."""
    order = list(range(len(ids)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(ids[i]))
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    yield from batches


def _pad(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)  # [PAD] is id 0
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def accuracy(
    model: torch.nn.Module, ids: list[list[int]], labels: list[int], batch_size: int
) -> float:
    import torch

    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(order), batch_size * 4):
            batch = order[start : start + batch_size * 4]
            input_ids, mask = _pad([ids[i] for i in batch])
            predicted = model(input_ids=input_ids, attention_mask=mask).logits.argmax(-1)
            correct += sum(
                int(p) == labels[i] for p, i in zip(predicted.tolist(), batch, strict=True)
            )
    return correct / max(1, len(ids))


def raw_scores(model: torch.nn.Module, ids: list[list[int]], batch_size: int) -> list[float]:
    """P(positive) - P(negative) for each encoded text."""
    import torch

    model.eval()
    out: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            input_ids, mask = _pad(ids[start : start + batch_size])
            probs = model(input_ids=input_ids, attention_mask=mask).logits.softmax(-1)
            out.extend((probs[:, 1] - probs[:, 0]).tolist())
    return out


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
