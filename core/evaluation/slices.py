"""Where the model goes wrong: the test texts behind one cell of the confusion matrix, the most confident
mistakes, and scores for texts of different lengths. Work on a run's test predictions table."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from core.evaluation.report_records import LengthSlice

LENGTH_SLICES = 5


def examples(predictions: pd.DataFrame, true: str | None = None, predicted: str | None = None, query: str = "",
             mistakes_only: bool = False) -> pd.DataFrame:
    """Test texts filtered by true and predicted label and a case-insensitive search, most confident first:
    among mistakes those are the ones most worth a look."""
    keep = pd.Series(True, index=predictions.index)
    if true is not None:
        keep &= predictions["label"] == true
    if predicted is not None:
        keep &= predictions["predicted"] == predicted
    if mistakes_only:
        keep &= predictions["label"] != predictions["predicted"]
    if query.strip():
        keep &= predictions["text"].str.contains(query.strip(), case=False, regex=False)
    return predictions[keep].sort_values("confidence", ascending=False, kind="stable")


def length_slices(texts: Sequence[str], y_true: Sequence[str], y_pred: Sequence[str],
                  n_slices: int = LENGTH_SLICES) -> list[LengthSlice]:
    """Accuracy and macro-F1 of the test texts split into up to `n_slices` groups of about equal size by length
    in characters; texts of one length stay in one group, so there are fewer groups when many share a length."""
    if not len(texts):
        return []
    lengths = pd.Series([len(t) for t in texts])
    if lengths.nunique() > 1:
        groups = pd.qcut(lengths, q=min(n_slices, len(lengths)), labels=False, duplicates="drop")
    else:  # one length has no quantiles to cut at
        groups = pd.Series(0, index=lengths.index)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    rows = []
    for group in sorted(groups.unique()):
        mask = (groups == group).to_numpy()
        low, high = int(lengths[mask].min()), int(lengths[mask].max())
        rows.append(LengthSlice(
            slice=f"{low}–{high} characters" if low != high else f"{low} character{'s' * (low != 1)}",
            min_length=low, max_length=high, n=int(mask.sum()),
            accuracy=float(accuracy_score(y_true[mask], y_pred[mask])),
            # Over the classes present in the slice: an absent class says nothing about these texts.
            macro_f1=float(f1_score(y_true[mask], y_pred[mask], labels=sorted(set(y_true[mask])),
                                    average="macro", zero_division=0)),
        ))
    return rows
