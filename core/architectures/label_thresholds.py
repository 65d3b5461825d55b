"""How a multi-label model turns each label's probability into a yes or no: a threshold per label, tuned on the
validation texts to maximise that label's F1, kept with the model."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import f1_score, log_loss, precision_recall_curve

FALLBACK = 0.5
# A label with fewer validation texts than this keeps the fallback: a threshold tuned on two or three examples
# follows their noise, not the label.
MIN_TUNING_POSITIVES = 5


@dataclass(frozen=True)
class LabelThresholds:
    """A threshold per label (by name), the one for labels without their own, and whether every text gets at least
    its most likely label even when none passes its threshold."""

    thresholds: dict[str, float] = field(default_factory=dict)
    fallback: float = FALLBACK
    at_least_one: bool = False

    def for_classes(self, classes: Sequence[str]) -> np.ndarray:
        return np.array([self.thresholds.get(str(c), self.fallback) for c in classes], dtype=np.float64)

    def decide(self, proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
        """The 0/1 matrix of chosen labels: each label whose probability reaches its threshold."""
        chosen = (proba >= self.for_classes(classes)).astype(np.int64)
        if self.at_least_one and len(proba) and proba.shape[1]:
            none = chosen.sum(axis=1) == 0
            chosen[np.flatnonzero(none), proba[none].argmax(axis=1)] = 1
        return chosen

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": dict(self.thresholds), "fallback": self.fallback, "at_least_one": self.at_least_one}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> LabelThresholds:
        data = data or {}
        thresholds = {str(k): _probability(v, f"the threshold of '{k}'") for k, v in data.get("thresholds", {}).items()}
        return cls(thresholds, _probability(data.get("fallback", FALLBACK), "the fallback threshold"),
                   bool(data.get("at_least_one", False)))


def _probability(value: Any, what: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{what} must be between 0 and 1; got {value}")
    return number


def best_threshold(truth: np.ndarray, scores: np.ndarray, fallback: float = FALLBACK) -> float:
    """The threshold that maximises F1 of one label on these texts; `fallback` when too few texts have the label.
    Between two probabilities the midpoint is taken, so a text scored a hair below the best one is not cut off."""
    if int(truth.sum()) < MIN_TUNING_POSITIVES:
        return fallback
    precision, recall, cuts = precision_recall_curve(truth, scores)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)[:-1]
    best = int(np.argmax(f1))
    below = scores[scores < cuts[best]]
    return float((cuts[best] + below.max()) / 2) if len(below) else float(cuts[best])


def tune(truth: np.ndarray, proba: np.ndarray, classes: Sequence[str], fallback: float = FALLBACK,
         at_least_one: bool = False) -> LabelThresholds:
    """Each label's F1-best threshold on validation texts (`truth` a 0/1 matrix in `classes` order)."""
    return LabelThresholds({str(c): best_threshold(truth[:, k], proba[:, k], fallback) for k, c in enumerate(classes)},
                           fallback, at_least_one)


def multilabel_metrics(truth: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """What the training curves show of a multi-label model, at the fallback threshold: the mean binary
    cross-entropy per label, subset accuracy (every label of a text right) and macro-F1 over labels."""
    chosen = (proba >= FALLBACK).astype(np.int64)
    clipped = np.clip(proba, 1e-7, 1 - 1e-7)
    loss = float(np.mean([log_loss(truth[:, k], clipped[:, k], labels=[0, 1]) for k in range(truth.shape[1])]))
    return {
        "loss": loss,
        "accuracy": float((chosen == truth).all(axis=1).mean()),
        "macro_f1": float(f1_score(truth, chosen, average="macro", zero_division=0)),
    }
