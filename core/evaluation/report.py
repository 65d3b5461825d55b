"""The held-out test report of a run: computed once with scikit-learn when training ends, saved beside the model,
so the Results and Compare pages open without recomputing anything."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from core.formats.thresholds import LabelThresholds
from core.evaluation import baseline, curves, intervals
from core.evaluation.multilabel_records import TASK as MULTILABEL
from core.evaluation.multilabel_records import MultilabelReport
from core.evaluation.multilabel_report import (MULTILABEL_VERSION, multilabel_predictions_table, probabilities,
                                               report_from_multilabel_predictions, true_labels)
from core.evaluation.report_records import ClassScores, Intervals, Report, probability_column
from core.evaluation.slices import length_slices
from core.workspace import PREDICTIONS_FILE

REPORT_FILE = "report.json"
# Reports of an older version are rebuilt from the saved test predictions when opened, so runs trained before a
# new view existed show it too.
REPORT_VERSION = 3


def evaluate(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str],
             texts: Sequence[str] | None = None) -> Report:
    """Everything the Results page shows about a single-label model on its test texts. Confusion matrix rows are
    the true class, columns the predicted one. Intervals are 95% bootstrap intervals with a fixed seed. The baseline
    is always answering the test texts' most common class."""
    classes = [str(c) for c in classes]
    # Scikit-learn runs on integer codes: on strings it sorts and compares objects, several times slower.
    codes = pd.Categorical(pd.Series(y_true, dtype=object).astype(str), categories=classes).codes.astype(int)
    if (codes < 0).any():
        raise ValueError("Some test labels are not among the model's classes.")
    predicted_codes = proba.argmax(axis=1) if len(proba) else np.array([], dtype=int)
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(codes, predicted_codes, labels=labels,
                                                                     zero_division=0)
    return Report(
        version=REPORT_VERSION,
        task="binary" if len(classes) == 2 else "multiclass",
        n_test=len(codes),
        classes=classes,
        accuracy=float(accuracy_score(codes, predicted_codes)),
        baseline=baseline.most_common(codes, classes),
        macro_f1=float(f1_score(codes, predicted_codes, labels=labels, average="macro", zero_division=0)),
        intervals=Intervals(
            accuracy=intervals.interval((codes, predicted_codes), intervals.accuracy),
            macro_f1=intervals.interval((codes, predicted_codes), intervals.macro_f1(len(classes))),
            confidence_level=0.95, resamples=intervals.RESAMPLES, seed=intervals.SEED,
        ),
        per_class=[
            ClassScores(class_name=c, precision=float(p), recall=float(r), f1=float(f), support=int(s))
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)
        ],
        confusion_matrix=confusion_matrix(codes, predicted_codes, labels=labels).tolist(),
        curves=curves.one_vs_rest(codes, proba, classes),
        calibration=curves.reliability(codes, proba),
        length_slices=length_slices(texts, codes, predicted_codes) if texts is not None else [],
        thresholds=({c: curves.threshold_sweep(codes, proba, k) for k, c in enumerate(classes)}
                    if len(classes) == 2 else {}),
    )


def report_from_predictions(predictions: pd.DataFrame, classes: Sequence[str],
                            thresholds: LabelThresholds | None = None) -> Report | MultilabelReport:
    """The report, rebuilt from a run's saved test predictions; a multi-label run's (given its `thresholds`) has
    its true and predicted labels joined by "|"."""
    if thresholds is not None:
        return report_from_multilabel_predictions(predictions, classes, thresholds)
    proba = predictions[[probability_column(str(c)) for c in classes]].to_numpy(dtype=float)
    return evaluate(predictions["label"].astype(str).tolist(), proba, classes, predictions["text"].tolist())


def save_report(report: Report | MultilabelReport, directory: Path) -> None:
    (directory / REPORT_FILE).write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")


def load_report(directory: Path) -> Report | MultilabelReport | None:
    """The run's report (a MultilabelReport for a multi-label run), rebuilt first if it predates the current
    version; None when the run has none."""
    path = directory / REPORT_FILE
    if not path.exists():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    predictions = directory / PREDICTIONS_FILE
    if saved.get("task") == MULTILABEL:
        if saved["version"] < MULTILABEL_VERSION and predictions.exists():
            report = report_from_predictions(pd.read_parquet(predictions), saved["classes"],
                                             LabelThresholds.from_dict(saved["thresholds"]))
            save_report(report, directory)
            return report
        return MultilabelReport.from_dict(saved)
    if saved.get("version", 1) < REPORT_VERSION and predictions.exists():
        report = report_from_predictions(pd.read_parquet(predictions), saved["classes"])
        save_report(report, directory)
        return report
    return Report.from_dict(saved)


def load_predictions(directory: Path) -> pd.DataFrame | None:
    path = directory / PREDICTIONS_FILE
    return pd.read_parquet(path) if path.exists() else None


def keep_thresholds(directory: Path, thresholds: LabelThresholds) -> MultilabelReport:
    """Redo a multi-label run's test predictions and report (in its folder `directory`) at new thresholds, so the
    Results page shows the model as it now answers. The saved model's own thresholds are
    `core.models.loading.save_label_thresholds`'s to change."""
    predictions, report = load_predictions(directory), load_report(directory)
    if predictions is None or not isinstance(report, MultilabelReport):
        raise ValueError("Only a multi-label run with its saved test predictions has thresholds to keep.")
    proba = probabilities(predictions, report.classes)
    table = multilabel_predictions_table(predictions["text"].tolist(), true_labels(predictions), proba,
                                         report.classes, thresholds)
    kept = report_from_predictions(table, report.classes, thresholds)
    table.to_parquet(directory / PREDICTIONS_FILE, index=False)
    save_report(kept, directory)
    return kept
