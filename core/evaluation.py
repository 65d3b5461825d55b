"""The held-out test report of a run, computed once with scikit-learn and saved beside the model."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

REPORT_FILE = "report.json"


def evaluate(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class scores and the confusion matrix (rows: true class, columns: predicted)."""
    classes = list(classes)
    y_pred = [classes[i] for i in proba.argmax(axis=1)]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return {
        "n_test": len(y_true),
        "classes": classes,
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
        "per_class": [
            {"class": c, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)
        ],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def save_report(report: dict[str, Any], directory: Path) -> None:
    (directory / REPORT_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


def load_report(directory: Path) -> dict[str, Any] | None:
    path = directory / REPORT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
