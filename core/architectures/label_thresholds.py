"""How a multi-label model learns its thresholds: each label's own, tuned on the validation texts to maximise that
label's F1, and kept with the model as a LabelThresholds (core.formats.thresholds, where saved models read them);
and the scores its training curves show."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import f1_score, log_loss, precision_recall_curve

from core.formats.thresholds import FALLBACK, LabelThresholds

# A label with fewer validation texts than this keeps the fallback: a threshold tuned on two or three examples
# follows their noise, not the label.
MIN_TUNING_POSITIVES = 5


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
