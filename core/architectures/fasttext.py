"""fastText (Joulin et al., 2016): the average of token and hashed n-gram vectors, then a linear layer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from core.architectures.base import Architecture, option
from core.architectures.scratch import ScratchClassifier, ScratchConfig

# fastText's own multiplier for hashing a run of token ids into one number.
HASH_MULTIPLIER = 116_049_371


@dataclass
class FastTextConfig(ScratchConfig):
    cheap_to_cross_validate = True
    learning_rate: float = option(0.2, "Peak step size of the Adagrad optimizer (Adagrad, unlike AdamW, takes sparse "
                                  "updates: each step changes only the vectors of the n-grams in its batch).",
                                  label="Learning rate", min=1e-6, max=10.0)
    weight_decay: float = option(0.0, "Pull of the output layer's weights towards zero (the n-gram vectors take "
                                 "none: Adagrad cannot apply it to sparse updates).", label="Weight decay",
                                 min=0.0, max=1.0)
    embedding_dim: int = option(64, "Size of each token's and n-gram's learned vector.", label="Vector size",
                                min=8, max=1024)
    dropout: float = option(0.2, "Share of units switched off at random while training, against overfitting.",
                            label="Dropout", min=0.0, max=0.9)
    ngrams: int = option(2, "Longest run of neighbouring tokens that gets a vector of its own (1 = single tokens; "
                         "2 adds pairs such as 'how many' or two Chinese characters that form a word).",
                         label="Longest n-gram", min=1, max=3)
    buckets: int = option(200_000, "Slots the n-grams are hashed into: more slots mean fewer n-grams sharing a "
                          "vector, and a bigger model file (slots x vector size x 4 bytes).", label="N-gram slots",
                          min=1_000, max=2_000_000)

    @classmethod
    def preset_values(cls, preset: str, n_train: int) -> dict[str, Any]:
        values = super().preset_values(preset, n_train)
        # The n-gram table dominates the model's size, so its vectors stay smaller than the other families'.
        values["embedding_dim"] = {"quick": 32, "balanced": 64, "best": 100}[preset]
        return values


def hashed_ngrams(tokens: torch.Tensor, mask: torch.Tensor, n: int, vocab_size: int, buckets: int) -> torch.Tensor:
    """Ids in [vocab_size, vocab_size + buckets) for every run of `n` real tokens, and 0 (padding) where a run
    reaches into padding, so however a text is padded it gets the same n-grams."""
    width = tokens.shape[1] - n + 1
    if width < 1:
        return tokens.new_zeros((tokens.shape[0], 0))
    hashed, real = tokens[:, :width], mask[:, :width]
    for offset in range(1, n):
        hashed = hashed * HASH_MULTIPLIER + tokens[:, offset : offset + width]
        real = real & mask[:, offset : offset + width]
    return torch.where(real, vocab_size + hashed.remainder(buckets), torch.zeros_like(hashed))


class FastTextModule(nn.Module):
    def __init__(self, vocab_size: int, n_classes: int, cfg: FastTextConfig):
        super().__init__()
        self.vocab_size, self.buckets, self.ngrams = vocab_size, cfg.buckets, cfg.ngrams
        rows = vocab_size + (cfg.buckets if cfg.ngrams > 1 else 0)
        # padding_idx leaves padded positions out of each text's mean, as if they were never there.
        self.embedding = nn.EmbeddingBag(rows, cfg.embedding_dim, mode="mean", padding_idx=0, sparse=True)
        # fastText's own start: near-zero vectors, so an n-gram seen once or never adds little noise to a mean.
        nn.init.uniform_(self.embedding.weight, -1 / cfg.embedding_dim, 1 / cfg.embedding_dim)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        self.dropout = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.embedding_dim, n_classes)

    def ids(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The rows of each text's bag: its tokens, then its hashed n-grams, 0 for padding."""
        ids = [torch.where(mask, tokens, torch.zeros_like(tokens))]
        ids += [hashed_ngrams(tokens, mask, n, self.vocab_size, self.buckets) for n in range(2, self.ngrams + 1)]
        return torch.cat(ids, dim=1)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.embedding(self.ids(tokens, mask))))


class MeanOfVectors(nn.Module):
    """FastTextModule with its bag spelled out as a lookup and a mean over the rows that are not padding. ONNX has
    no EmbeddingBag: the exporter writes it as a loop over texts, which ONNX Runtime ran 9 times slower than
    PyTorch on 64 texts (python -m benchmarks.predict_latency)."""

    def __init__(self, module: FastTextModule):
        super().__init__()
        self.module = module

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ids = self.module.ids(tokens, mask)
        kept = (ids != 0).unsqueeze(-1).float()
        vectors = nn.functional.embedding(ids, self.module.embedding.weight) * kept
        mean = vectors.sum(dim=1) / kept.sum(dim=1).clamp(min=1.0)
        return self.module.out(self.module.dropout(mean))


class FastTextClassifier(ScratchClassifier):
    config_cls = FastTextConfig
    arch_name = "fasttext"
    # Its n-gram table learns through sparse gradients, which NCCL cannot average across GPUs; it trains in
    # seconds on one anyway.
    distributable = False

    def build_module(self, vocab_size: int, n_classes: int) -> nn.Module:
        return FastTextModule(vocab_size, n_classes, self.config)

    def _export_module(self) -> nn.Module:
        return MeanOfVectors(self.module_)

    def _embedding_layer(self) -> nn.Module | None:
        # The bag averages the tokens' and n-grams' vectors in one step, so no vector per token comes out of it.
        return None

    def _optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        # A dense AdamW step rewrites the whole n-gram table every batch: at 200,000 buckets it trained twenty
        # times slower on a CPU (55 s against 2 s on TREC-6) and no more accurately. Torch builds its sparse
        # gradients valid, so its checks of them are switched off explicitly, as its warning about them asks.
        torch.sparse.check_sparse_tensor_invariants.disable()
        module = self.module_
        return torch.optim.Adagrad([{"params": module.embedding.parameters(), "weight_decay": 0.0},
                                    {"params": module.out.parameters()}],
                                   lr=self.config.learning_rate, weight_decay=self.config.weight_decay)


ARCHITECTURE = Architecture(
    name="fasttext",
    title="fastText",
    # Figures: benchmarks/RESULTS.md, accuracy of every architecture and the presets side by side.
    description="Averages a learned vector for every token and every pair of neighbouring tokens, then weighs "
                "the average for each class. Trains in seconds on a CPU; on our three samples it came within 2 "
                "points of TF-IDF, below it on each, with a far larger model file (about 50 MB).",
    model_cls=FastTextClassifier,
    summary="Averages word and word-pair vectors; trains in seconds.",
)
