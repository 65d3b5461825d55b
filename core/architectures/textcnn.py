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
                               label="Phrase widths", choices=["2,3,4", "3,4,5", "2,3,4,5", "3,5,7"])
    num_filters: int = option(100, "Filters per width: how many phrase patterns each width can learn.",
                              label="Filters per width", min=4, max=1024)


class TextCNNModule(nn.Module):
    def __init__(self, vocab_size: int, n_classes: int, cfg: TextCNNConfig):
        super().__init__()
        self.kernel_sizes = [int(k) for k in cfg.kernel_sizes.split(",")]
        self.embedding = token_embedding(vocab_size, cfg.embedding_dim)
        self.convs = nn.ModuleList(nn.Conv1d(cfg.embedding_dim, cfg.num_filters, k) for k in self.kernel_sizes)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.num_filters * len(self.kernel_sizes), n_classes)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Padded so a text shorter than the widest kernel still has one window for it. Windows past a text's end are
        # left out of the max: otherwise what a text is scored depends on how long the other texts of its batch are.
        width = max(self.kernel_sizes)
        x = self.embedding(nn.functional.pad(tokens, (0, width - 1))).transpose(1, 2)
        lengths = mask.sum(dim=1, keepdim=True)
        pooled = []
        for k, conv in zip(self.kernel_sizes, self.convs):
            windows = torch.relu(conv(x))
            inside = torch.arange(windows.shape[2], device=tokens.device) < (lengths - k + 1).clamp(min=1)
            pooled.append(windows.masked_fill(~inside.unsqueeze(1), 0.0).amax(dim=2))
        return self.out(self.dropout(torch.cat(pooled, dim=1)))


class TextCNNClassifier(ScratchClassifier):
    config_cls = TextCNNConfig
    arch_name = "textcnn"

    def build_module(self, vocab_size: int, n_classes: int) -> nn.Module:
        return TextCNNModule(vocab_size, n_classes, self.config)


ARCHITECTURE = Architecture(
    name="textcnn",
    title="TextCNN",
    # Figures: benchmarks/RESULTS.md, accuracy of every architecture and the presets side by side.
    description="Learns short phrase detectors (2 to 7 tokens wide) and keeps the strongest match of each. "
                "Seconds to a minute on a CPU for a few thousand short texts; on our three samples of messages, "
                "questions and news titles it was level with TF-IDF at best, and 7 points below it on Chinese.",
    model_cls=TextCNNClassifier,
    summary="Learns short phrase detectors; quick on short texts.",
)
