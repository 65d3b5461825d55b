"""K-fold cross-validation: each text scored by a model that never saw it (its out-of-fold probabilities), and each
fold's scores, so a metric reads as a mean and a spread rather than one draw of the split.

The folds share out the rows a model may learn from (training and validation); the test rows stay out of them.
Each fold's model trains on the other folds without validation texts, so nothing of the held-out fold steers it
(not even early stopping): its probabilities are honest enough to dispute the given labels with
(core.evaluation.label_errors).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
from sklearn.model_selection import KFold, StratifiedKFold

from core.architectures.base import MAX_FOLDS, TextClassifier, classification_metrics
from core.architectures.label_thresholds import multilabel_metrics
from core.data.multilabel import indicator, label_names, split_labels
from core.data.text_set import TextSet
from core.training.callbacks import Callback

OUT_OF_FOLD_FILE = "out_of_fold.parquet"
# The splits the folds share out; the test split stays out of them.
LEARNING_SPLITS = ("train", "val")


@dataclass
class CrossValidation:
    """`proba[i]`: the out-of-fold probabilities of text i, columns ordered by `classes`; `fold[i]`: its fold;
    `scores[k]`: fold k's metrics on its held-out texts (the model's own, as its validation scores are)."""
    classes: list[str]
    proba: np.ndarray
    fold: np.ndarray
    scores: list[dict[str, float]]

    def summary(self) -> dict[str, tuple[float, float]]:
        """Each metric's mean and standard deviation across folds."""
        names = [name for name in self.scores[0] if all(name in s for s in self.scores)]
        return {name: (float(np.mean([s[name] for s in self.scores])), float(np.std([s[name] for s in self.scores])))
                for name in names}


def fold_of_each(data: TextSet, folds: int, seed: int) -> np.ndarray:
    """Each text's fold: each label keeps its share in every fold, where the labels allow it."""
    n = len(data.texts)
    if not 2 <= folds <= min(MAX_FOLDS, n):
        raise ValueError(f"Cross-validation needs between 2 and {min(MAX_FOLDS, n)} folds for {n} texts; "
                         f"{folds} were asked for. Choose fewer folds, or add texts.")
    if data.multilabel:
        splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        parts = splitter.split(np.zeros(n), indicator(data.labels, label_names(data.labels)))
    else:
        counts = pd.Series(data.labels).value_counts()
        # StratifiedKFold needs every class in every fold; a class with fewer texts than folds is spread at random.
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed) if counts.min() >= folds else \
            KFold(folds, shuffle=True, random_state=seed)
        parts = splitter.split(np.zeros(n), data.labels)
    fold = np.empty(n, dtype=np.int64)
    for k, (_, held) in enumerate(parts):
        fold[held] = k
    return fold


def _take(data: TextSet, rows: np.ndarray) -> TextSet:
    return TextSet([data.texts[i] for i in rows], [data.labels[i] for i in rows], data.multilabel)


def cross_validate(make_model: Callable[[], TextClassifier], data: TextSet, folds: int = 5, seed: int = 42,
                   callbacks: Sequence[Callback] = ()) -> CrossValidation:
    """Fit `make_model()` once per fold on the other folds and score the held-out texts. A class a fold's model
    never saw gets probability 0 in its columns."""
    fold = fold_of_each(data, folds, seed)
    classes = label_names(data.labels) if data.multilabel else sorted(set(data.labels))
    proba = np.zeros((len(data.texts), len(classes)))
    for k in range(folds):
        held = np.flatnonzero(fold == k)
        model = make_model().fit(_take(data, np.flatnonzero(fold != k)), None, callbacks)
        part = model.predict_proba([data.texts[i] for i in held])
        columns = np.searchsorted(classes, model.classes_.tolist())
        proba[np.ix_(held, columns)] = part
    return scored(data, classes, proba, fold)


def scored(data: TextSet, classes: list[str], proba: np.ndarray, fold: np.ndarray) -> CrossValidation:
    """The cross-validation of `data` whose out-of-fold probabilities and folds are known: each fold's scores on its
    texts (how a kept `out_of_fold.parquet` gives back its summary)."""
    truth = indicator(data.labels, classes) if data.multilabel else np.searchsorted(classes, data.labels)
    metrics = multilabel_metrics if data.multilabel else classification_metrics
    scores = [metrics(truth[fold == k], proba[fold == k]) for k in range(int(fold.max()) + 1)]
    return CrossValidation(list(classes), proba, fold, scores)


def learning_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of a prepared dataset the folds share out (training and validation), in the dataset's order."""
    return df[df["split"].isin(LEARNING_SPLITS)]


def learning_set(rows: pd.DataFrame, multilabel: bool = False) -> TextSet:
    """`rows` (see `learning_rows`) as the texts and labels a model learns from."""
    labels = rows["label"].tolist()
    return TextSet(rows["text"].tolist(), [split_labels(joined) for joined in labels] if multilabel else labels,
                   multilabel)


def out_of_fold_table(cv: CrossValidation, rows: pd.DataFrame) -> pd.DataFrame:
    """What a run keeps of its cross-validation: for each of `rows` (the dataset's rows the folds shared out, in
    that order; its index is the row's position in the dataset) its text, given label, split, fold and out-of-fold
    probabilities, one `P(class)` column per class."""
    table = pd.DataFrame({"row": rows.index.to_numpy(), "text": rows["text"].to_numpy(),
                          "label": rows["label"].to_numpy(), "split": rows["split"].to_numpy(), "fold": cv.fold})
    probabilities = pd.DataFrame(cv.proba, columns=[f"P({c})" for c in cv.classes])
    return pd.concat([table, probabilities], axis=1)


def save_out_of_fold(cv: CrossValidation, rows: pd.DataFrame, folder: Path) -> None:
    out_of_fold_table(cv, rows).to_parquet(folder / OUT_OF_FOLD_FILE, index=False)


def load_out_of_fold(folder: Path) -> tuple[pd.DataFrame, list[str], np.ndarray] | None:
    """A run's out-of-fold rows, its classes and their probabilities (rows × classes); None for a run trained without
    cross-validation."""
    path = folder / OUT_OF_FOLD_FILE
    if not path.exists():
        return None
    table = pd.read_parquet(path)
    columns = [c for c in table.columns if c.startswith("P(") and c.endswith(")")]
    return table, [c[2:-1] for c in columns], table[columns].to_numpy()


def headline(cv: Mapping[str, Any], multilabel: bool = False, digits: int = 3) -> str:
    """'Cross-validation, 5 folds: accuracy 0.979 ± 0.004, macro-F1 0.975 ± 0.006' from what a run's result keeps
    (`result["cv"]`). A multi-label fold model has no validation texts to tune its thresholds on, so its labels are
    those scored 0.5 or more."""
    names = {"accuracy": "every label right" if multilabel else "accuracy", "macro_f1": "macro-F1"}
    shown = [f"{said} {cv['summary'][name][0]:.{digits}f} ± {cv['summary'][name][1]:.{digits}f}"
             for name, said in names.items() if name in cv["summary"]]
    return f"Cross-validation, {cv['folds']} folds: {', '.join(shown)}" + (" (at threshold 0.5)" if multilabel else "")
