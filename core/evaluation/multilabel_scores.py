"""The scores of a multi-label model from 0/1 matrices (one row per text, one column per label), computed with
numpy so that many bootstrap resamples (any leading axes) are scored at once, and fast enough to recompute on every
move of a threshold slider. Each agrees with scikit-learn's: `f1_score(average=...)` with zero_division=0, except
the per-text F1, where a text rightly given no label counts 1 (scikit-learn's zero_division=1), `hamming_loss` and
`accuracy_score` (every label of a text right)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from core.formats.thresholds import LabelThresholds


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    top, bottom = np.broadcast_arrays(np.asarray(top, dtype=float), np.asarray(bottom, dtype=float))
    return np.divide(top, bottom, out=np.zeros(top.shape), where=bottom > 0)


def counts(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each label's true positives, false positives and false negatives over the texts (the second-last axis)."""
    t, p = truth.astype(bool), predicted.astype(bool)
    return (t & p).sum(axis=-2), (~t & p).sum(axis=-2), (t & ~p).sum(axis=-2)


def label_f1(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    tp, fp, fn = counts(truth, predicted)
    return _ratio(2 * tp, 2 * tp + fp + fn)


def micro_f1(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """F1 of every (text, label) decision pooled: frequent labels weigh most."""
    tp, fp, fn = counts(truth, predicted)
    return _ratio(2 * tp.sum(axis=-1), (2 * tp + fp + fn).sum(axis=-1))


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Each label's F1, averaged so every label counts the same."""
    return label_f1(truth, predicted).mean(axis=-1)


def weighted_f1(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Each label's F1, averaged in proportion to its test texts."""
    support = truth.astype(bool).sum(axis=-2)
    return _ratio((label_f1(truth, predicted) * support).sum(axis=-1), support.sum(axis=-1))


def samples_f1(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Each text's F1 between its true and predicted label sets, averaged over texts."""
    t, p = truth.astype(bool), predicted.astype(bool)
    size = t.sum(axis=-1) + p.sum(axis=-1)
    return np.where(size > 0, _ratio(2 * (t & p).sum(axis=-1), size), 1.0).mean(axis=-1)


def hamming_loss(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The share of (text, label) decisions that are wrong."""
    return (truth.astype(bool) != predicted.astype(bool)).mean(axis=(-2, -1))


def subset_accuracy(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The share of texts whose every label is right."""
    return (truth.astype(bool) == predicted.astype(bool)).all(axis=-1).mean(axis=-1)


SCORES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "micro_f1": micro_f1, "macro_f1": macro_f1, "weighted_f1": weighted_f1, "samples_f1": samples_f1,
    "hamming_loss": hamming_loss, "subset_accuracy": subset_accuracy,
}


def by_rows(score: Callable[[np.ndarray, np.ndarray], np.ndarray],
            *matrices: np.ndarray) -> Callable[..., np.ndarray]:
    """`score` of the texts picked by an array of row numbers, for the bootstrap, which resamples row numbers:
    statistic(rows) scores (matrices[0][rows], matrices[1][rows]); with three matrices (truth, A, B), the gap
    score(truth, A) - score(truth, B)."""
    def statistic(rows: np.ndarray, axis: int = -1) -> np.ndarray:
        rows = np.moveaxis(rows, axis, -1)
        truth, *predictions = (m[rows] for m in matrices)
        values = [score(truth, p) for p in predictions]
        return values[0] if len(values) == 1 else values[0] - values[1]

    return statistic


@dataclass(frozen=True)
class ThresholdEffect:
    """The scores at some thresholds: each label's row (label, threshold, precision, recall, f1, support) in the
    order of the classes, and the overall micro-, macro-F1 and share of texts with every label right."""

    per_label: pd.DataFrame
    micro_f1: float
    macro_f1: float
    subset_accuracy: float


def threshold_effect(truth01: np.ndarray, proba: np.ndarray, classes: Sequence[str],
                     thresholds: LabelThresholds) -> ThresholdEffect:
    """What the test scores would be with these thresholds: one comparison and a few sums, so a slider can redo it
    on every move."""
    chosen = thresholds.decide(proba, classes)
    tp, fp, fn = counts(truth01, chosen)
    per_label = pd.DataFrame({
        "label": [str(c) for c in classes], "threshold": thresholds.for_classes(classes),
        "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn), "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "support": tp + fn,
    })
    return ThresholdEffect(per_label, float(micro_f1(truth01, chosen)), float(macro_f1(truth01, chosen)),
                           float(subset_accuracy(truth01, chosen)))
