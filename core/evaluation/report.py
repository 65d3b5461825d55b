"""The held-out test report of a run: computed once with scikit-learn when training ends, saved beside the model,
so the Results and Compare pages open without recomputing anything."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from core.evaluation import baseline, curves, intervals
from core.evaluation.report_records import ClassScores, Intervals, Report
from core.evaluation.slices import length_slices
from core.workspace import PREDICTIONS_FILE

REPORT_FILE = "report.json"
# Reports of an older version are rebuilt from the saved test predictions when opened, so runs trained before a
# new view existed show it too.
REPORT_VERSION = 3


def probability_column(label: str) -> str:
    """The column of a predictions table (the saved test predictions, a page's predictions) holding the
    probability the model gives `label`."""
    return f"P({label})"


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


def report_from_predictions(predictions: pd.DataFrame, classes: Sequence[str]) -> Report:
    proba = predictions[[probability_column(str(c)) for c in classes]].to_numpy(dtype=float)
    return evaluate(predictions["label"].astype(str).tolist(), proba, classes, predictions["text"].tolist())


def save_report(report: Report, directory: Path) -> None:
    (directory / REPORT_FILE).write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")


def load_report(directory: Path) -> Report | None:
    """The run's report, rebuilt first if it predates the current version; None when the run has none."""
    path = directory / REPORT_FILE
    if not path.exists():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    predictions = directory / PREDICTIONS_FILE
    if saved.get("version", 1) < REPORT_VERSION and predictions.exists():
        report = report_from_predictions(pd.read_parquet(predictions), saved["classes"])
        save_report(report, directory)
        return report
    return Report.from_dict(saved)


def load_predictions(directory: Path) -> pd.DataFrame | None:
    path = directory / PREDICTIONS_FILE
    return pd.read_parquet(path) if path.exists() else None
