"""The shared half of every torch architecture: tokenize, batch, run the training loop, save as safetensors.

A family file only defines its config fields and `build_module(vocab_size, n_classes)`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from core.architectures.base import ArchConfig, TextClassifier, classification_metrics, option
from core.datasets import TextSet
from core.device import DEVICE_CHOICES, pick_device
from core.tokenization import PAD_ID, encode, load_tokenizer, save_tokenizer, train_tokenizer
from core.training import Batch, Callback, train_loop

WEIGHTS_FILE = "model.safetensors"


@dataclass
class NeuralConfig(ArchConfig):
    epochs: int = option(5, "Passes over the training data.", min=1, max=200)
    batch_size: int = option(32, "Texts per training step.", min=1, max=1024)
    learning_rate: float = option(2e-3, "Step size of the AdamW optimizer.", min=1e-6, max=1.0)
    weight_decay: float = option(0.01, "AdamW weight decay (a pull towards small weights).", min=0.0, max=1.0)
    max_length: int = option(128, "Tokens kept per text; longer texts are cut.", min=8, max=4096)
    vocab_size: int = option(20_000, "Size of the subword vocabulary learned from the training texts.", min=500, max=200_000)
    embedding_dim: int = option(128, "Size of each token's learned vector.", min=8, max=1024)
    dropout: float = option(0.3, "Share of units switched off at random while training, against overfitting.", min=0.0, max=0.9)
    device: str = option("auto", "Where to train: 'auto' picks a GPU when the server has one.", choices=list(DEVICE_CHOICES))


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def collate(ids: Sequence[list[int]], targets: Sequence[int] | None = None) -> Batch:
    """Pad to the longest text in the batch (dynamic padding), with a mask of real tokens."""
    longest = max(len(x) for x in ids)
    tokens = torch.full((len(ids), longest), PAD_ID, dtype=torch.long)
    for row, seq in enumerate(ids):
        tokens[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    target = torch.tensor(list(targets) if targets is not None else [0] * len(ids), dtype=torch.long)
    return {"tokens": tokens, "mask": tokens != PAD_ID}, target


def length_bucketed(lengths: Sequence[int], batch_size: int, generator: torch.Generator,
                    pool_batches: int = 50) -> list[list[int]]:
    """Shuffled batches of indices whose texts have similar lengths, so little of each batch is padding.

    Texts are shuffled, cut into pools of `pool_batches` batches, sorted by length within each pool and
    batched; the batch order is then shuffled again so lengths do not rise steadily through an epoch.
    """
    order = torch.randperm(len(lengths), generator=generator).tolist()
    pool = batch_size * pool_batches
    batches = []
    for start in range(0, len(order), pool):
        by_length = sorted(order[start : start + pool], key=lengths.__getitem__)
        batches += [by_length[i : i + batch_size] for i in range(0, len(by_length), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


class TorchClassifier(TextClassifier):
    config_cls = NeuralConfig

    def build_module(self, vocab_size: int, n_classes: int) -> nn.Module:
        raise NotImplementedError

    def fit(self, train: TextSet, val: TextSet | None = None, callbacks: Sequence[Callback] = ()) -> "TorchClassifier":
        cfg = self.config
        seed_everything(cfg.seed)
        device = pick_device(cfg.device)
        targets = self._encode_labels(train.labels)
        self.tokenizer_ = train_tokenizer(train.texts, cfg.vocab_size, cfg.max_length)
        self.module_ = self.build_module(self.tokenizer_.get_vocab_size(), len(self.classes_))
        train_ids = encode(self.tokenizer_, train.texts)
        lengths = [len(ids) for ids in train_ids]
        generator = torch.Generator().manual_seed(cfg.seed)
        steps_per_epoch = -(-len(train_ids) // cfg.batch_size)

        def batches(epoch: int) -> Iterator[Batch]:
            for chunk in length_bucketed(lengths, cfg.batch_size, generator):
                yield collate([train_ids[i] for i in chunk], targets[chunk])

        def evaluate() -> dict[str, float]:
            if val is None or not val.texts:
                return {}
            return classification_metrics(self._label_indices(val.labels), self.predict_proba(val.texts))

        self.module_.to(device)
        # The fused AdamW step is several times faster than the default on CPU as well as on CUDA.
        optimizer = torch.optim.AdamW(self.module_.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay,
                                      fused=device.type in ("cpu", "cuda") or None)
        train_loop(self.module_, optimizer, batches, steps_per_epoch, cfg.epochs, evaluate, callbacks, device)
        self.module_.to("cpu").eval()
        return self

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        self.module_.eval()
        device = next(self.module_.parameters()).device
        ids = encode(self.tokenizer_, texts)
        out = []
        for start in range(0, len(ids), batch_size):
            inputs, _ = collate(ids[start : start + batch_size])
            logits = self.module_(**{k: v.to(device) for k, v in inputs.items()})
            out.append(torch.softmax(logits.double(), dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes_)))

    def _save_weights(self, directory: Path) -> None:
        save_tokenizer(self.tokenizer_, directory)
        save_file({k: v.contiguous().cpu() for k, v in self.module_.state_dict().items()}, str(directory / WEIGHTS_FILE))

    def _load_weights(self, directory: Path) -> None:
        self.tokenizer_ = load_tokenizer(directory)
        self.module_ = self.build_module(self.tokenizer_.get_vocab_size(), len(self.classes_))
        self.module_.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
        self.module_.eval()
