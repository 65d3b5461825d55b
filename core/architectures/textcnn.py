"""TextCNN (Kim, 2014): convolutions of several widths over token embeddings, max-pooled over time."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.architectures.base import Architecture, option
from core.architectures.scratch import ScratchClassifier, ScratchConfig, token_embedding


@dataclass
class TextCNNConfig(ScratchConfig):
    # Subword tokens are shorter than words, and Chinese ones single characters, so the widths start at 2.
    kernel_sizes: str = option("2,3,4", "Widths, in tokens, of the phrase detectors (one set of filters per width).",
                               choices=["2,3,4", "3,4,5", "2,3,4,5", "3,5,7"])
    num_filters: int = option(100, "Filters per width: how many phrase patterns each width can learn.", min=4, max=1024)


class TextCNNModule(nn.Module):
    def __init__(self, vocab_size: int, n_classes: int, cfg: TextCNNConfig):
        super().__init__()
        self.kernel_sizes = [int(k) for k in cfg.kernel_sizes.split(",")]
        self.embedding = token_embedding(vocab_size, cfg.embedding_dim)
        self.convs = nn.ModuleList(nn.Conv1d(cfg.embedding_dim, cfg.num_filters, k) for k in self.kernel_sizes)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.num_filters * len(self.kernel_sizes), n_classes)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Short texts are padded up to the widest kernel so every convolution has at least one window.
        width = max(self.kernel_sizes)
        if tokens.shape[1] < width:
            tokens = nn.functional.pad(tokens, (0, width - tokens.shape[1]))
        x = self.embedding(tokens).transpose(1, 2)
        pooled = [torch.relu(conv(x)).amax(dim=2) for conv in self.convs]
        return self.out(self.dropout(torch.cat(pooled, dim=1)))


class TextCNNClassifier(ScratchClassifier):
    config_cls = TextCNNConfig
    arch_name = "textcnn"

    def build_module(self, vocab_size: int, n_classes: int) -> nn.Module:
        return TextCNNModule(vocab_size, n_classes, self.config)


ARCHITECTURE = Architecture(
    name="textcnn",
    title="TextCNN",
    description="Learns short phrase detectors (2 to 7 tokens wide) and keeps the strongest match of each. "
                "Fast and strong on short texts such as titles, questions and messages.",
    model_cls=TextCNNClassifier,
)
