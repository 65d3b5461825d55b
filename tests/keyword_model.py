"""A stand-in for a multi-label model, following the model contract of several labels per text: each label's
probability grows with how many of its keywords a text holds, judged on its own, and a threshold per label chooses."""
from __future__ import annotations

import numpy as np

from core.formats.thresholds import LabelThresholds
from tests.conftest import WORDS

# One keyword (probability 0.5) is enough for sport; food and tech (the fallback) need two (0.95).
THRESHOLDS = LabelThresholds({"sport": 0.4, "food": 0.6}, fallback=0.7)


class KeywordModel:
    """P(label) = 0.05 + 0.45 per keyword of the label in the text, at most 0.95; no keyword gives 0.05."""

    multilabel_ = True

    def __init__(self, thresholds: LabelThresholds = THRESHOLDS):
        self.classes_ = np.array(sorted(WORDS))
        self.label_thresholds_ = thresholds

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        hits = np.array([[sum(word in text.split() for word in WORDS[c]) for c in self.classes_] for text in texts])
        return np.minimum(0.95, 0.05 + 0.45 * hits).reshape(len(texts), len(self.classes_))

    def predict(self, texts: list[str]) -> list[tuple[str, ...]]:
        chosen = self.label_thresholds_.decide(self.predict_proba(texts), self.classes_)
        return [tuple(str(c) for c, on in zip(self.classes_, row) if on) for row in chosen]

    def token_gradients(self, text: str, target: int) -> None:
        """Rules have no vector per token to take gradients of."""
        return None
