"""The sentiment model's tokenizer, learnt from the training sentences alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from models.sentiment_training.options import TrainingOptions

if TYPE_CHECKING:
    from tokenizers import Tokenizer

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def build_tokenizer(texts: Sequence[str], options: TrainingOptions) -> Tokenizer:
    """A tokenizer learnt from ``texts``: subwords (``bpe``/``unigram``: runs of Han
    characters split into frequent words such as 服务, 太差了, 谢谢) or ``char`` (one token per
    Han character, as BERT-Chinese). Unseen words fall back to single characters."""
    from tokenizers import normalizers
    from tokenizers.processors import TemplateProcessing

    tokenizer, trainer = _untrained(options)
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFKC(),  # full-width punctuation and digits as their ASCII forms
            normalizers.BertNormalizer(
                clean_text=True,
                handle_chinese_chars=options.tokenizer == "char",
                strip_accents=True,
                lowercase=True,
            ),
        ]
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return tokenizer


def _untrained(options: TrainingOptions) -> tuple[Tokenizer, Any]:
    """The empty tokenizer of ``options.tokenizer``'s kind (its model, pre-tokenizer and
    decoder) and the trainer that learns its vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    specials = list(SPECIAL_TOKENS)
    trainer: Any
    if options.tokenizer == "char":
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece(prefix="##")
        trainer = trainers.WordPieceTrainer(
            vocab_size=options.vocab_size,
            min_frequency=2,
            special_tokens=specials,
            show_progress=False,
        )
    else:
        if options.tokenizer == "bpe":
            tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
            trainer = trainers.BpeTrainer(
                vocab_size=options.vocab_size,
                min_frequency=2,
                special_tokens=specials,
                show_progress=False,
                max_token_length=6,
            )
        else:
            tokenizer = Tokenizer(models.Unigram())
            trainer = trainers.UnigramTrainer(
                vocab_size=options.vocab_size,
                special_tokens=specials,
                unk_token="[UNK]",
                show_progress=False,
                max_piece_length=6,
            )
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.WhitespaceSplit(),
                pre_tokenizers.Punctuation(),
                pre_tokenizers.Digits(individual_digits=False),
            ]
        )
    return tokenizer, trainer


def encode(tokenizer: Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """The token ids of each text ([CLS] ... [SEP], truncated as the tokenizer is set)."""
    return [e.ids for e in tokenizer.encode_batch(list(texts))]
