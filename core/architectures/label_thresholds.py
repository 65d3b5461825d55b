"""How a multi-label model learns its thresholds: each label's own, tuned on the validation texts to maximise that
label's F1, and kept with the model as a LabelThresholds (core.formats.thresholds, where saved models read them);
and the scores its training curves show."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import f1_score, log_loss, precision_recall_curve

from core.formats.thresholds import FALLBACK, LabelThresholds

# A label with fewer validation texts than this keeps the fallback: a threshold tuned on a handful of examples
# follows their noise, not the label. With 5, the rare labels of the disaster sample got thresholds near 0.01 that
# gave them to hundreds of test texts, costing TextCNN ten points of micro-F1.
MIN_TUNING_POSITIVES = 20
# A tuned threshold may give a label to at most this many texts for each text that has it.
MAX_GIVEN_PER_TEXT_WITH_IT = 2.0


def best_threshold(truth: np.ndarray, scores: np.ndarray, fallback: float = FALLBACK) -> float:
    """The threshold that maximises F1 of one label on these texts, among those that give the label to at most
    MAX_GIVEN_PER_TEXT_WITH_IT times as many texts as have it; `fallback` when too few texts have the label or no
    threshold qualifies. Between two probabilities the midpoint is taken, so a text scored a hair below the best one
    is not cut off."""
    positives = int(truth.sum())
    if positives < MIN_TUNING_POSITIVES:
        return fallback
    precision, recall, cuts = precision_recall_curve(truth, scores)
    precision, recall = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    # Given to recall * positives / precision texts: a label the model barely tells apart reaches its best F1 by
    # going to nearly every text, which lifts macro-F1 and makes every answer a long list of labels.
    f1 = np.where(recall <= MAX_GIVEN_PER_TEXT_WITH_IT * precision, f1, -1.0)
    if f1.max() <= 0:
        return fallback
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
