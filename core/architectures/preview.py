"""What a model will make of a dataset, shown before training: token lengths against the cut, and warnings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from core.architectures.base import TextClassifier


@dataclass
class Preview:
    warnings: list[str] = field(default_factory=list)
    lengths: list[int] | None = None  # tokens per training text before cutting; None for a model without a cut
    max_length: int | None = None

    @property
    def n_cut(self) -> int:
        if self.lengths is None or self.max_length is None:
            return 0
        return sum(n > self.max_length for n in self.lengths)

    @property
    def cut_share(self) -> float:
        return self.n_cut / len(self.lengths) if self.lengths else 0.0


def preview(model: TextClassifier, texts: Sequence[str]) -> Preview:
    lengths = model.token_lengths(texts)
    return Preview(warnings=model.check_data(texts), lengths=lengths,
                   max_length=getattr(model.config, "max_length", None) if lengths is not None else None)
