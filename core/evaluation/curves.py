"""Curves of a test report: ROC and precision-recall per class, reliability of the confidence, and the
decision-threshold sweep of a two-class model. All computed by scikit-learn and thinned for storage."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from core.evaluation.report_records import Calibration, ClassCurves, ThresholdSweep

MAX_POINTS = 200  # per curve: enough to draw it smoothly, few enough to keep the report small
CALIBRATION_BINS = 10
THRESHOLDS = np.round(np.linspace(0.0, 1.0, 101), 2)


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    n = len(arrays[0])
    keep = np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).round().astype(int)) if n else np.array([], int)
    return [np.round(a[keep], 5).tolist() for a in arrays]


def one_vs_rest(codes: np.ndarray, proba: np.ndarray, classes: Sequence[str]) -> list[ClassCurves]:
    """Per class (one against the rest): the ROC curve with its area, and the precision-recall curve with its
    average precision. A class absent from the test texts has neither and is left out."""
    drawn = (binary(name, codes == k, proba[:, k]) for k, name in enumerate(classes))
    return [curve for curve in drawn if curve is not None]


def binary(name: str, positive: np.ndarray, scores: np.ndarray) -> ClassCurves | None:
    """The ROC and precision-recall curves of one yes-or-no question (`positive` the texts whose answer is yes,
    `scores` the model's probability of yes); None when every text, or none, is a yes: there is nothing to tell
    apart."""
    if positive.all() or not positive.any():
        return None
    fpr, tpr, _ = roc_curve(positive, scores)
    precision, recall, _ = precision_recall_curve(positive, scores)
    fpr, tpr = _thin(fpr, tpr)
    recall, precision = _thin(recall, precision)
    return ClassCurves(
        class_name=name, roc_auc=float(roc_auc_score(positive, scores)), fpr=fpr, tpr=tpr,
        average_precision=float(average_precision_score(positive, scores)),
        recall=recall, precision=precision, prevalence=float(positive.mean()),
    )


def reliability(codes: np.ndarray, proba: np.ndarray, n_bins: int = CALIBRATION_BINS) -> Calibration:
    """How often the model is right against how sure it says it is, in equal-width bins of its confidence, and
    the expected calibration error: the gap between the two, averaged over texts."""
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == codes).astype(int)
    accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=n_bins, strategy="uniform")
    # The same binning as calibration_curve's, to know how many texts each non-empty bin holds.
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], confidence), minlength=n_bins)
    counts = counts[counts > 0]
    ece = float(np.sum(counts / counts.sum() * np.abs(accuracy - mean_confidence))) if len(counts) else 0.0
    return Calibration(confidence=np.round(mean_confidence, 5).tolist(), accuracy=np.round(accuracy, 5).tolist(),
                       count=counts.tolist(), ece=ece)


def threshold_sweep(codes: np.ndarray, proba: np.ndarray, positive: int) -> ThresholdSweep:
    """For a two-class model: the counts of the confusion matrix when a text counts as `positive` once its
    probability reaches each threshold from 0 to 1 in steps of 0.01."""
    is_positive = codes == positive
    flagged = proba[:, positive][None, :] >= THRESHOLDS[:, None]
    tp = (flagged & is_positive).sum(axis=1)
    fp = (flagged & ~is_positive).sum(axis=1)
    return ThresholdSweep(threshold=THRESHOLDS.tolist(), tp=tp.tolist(), fp=fp.tolist(),
                          fn=(is_positive.sum() - tp).tolist(), tn=((~is_positive).sum() - fp).tolist())


def at_threshold(sweep: ThresholdSweep, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of the positive class, and the confusion counts, at one threshold of a sweep."""
    i = int(np.argmin(np.abs(np.asarray(sweep.threshold) - threshold)))
    tp, fp, fn, tn = int(sweep.tp[i]), int(sweep.fp[i]), int(sweep.fn[i]), int(sweep.tn[i])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": sweep.threshold[i], "precision": precision, "recall": recall, "f1": f1,
            "accuracy": (tp + tn) / max(tp + fp + fn + tn, 1), "tp": tp, "fp": fp, "fn": fn, "tn": tn}
