"""Networks trained from nothing on the user's data, with a subword tokenizer learned from the training split.

A family file defines its config fields and `build_module(vocab_size, n_classes)`; this file does the rest.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from core.architectures.base import option
from core.architectures.neural import TorchClassifier, TrainingConfig
from core.architectures.tokenization import (PAD_ID, UNK, encode, encode_with_offsets, load_tokenizer, save_tokenizer,
                                             train_tokenizer)

WEIGHTS_FILE = "model.safetensors"


@dataclass
class ScratchConfig(TrainingConfig):
    vocab_size: int = option(20_000, "Size of the subword vocabulary learned from the training texts.",
                             label="Vocabulary size", min=500, max=200_000)
    embedding_dim: int = option(128, "Size of each token's learned vector.", label="Vector size", min=8, max=1024)
    dropout: float = option(0.3, "Share of units switched off at random while training, against overfitting.",
                            label="Dropout", min=0.0, max=0.9)

    @classmethod
    def preset_values(cls, preset: str, n_train: int) -> dict[str, Any]:
        values = super().preset_values(preset, n_train)
        if preset == "quick":
            values["embedding_dim"] = 64
        elif preset == "best":
            values["embedding_dim"] = 256
        return values


def check_shapes(described: dict[str, torch.Tensor], weights: Path) -> None:
    """Refuse a weights file whose tensors are not of the shapes the model's settings describe."""
    with safe_open(str(weights), framework="pt") as held:
        shapes = {key: tuple(held.get_slice(key).get_shape()) for key in held.keys()}
    # Shapes, not names: a family may rename an older model's weights as they load (see bilstm.py).
    if sorted(shapes.values()) != sorted(tuple(value.shape) for value in described.values()):
        expected = sum(math.prod(v.shape) for v in described.values())
        found = sum(math.prod(s) for s in shapes.values())
        raise ValueError(f"the settings and classes in its bundle.json describe a model of {expected:,} weights but "
                         f"{weights.name} holds {found:,} in other shapes: they are not of one model")


def token_embedding(vocab_size: int, dim: int, std: float = 0.1) -> nn.Embedding:
    """Token vectors that start small, with padding at zero. From torch's N(0, 1) start a rare token keeps a
    large random vector that training hardly moves, noise that cost TextCNN 8 points of accuracy on TREC-6."""
    embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD_ID)
    nn.init.normal_(embedding.weight, std=std)
    with torch.no_grad():
        embedding.weight[PAD_ID].zero_()
    return embedding


class ScratchClassifier(TorchClassifier):
    config_cls = ScratchConfig

    def build_module(self, vocab_size: int, n_classes: int) -> nn.Module:
        raise NotImplementedError

    def _fit_tokenizer(self, texts: Sequence[str]) -> None:
        self.tokenizer_ = train_tokenizer(texts, self.config.vocab_size, self.config.max_length)
        self.pad_id_ = PAD_ID

    def _encode(self, texts: Sequence[str], truncate: bool = True) -> list[list[int]]:
        if truncate:
            return encode(self.tokenizer_, texts)
        whole = self.tokenizer_.from_str(self.tokenizer_.to_str())
        whole.no_truncation()
        return encode(whole, texts)

    def _encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        return encode_with_offsets(self.tokenizer_, text)

    def _build_module(self, n_classes: int) -> nn.Module:
        return self.build_module(self.tokenizer_.get_vocab_size(), n_classes)

    def _embedding_layer(self) -> nn.Module | None:
        """Every family's module names its token vectors `embedding`."""
        return self.module_.embedding

    def _export_tokenizer(self, directory: Path) -> dict[str, Any]:
        save_tokenizer(self.tokenizer_, directory)
        return {"empty_id": self.tokenizer_.token_to_id(UNK)}

    def _save_weights(self, directory: Path) -> None:
        save_tokenizer(self.tokenizer_, directory)
        save_file({k: v.contiguous().cpu() for k, v in self.module_.state_dict().items()}, str(directory / WEIGHTS_FILE))

    def _load_weights(self, directory: Path) -> None:
        self.tokenizer_ = load_tokenizer(directory)
        self.pad_id_ = PAD_ID
        # Built first without memory, from bundle.json's settings alone: settings that describe a far larger model
        # than the weights file holds (2,000,000 n-gram slots of 1,024 numbers: 8 GB) are refused before any of it
        # is allocated.
        with torch.device("meta"):
            described = self._build_module(len(self.classes_)).state_dict()
        check_shapes(described, directory / WEIGHTS_FILE)
        self.module_ = self._build_module(len(self.classes_))
        self.module_.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
        self.module_.eval()
