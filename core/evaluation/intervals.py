"""How sure a score is: bootstrap confidence intervals, and whether one run really beats another.

The statistics work on integer class codes and are vectorized over resamples, so SciPy's bootstrap can draw a
thousand resamples of a large test set in well under a second.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.stats import binomtest, bootstrap

from core.evaluation.multilabel_scores import by_rows, micro_f1, subset_accuracy
from core.evaluation.multilabel_scores import macro_f1 as multilabel_macro_f1

RESAMPLES = 1000
SEED = 0


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, axis: int = -1) -> np.ndarray:
    return (y_true == y_pred).mean(axis=axis)


def macro_f1(n_classes: int) -> Callable[..., np.ndarray]:
    """Macro-F1 over codes 0..n_classes-1, as scikit-learn's f1_score(average='macro', zero_division=0) with
    every class listed: a class never seen nor predicted counts as 0. One bincount per call builds every
    resample's confusion matrix at once, so the cost does not grow with the number of classes."""
    k = n_classes

    def statistic(y_true: np.ndarray, y_pred: np.ndarray, axis: int = -1) -> np.ndarray:
        y_true, y_pred = np.moveaxis(y_true, axis, -1), np.moveaxis(y_pred, axis, -1)
        lead = y_true.shape[:-1]
        m = int(np.prod(lead))
        cells = y_true.reshape(m, -1) * k + y_pred.reshape(m, -1) + np.arange(m)[:, None] * (k * k)
        matrices = np.bincount(cells.ravel(), minlength=m * k * k).reshape(m, k, k)
        tp = np.diagonal(matrices, axis1=1, axis2=2)
        denominator = matrices.sum(axis=2) + matrices.sum(axis=1)
        f1 = np.divide(2 * tp, denominator, out=np.zeros(tp.shape), where=denominator > 0)
        return f1.mean(axis=-1).reshape(lead)

    return statistic


def interval(samples: tuple[np.ndarray, ...], statistic: Callable[..., np.ndarray],
             seed: int = SEED, resamples: int = RESAMPLES, width: int = 1) -> tuple[float, float]:
    """The 95% percentile bootstrap interval of `statistic(*samples)`, resampling test examples (the rows of all
    samples together). The percentile method stays defined when every resample scores the same, e.g. 100%.
    `width` is how many values the statistic reads per example (a multi-label text's labels), to size batches."""
    if len(samples[0]) < 2:
        value = float(statistic(*samples))
        return value, value
    # Resamples per batch, so that one batch holds about 4 million codes (32 MB an array) however large the test set.
    batch = max(1, min(resamples, 4_000_000 // (len(samples[0]) * max(width, 1))))
    result = bootstrap(samples, statistic, n_resamples=resamples, paired=True, vectorized=True,
                       method="percentile", rng=np.random.default_rng(seed), batch=batch)
    low, high = result.confidence_interval
    return float(low), float(high)


@dataclass(frozen=True)
class Comparison:
    """Run A against run B on the same test texts. Differences are A minus B."""

    n: int
    accuracy_difference: float
    accuracy_interval: tuple[float, float]
    macro_f1_difference: float
    macro_f1_interval: tuple[float, float]
    only_a_right: int  # texts A gets right and B wrong
    only_b_right: int
    mcnemar_p: float  # exact McNemar test on those two counts
    micro_f1_difference: float | None = None  # multi-label runs only; "right" is then every label of a text right
    micro_f1_interval: tuple[float, float] | None = None

    @property
    def significant(self) -> bool:
        """Larger than chance: the interval of the macro-F1 difference leaves out zero."""
        low, high = self.macro_f1_interval
        return low > 0 or high < 0


def compare(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, n_classes: int,
            seed: int = SEED, resamples: int = RESAMPLES) -> Comparison:
    """Paired bootstrap of the differences in accuracy and macro-F1, and McNemar's exact test on accuracy."""
    f1 = macro_f1(n_classes)

    def accuracy_gap(t, a, b, axis=-1):
        return accuracy(t, a, axis) - accuracy(t, b, axis)

    def f1_gap(t, a, b, axis=-1):
        return f1(t, a, axis) - f1(t, b, axis)

    intervals = [interval((y_true, pred_a, pred_b), gap, seed, resamples) for gap in (accuracy_gap, f1_gap)]
    only_a, only_b, p = mcnemar(y_true == pred_a, y_true == pred_b)
    return Comparison(
        n=len(y_true),
        accuracy_difference=float(accuracy_gap(y_true, pred_a, pred_b)), accuracy_interval=intervals[0],
        macro_f1_difference=float(f1_gap(y_true, pred_a, pred_b)), macro_f1_interval=intervals[1],
        only_a_right=only_a, only_b_right=only_b, mcnemar_p=p,
    )


def mcnemar(a_right: np.ndarray, b_right: np.ndarray) -> tuple[int, int, float]:
    """The texts only A gets right, only B, and the exact McNemar p-value of that split."""
    only_a, only_b = int((a_right & ~b_right).sum()), int((b_right & ~a_right).sum())
    return only_a, only_b, float(binomtest(only_a, only_a + only_b).pvalue if only_a + only_b else 1.0)


def compare_multilabel(truth: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray,
                       seed: int = SEED, resamples: int = RESAMPLES) -> Comparison:
    """Two multi-label runs on the same texts (0/1 matrices, a column per label): paired bootstrap of the gaps in
    micro-F1, macro-F1 and the share of texts with every label right, and McNemar's exact test on that share."""
    rows = np.arange(len(truth))

    def gap(score):
        value = float(by_rows(score, truth, pred_a, pred_b)(rows))
        return value, interval((rows,), by_rows(score, truth, pred_a, pred_b), seed, resamples, truth.shape[1])

    (accuracy_difference, accuracy_span), (macro, macro_span), (micro, micro_span) = (
        gap(score) for score in (subset_accuracy, multilabel_macro_f1, micro_f1))
    only_a, only_b, p = mcnemar((truth == pred_a).all(axis=1), (truth == pred_b).all(axis=1))
    return Comparison(n=len(truth), accuracy_difference=accuracy_difference, accuracy_interval=accuracy_span,
                      macro_f1_difference=macro, macro_f1_interval=macro_span, only_a_right=only_a,
                      only_b_right=only_b, mcnemar_p=p, micro_f1_difference=micro, micro_f1_interval=micro_span)
