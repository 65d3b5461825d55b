"""Labels that may be wrong: the training and validation rows whose given label a model that never saw them
confidently disputes (confident learning, with cleanlab), ranked most doubtful first, each with the label the model
suggests and how sure it is.

The probabilities come from cross-validation (core.evaluation.cross_validation): a run's out-of-fold file, or a quick
TF-IDF cross-validation of a dataset. Test rows are never flagged (see WHY_NOT_TEST).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from cleanlab import filter as single_label
from cleanlab.multilabel_classification import filter as several_labels

from core.architectures.tfidf import TfidfClassifier, TfidfConfig
from core.data.multilabel import indicator, join_labels, split_labels
from core.data.text_set import TextSet
from core.evaluation.cross_validation import cross_validate, load_out_of_fold

WHY_NOT_TEST = ("The test texts are the honest exam: correcting their labels with the model's own predictions would "
                "grade the model by itself.")
# How cleanlab orders the rows it flags; the benchmark (benchmarks/label_errors.py) found self-confidence the better.
RANKINGS = ("self_confidence", "normalized_margin")
COLUMNS = ["row", "text", "label", "suggested", "sure", "split"]
LEARNED_FROM = ("train", "val")


def find_label_errors(rows: pd.DataFrame, classes: list[str], proba: np.ndarray, multilabel: bool = False,
                      ranked_by: str = "self_confidence") -> pd.DataFrame:
    """The rows (columns row, text, label, split; `proba[i]` the out-of-fold probabilities of rows' i-th, columns in
    `classes` order) whose label looks wrong, most doubtful first: their `suggested` label and how `sure` the model is
    of it (the probability of the suggested label; for several labels per text, that of the least sure change it
    suggests). Test rows are left out whatever the caller passes."""
    if ranked_by not in RANKINGS:
        raise ValueError(f"Label errors are ranked by {' or '.join(RANKINGS)}, not '{ranked_by}'.")
    learned = (rows["split"].isin(LEARNED_FROM)).to_numpy()
    rows, proba = rows[learned].reset_index(drop=True), np.asarray(proba, dtype=np.float64)[learned]
    if len(classes) < 2 or len(rows) < 2:
        raise ValueError("Looking for wrong labels needs at least two classes and two training or validation texts.")
    index = {c: i for i, c in enumerate(classes)}
    if multilabel:
        given = [[index[c] for c in split_labels(joined)] for joined in rows["label"]]
    else:
        given = np.array([index[c] for c in rows["label"]])
    # One process: cleanlab would otherwise fork a pool per call, and a fork of the dashboard's threaded server (or
    # of a worker holding torch's threads) can hang for good on a lock another thread held.
    flagged = (several_labels if multilabel else single_label).find_label_issues(
        given, proba, return_indices_ranked_by=ranked_by, n_jobs=1)
    if multilabel:
        suggested, sure = _suggested_sets(rows, classes, proba)
    else:
        suggested, sure = np.asarray(classes, dtype=object)[proba.argmax(axis=1)], proba.max(axis=1)
    found = pd.DataFrame({"row": rows["row"].to_numpy(), "text": rows["text"].to_numpy(),
                          "label": rows["label"].to_numpy(), "suggested": suggested, "sure": sure,
                          "split": rows["split"].to_numpy()}).iloc[flagged]
    # A row whose suggestion is its own label has nothing to change (cleanlab may flag one with several labels).
    return found[found["suggested"] != found["label"]].reset_index(drop=True)


def _suggested_sets(rows: pd.DataFrame, classes: list[str], proba: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each row's labels the model gives (probability at least one half) and its certainty of the least sure label
    it would change."""
    chosen = proba >= 0.5
    changed = chosen != indicator([split_labels(joined) for joined in rows["label"]], classes).astype(bool)
    certainty = np.where(chosen, proba, 1 - proba)
    sure = np.where(changed, certainty, 1.0).min(axis=1)
    return [join_labels(np.asarray(classes)[picked]) for picked in chosen], sure


def out_of_fold_of_dataset(df: pd.DataFrame, multilabel: bool, folds: int = 5, seed: int = 42,
                           on_fold: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, list[str],
                                                                                       np.ndarray]:
    """A quick TF-IDF cross-validation over a prepared dataset's training and validation rows (never its test rows):
    those rows (row, text, label, split), the classes and the out-of-fold probabilities. `on_fold(k, folds)` is told
    as fold k starts."""
    rows = df[df["split"].isin(LEARNED_FROM)]
    if len(rows) < 2 * folds:
        raise ValueError(f"Looking for wrong labels needs at least {2 * folds} training and validation texts; this "
                         f"dataset has {len(rows)}.")
    labels = [split_labels(joined) for joined in rows["label"]] if multilabel else rows["label"].tolist()
    started = iter(range(folds))

    def make_model() -> TfidfClassifier:
        if on_fold is not None:
            on_fold(next(started), folds)
        return TfidfClassifier(TfidfConfig())

    cv = cross_validate(make_model, TextSet(rows["text"].tolist(), labels, multilabel), folds, seed)
    table = pd.DataFrame({"row": rows.index.to_numpy(), "text": rows["text"].to_numpy(),
                          "label": rows["label"].to_numpy(), "split": rows["split"].to_numpy()})
    return table, cv.classes, cv.proba


def label_errors_of_dataset(df: pd.DataFrame, multilabel: bool, folds: int = 5, seed: int = 42,
                            on_fold: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """`find_label_errors` of a quick TF-IDF cross-validation of a prepared dataset (`out_of_fold_of_dataset`)."""
    return find_label_errors(*out_of_fold_of_dataset(df, multilabel, folds, seed, on_fold), multilabel)


def label_errors_of_run(folder: Path, multilabel: bool = False) -> pd.DataFrame | None:
    """`find_label_errors` of the out-of-fold probabilities a run trained with cross-validation kept in `folder`; None
    for a run trained without."""
    kept = load_out_of_fold(folder)
    if kept is None:
        return None
    table, classes, proba = kept
    return find_label_errors(table, classes, proba, multilabel)
