"""BiLSTM: embeddings, a bidirectional LSTM, dropout and a dense softmax layer (the classic news-topic network)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.architectures.base import Architecture, option
from core.architectures.scratch import ScratchClassifier, ScratchConfig


@dataclass
class BiLSTMConfig(ScratchConfig):
    hidden_size: int = option(128, "Memory cells per direction: how much the network can carry along a text.", min=8, max=2048)
    num_layers: int = option(1, "Stacked LSTM layers.", min=1, max=4)


class BiLSTMModule(nn.Module):
    def __init__(self, vocab_size: int, n_classes: int, cfg: BiLSTMConfig):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, cfg.embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(cfg.embedding_dim, cfg.hidden_size, num_layers=cfg.num_layers, batch_first=True,
                            bidirectional=True, dropout=cfg.dropout if cfg.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(2 * cfg.hidden_size, n_classes)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, (hidden, _) = self.lstm(packed)
        # The last layer's final states, forward and backward, summarize the whole text.
        summary = torch.cat([hidden[-2], hidden[-1]], dim=1)
        return self.out(self.dropout(summary))


class BiLSTMClassifier(ScratchClassifier):
    config_cls = BiLSTMConfig
    arch_name = "bilstm"

    def build_module(self, vocab_size: int, n_classes: int) -> nn.Module:
        return BiLSTMModule(vocab_size, n_classes, self.config)


ARCHITECTURE = Architecture(
    name="bilstm",
    title="BiLSTM",
    description="Reads each text word by word in both directions and remembers what matters. "
                "Slower to train than TextCNN; good when word order carries meaning.",
    model_cls=BiLSTMClassifier,
)
