"""The held-out test report of a multi-label run (several labels per text), computed with scikit-learn when
training ends, and the test predictions table the worker saves beside it."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, multilabel_confusion_matrix, precision_recall_fscore_support

from core.formats.thresholds import LabelThresholds
from core.data.multilabel import indicator, join_labels, split_labels
from core.evaluation import curves, intervals
from core.evaluation.multilabel_records import LabelScores, LabelSetBaseline, MultilabelReport
from core.evaluation.multilabel_scores import SCORES, by_rows
from core.evaluation.report_records import probability_column

MULTILABEL_VERSION = 1


def evaluate_multilabel(truth: Sequence[Sequence[str]], proba: np.ndarray, classes: Sequence[str],
                        thresholds: LabelThresholds) -> MultilabelReport:
    """Everything the Results page shows about a multi-label model on its test texts: `truth` holds each text's
    labels, `proba` each label's independent probability (a column per class), `thresholds` turns them into the
    model's answer. Intervals are 95% bootstrap intervals over texts with a fixed seed."""
    classes = [str(c) for c in classes]
    proba = np.asarray(proba, dtype=float)
    if proba.shape != (len(truth), len(classes)):
        raise ValueError(f"The probabilities must have one row per test text ({len(truth)}) and one column per "
                         f"label ({len(classes)}); got {proba.shape}.")
    truth01 = indicator([tuple(map(str, labels)) for labels in truth], classes)
    chosen = thresholds.decide(proba, classes)
    precision, recall, f1, support = precision_recall_fscore_support(truth01, chosen, zero_division=0)
    cuts = thresholds.for_classes(classes)
    rows = np.arange(len(truth01))
    return MultilabelReport(
        version=MULTILABEL_VERSION, n_test=len(truth01), classes=classes, thresholds=thresholds,
        micro_f1=float(f1_score(truth01, chosen, average="micro", zero_division=0)),
        macro_f1=float(f1_score(truth01, chosen, average="macro", zero_division=0)),
        weighted_f1=float(f1_score(truth01, chosen, average="weighted", zero_division=0)),
        # A text rightly given no label at all is right: it scores 1, not scikit-learn's default 0.
        samples_f1=float(f1_score(truth01, chosen, average="samples", zero_division=1)) if len(rows) else 0.0,
        hamming_loss=float((truth01 != chosen).mean()) if len(rows) else 0.0,
        subset_accuracy=float((truth01 == chosen).all(axis=1).mean()) if len(rows) else 0.0,
        intervals={name: intervals.interval((rows,), by_rows(score, truth01, chosen), width=len(classes))
                   for name, score in SCORES.items()} if len(rows) else {},
        per_label=[LabelScores(label=c, precision=float(p), recall=float(r), f1=float(f), support=int(s),
                               threshold=float(t))
                   for c, p, r, f, s, t in zip(classes, precision, recall, f1, support, cuts)],
        label_confusion=multilabel_confusion_matrix(truth01, chosen).tolist(),
        missed_added=missed_added(truth01, chosen).tolist(),
        curves=[curve for k, c in enumerate(classes)
                if (curve := curves.binary(c, truth01[:, k] == 1, proba[:, k])) is not None],
        baseline=most_common_set(truth01, classes),
    )


def missed_added(truth01: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The missed-or-added matrix: how the model's wrong labels go together. Over k labels it is (k + 1) x (k + 1);
    row i < k is true label i missed (a text has it, the model did not give it), column j < k is label j added (the
    model gave it, the text does not have it). Cell (i, j) counts the texts with label i missed AND label j added:
    j given in place of i. Row i, last column: texts with label i missed and nothing added. Last row, column j:
    texts with label j added and nothing missed. The last cell counts the texts with every label right. The
    diagonal is 0: one label cannot be both missed and added. A text with two labels missed and one added counts
    in two cells."""
    missed = (truth01 == 1) & (chosen == 0)
    added = (chosen == 1) & (truth01 == 0)
    none_missed, none_added = ~missed.any(axis=1), ~added.any(axis=1)
    k = truth01.shape[1]
    matrix = np.zeros((k + 1, k + 1), dtype=np.int64)
    matrix[:k, :k] = missed.T.astype(np.int64) @ added.astype(np.int64)
    matrix[:k, k] = missed[none_added].sum(axis=0)
    matrix[k, :k] = added[none_missed].sum(axis=0)
    matrix[k, k] = int((none_missed & none_added).sum())
    return matrix


def most_common_set(truth01: np.ndarray, classes: Sequence[str]) -> LabelSetBaseline | None:
    """The score of giving every test text the most common set of labels among them (the first met on a tie),
    without reading them: what a model has to beat. None without test texts."""
    if not len(truth01):
        return None
    counts = Counter(tuple(row) for row in truth01.tolist())
    best = max(counts, key=counts.__getitem__)
    guessed = np.tile(np.asarray(best, dtype=np.int64), (len(truth01), 1))
    return LabelSetBaseline(labels=join_labels(c for c, v in zip(classes, best) if v),
                            micro_f1=float(f1_score(truth01, guessed, average="micro", zero_division=0)),
                            subset_accuracy=counts[best] / len(truth01))


def probabilities(predictions: pd.DataFrame, classes: Sequence[str]) -> np.ndarray:
    """The P(<label>) columns of a predictions table, in the order of `classes`."""
    missing = [probability_column(c) for c in classes if probability_column(c) not in predictions.columns]
    if missing:
        raise ValueError(f"The test predictions lack the columns {', '.join(missing)}; train the model again to "
                         "recreate them.")
    return predictions[[probability_column(str(c)) for c in classes]].to_numpy(dtype=float)


def true_labels(predictions: pd.DataFrame) -> list[tuple[str, ...]]:
    return [split_labels(joined) for joined in predictions["label"].fillna("").astype(str)]


def report_from_multilabel_predictions(predictions: pd.DataFrame, classes: Sequence[str],
                                       thresholds: LabelThresholds) -> MultilabelReport:
    """The report, rebuilt from a multi-label run's saved test predictions (see `multilabel_predictions_table`)."""
    return evaluate_multilabel(true_labels(predictions), probabilities(predictions, classes), classes, thresholds)


def multilabel_predictions_table(texts: Sequence[str], truth: Sequence[Sequence[str]], proba: np.ndarray,
                                 classes: Sequence[str], thresholds: LabelThresholds) -> pd.DataFrame:
    """The test predictions a multi-label run saves: text, label (the true labels joined by "|"), predicted (the
    labels the model gives at `thresholds`, joined the same way) and P(<label>) per class."""
    proba = np.asarray(proba, dtype=float)
    chosen = thresholds.decide(proba, classes)
    table = pd.DataFrame({"text": list(texts), "label": [join_labels(labels) for labels in truth],
                          "predicted": [join_labels(c for c, v in zip(classes, row) if v) for row in chosen]})
    return pd.concat([table, pd.DataFrame(proba, columns=[probability_column(str(c)) for c in classes])], axis=1)
