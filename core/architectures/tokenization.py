"""A subword tokenizer trained on the training split with Hugging Face `tokenizers`.

English words fall into WordPiece subwords; Chinese, Japanese and Korean characters are split one by one
(the BERT normalizer puts spaces around them), so no language depends on whitespace-separated words.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

PAD, UNK = "[PAD]", "[UNK]"
PAD_ID = 0
TOKENIZER_FILE = "tokenizer.json"


def train_tokenizer(texts: Sequence[str], vocab_size: int, max_length: int, lowercase: bool = True) -> Tokenizer:
    tokenizer = Tokenizer(models.WordPiece(unk_token=UNK))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, lowercase=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # No "##" prefix on word-inner pieces: tokenizers assigns the ids of those prefixed pieces in hash-map
    # order, which changes merge ties and so the vocabulary from run to run (huggingface/tokenizers#1794),
    # and the same seed on the same data must give the same model.
    # min_frequency=1: a word seen once keeps a token of its own. At 2 it was spelled in fragments ("fo", "w",
    # "l") that it shared with unrelated words: noise that cost TextCNN half a point of accuracy on TREC-6.
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=1, special_tokens=[PAD, UNK],
                                        show_progress=False, continuing_subword_prefix="")
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.enable_truncation(max_length)
    return tokenizer


def encode(tokenizer: Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids per text; an empty encoding becomes one [UNK] so every text has a length of at least 1."""
    unk = tokenizer.token_to_id(UNK)
    return [enc.ids or [unk] for enc in tokenizer.encode_batch(list(texts))]


def encode_with_offsets(tokenizer: Tokenizer, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """`encode` of one text, with each token's character span in the text as given (before normalizing)."""
    enc = tokenizer.encode(text)
    if not enc.ids:
        return [tokenizer.token_to_id(UNK)], [(0, 0)]
    return enc.ids, enc.offsets


def save_tokenizer(tokenizer: Tokenizer, directory: Path) -> None:
    tokenizer.save(str(directory / TOKENIZER_FILE))


def load_tokenizer(directory: Path) -> Tokenizer:
    return Tokenizer.from_file(str(directory / TOKENIZER_FILE))
